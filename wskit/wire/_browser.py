"""The browser's side of a WebSocket: a page that shows its API live.

Serve it from a wskit server, ``WebsocketServerParams(html=wire.BROWSER_PAGE)``,
and open the server's ``http://`` URL: the page connects back (to the path
in ``?ws=``, or to a whole ``ws://`` URL there) and walks through what the
WHATWG WebSocket API gives a page and what it withholds:

* ``readyState`` going CONNECTING → OPEN → CLOSING → CLOSED, and the
  ``open`` / ``message`` / ``error`` / ``close`` events in order;
* the ``CloseEvent``: ``code``, ``reason``, ``wasClean``;
* ``binaryType``: a binary message arrives as a ``Blob`` by default, as an
  ``ArrayBuffer`` once asked;
* ``bufferedAmount``: bytes queued by ``send`` and not yet handed to the
  network, the only backpressure a page sees (``send`` never waits);
* what a page cannot do: set a header such as ``Authorization`` (the
  constructor takes a URL and subprotocols only, so a token travels in the
  query, a cookie or a subprotocol), or close with a code other than 1000
  or 3000-4999 (``close(1008)`` throws ``InvalidAccessError``).

``?mode=hijack&ws=ws://host:port/`` only connects and reports how it ended:
a page on another origin trying a server where the browser holds a cookie
(cross-site WebSocket hijacking), which ``origins=`` refuses.

Everything the page saw is in ``window.wsReport`` (and listed on the page),
so a test in Chromium can read it.
"""

from __future__ import annotations

__all__ = ["BROWSER_PAGE"]

#: The page: ``WebsocketServerParams(html=wire.BROWSER_PAGE)``. Query parameters:
#: ``ws`` (path or ``ws://`` URL to connect to, default ``/``), ``token`` (sent as
#: ``?token=``), ``session`` (a cookie the page sets first, standing for a login),
#: ``mode=hijack`` (connect and report only).
BROWSER_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>The browser's WebSocket API</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2em; max-width: 48em; }
  #log { font-family: ui-monospace, monospace; list-style: none; padding: 0; }
  #log li.event { color: #1f5fa8; }
  #log li.limit { color: #a8401f; }
</style>
</head>
<body>
<h1>The browser's WebSocket API</h1>
<p>readyState: <b id="state">-</b> · bufferedAmount: <b id="buffered">0</b></p>
<ul id="log"></ul>
<script>
  const query = new URLSearchParams(location.search);
  const given = query.get("ws") || "/";
  const target = /^wss?:/.test(given) ? new URL(given) : new URL(given, location.href);
  if (!/^wss?:/.test(given)) target.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if (query.get("token")) target.searchParams.set("token", query.get("token"));
  const NAMES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"];
  const report = window.wsReport = {
    url: target.href, origin: location.origin, states: [], events: [], received: [],
    limits: {}, buffered: {}, close: null, done: false,
  };
  const logList = document.getElementById("log");
  function log(text, kind) {
    const item = document.createElement("li");
    item.className = kind || "";
    item.textContent = text;  // text only, never markup
    logList.appendChild(item);
  }
  function state(ws) {
    const name = NAMES[ws.readyState];
    if (report.states[report.states.length - 1] !== name) {
      report.states.push(name);
      document.getElementById("state").textContent = name;
      log("readyState " + ws.readyState + " " + name);
    }
  }
  function event(name, detail) {
    report.events.push(name);
    log(name + (detail ? " " + detail : ""), "event");
  }
  function nextMessage(ws) {
    return new Promise((resolve) => ws.addEventListener("message", (e) => resolve(e.data), { once: true }));
  }
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  if (query.get("session")) document.cookie = "session=" + query.get("session") + "; path=/";

  // The constructor takes (url, protocols): a third argument is ignored, so no header can be set.
  const ws = new WebSocket(target.href, [], { headers: { Authorization: "Bearer page-secret" } });
  state(ws);
  ws.addEventListener("error", () => { event("error"); state(ws); });
  ws.addEventListener("close", (e) => {
    report.close = { code: e.code, reason: e.reason, wasClean: e.wasClean };
    event("close", "code=" + e.code + " reason=" + JSON.stringify(e.reason) + " wasClean=" + e.wasClean);
    state(ws);
    report.done = true;
  });
  ws.addEventListener("open", async () => {
    event("open");
    state(ws);
    if (query.get("mode") === "hijack") { ws.close(1000, "got in"); return; }
    ws.addEventListener("message", (e) => {
      if (report.events[report.events.length - 1] !== "message") event("message");
    });

    ws.send("hello from the page");
    report.received.push(await nextMessage(ws));

    report.binaryType = [ws.binaryType];  // "blob" unless told otherwise
    ws.send(new Uint8Array([1, 2, 3]));
    const asBlob = await nextMessage(ws);
    ws.binaryType = "arraybuffer";
    report.binaryType.push(ws.binaryType);
    ws.send(new Uint8Array([4, 5, 6]));
    const asBuffer = await nextMessage(ws);
    report.binaryKinds = [asBlob.constructor.name, asBuffer.constructor.name];
    log("binary as " + report.binaryKinds.join(", then as "));

    // bufferedAmount: send() never waits; what it queued shows here until the network took it
    const chunk = new Uint8Array(65536), count = 64;
    let echoed = 0;
    const allBack = new Promise((resolve) => ws.addEventListener("message", function back() {
      if (++echoed === count) { ws.removeEventListener("message", back); resolve(); }
    }));
    for (let i = 0; i < count; i++) ws.send(chunk);
    report.buffered.after_sends = ws.bufferedAmount;
    report.buffered.bytes_sent = count * chunk.length;
    document.getElementById("buffered").textContent = ws.bufferedAmount;
    for (let i = 0; i < 500 && ws.bufferedAmount > 0; i++) await pause(10);
    report.buffered.drained = ws.bufferedAmount;
    await allBack;
    report.buffered.echoed = echoed;
    log("bufferedAmount " + report.buffered.after_sends + " right after " + count + " sends, then "
        + report.buffered.drained, "event");

    try { ws.close(1008, "policy"); report.limits.close_1008 = "allowed"; }
    catch (e) { report.limits.close_1008 = e.name; log("close(1008): " + e.name, "limit"); }
    ws.close(4000, "done by the page");
    state(ws);
  });
</script>
</body>
</html>
"""
