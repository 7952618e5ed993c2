"""A page any browser can open: plain HTTP ``GET /`` on the server's own port.

A WebSocket server speaks HTTP until the upgrade (RFC 6455 §4.1), so the same
port can hand a browser the page that then connects back to it. websockets
lets ``process_request`` answer a request instead of upgrading it; this
module decides when to (a plain ``GET /`` that does not ask for
``Upgrade: websocket``) and builds the ``200 text/html`` response. Upgrades
on ``/`` are left alone, so clients and the page share the path.

:data:`CHAT_PAGE` is the chat page of FastAPI's WebSocket example, made to
connect back to whatever host and port served it (``location.host``), to
show messages as text only (``textContent``, never ``innerHTML``), and to
show the connection's state and close code. Its input and ``Send`` work
only while the socket is open; once it has closed, ``Reconnect`` opens a new
one. It names an inline icon, so browsers do not ask for ``/favicon.ico``,
and follows the browser's light or dark colour scheme.
"""

from __future__ import annotations

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from ..pages import Page

__all__ = ["CHAT_PAGE", "page_response"]

#: The built-in chat page: ``WebsocketServerParams(html=wskit.CHAT_PAGE)``.
#: Query parameters of the page's URL: ``ws`` (the WebSocket path, default ``/``)
#: and ``token`` (passed on to the WebSocket URL as ``?token=``).
CHAT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="color-scheme" content="light dark">
<title>wskit chat</title>
<link rel="icon" href="data:,">
<style>
  body { font-family: system-ui, sans-serif; margin: 2em; max-width: 40em; color: #1a1a1a; background: #fff; }
  #status { color: #555; }
  #status.closed { color: #a3261f; }
  #messages { list-style: none; padding: 0; font-family: ui-monospace, monospace; }
  #messages li.out { color: #1f5fa8; }
  #messages li.in { color: #1b6e2c; }
  #messages li.info { color: #5c5c5c; }
  #reconnect[hidden] { display: none; }
  @media (prefers-color-scheme: dark) {
    body { color: #e6e6e6; background: #1e1e1e; }
    #status { color: #b8b8b8; }
    #status.closed { color: #ff9a8f; }
    #messages li.out { color: #8cc4ff; }
    #messages li.in { color: #8fd89c; }
    #messages li.info { color: #b0b0b0; }
  }
</style>
</head>
<body>
<h1>wskit chat</h1>
<p><span id="status">connecting…</span> <button type="button" id="reconnect" hidden>Reconnect</button></p>
<form id="form" autocomplete="off">
  <input type="text" id="messageText" placeholder="type a message" autofocus disabled>
  <button type="submit" id="send" disabled>Send</button>
</form>
<ul id="messages"></ul>
<script>
  const query = new URLSearchParams(location.search);
  const target = new URL(query.get("ws") || "/", location.href);
  target.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  target.host = location.host;
  if (query.get("token")) target.searchParams.set("token", query.get("token"));
  const status = document.getElementById("status");
  const messages = document.getElementById("messages");
  const input = document.getElementById("messageText");
  const send = document.getElementById("send");
  const reconnect = document.getElementById("reconnect");
  let ws = null;
  function show(text, kind) {
    const item = document.createElement("li");
    item.className = kind;
    item.textContent = text;
    messages.appendChild(item);
  }
  function usable(open) {  // the form works only while the socket is open
    input.disabled = send.disabled = !open;
    reconnect.hidden = open || ws === null || ws.readyState !== WebSocket.CLOSED;
    if (open) input.focus();
  }
  function open() {
    status.className = "";
    status.textContent = "connecting…";
    ws = new WebSocket(target.href);
    ws.binaryType = "arraybuffer";
    usable(false);
    ws.onopen = () => {
      status.textContent = "connected to " + target.host + target.pathname;
      usable(true);
    };
    ws.onmessage = (event) => {
      const text = typeof event.data === "string"
        ? event.data : "[" + event.data.byteLength + " bytes of binary]";
      show("← " + text, "in");
    };
    ws.onclose = (event) => {
      status.className = "closed";
      status.textContent = "closed: code " + event.code + (event.reason ? " (" + event.reason + ")" : "");
      usable(false);
    };
  }
  reconnect.addEventListener("click", open);
  document.getElementById("form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!input.value || ws === null || ws.readyState !== WebSocket.OPEN) return;
    ws.send(input.value);
    show("→ " + input.value, "out");
    input.value = "";
  });
  open();
</script>
</body>
</html>
"""


def _asks_for_upgrade(request: Request) -> bool:
    """True when the request names ``websocket`` in its ``Upgrade`` header(s) (RFC 6455 §4.2.1)."""
    values = request.headers.get_all("Upgrade")
    return any(token.strip().lower() == "websocket" for value in values for token in value.split(","))


def page_response(ws: ServerConnection, request: Request, html: str | Page) -> Response | None:
    """The ``200 text/html`` response for a plain ``GET /`` (or a page's asset at its
    own path, with its own ``Content-Type``); ``None`` lets the upgrade go on.

    websockets only hands over ``GET`` requests, so the method needs no check.
    """
    path = request.path.partition("?")[0]
    page = html if isinstance(html, Page) else Page(html)
    asset = page.assets.get(path)
    if (path != "/" and asset is None) or _asks_for_upgrade(request):
        return None
    response = ws.respond(200, page.html if asset is None else asset.text)
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = "text/html; charset=utf-8" if asset is None else asset.content_type
    response.headers["Cache-Control"] = "no-store"
    return response
