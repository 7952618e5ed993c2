"""``ClientPanel``: connect to a WebSocket server, talk to it, watch everything.

Given a URL it builds its own :class:`~wskit.WebsocketClientTransport`;
given a transport it drives that one (its URL and parameters fill the form,
and the form's values are applied at each ``Connect``). The panel holds a
:class:`~wskit.widgets.Composer` and an :class:`~wskit.widgets.EventLog` on the same
transport.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import ipywidgets as widgets  # type: ignore[import-untyped]  # no type information

from .._text import parse_headers
from ..events import Event, EventKind
from ..redact import mask_url
from ..transports import WebsocketClientParams, WebsocketClientTransport
from . import _style as st
from ._composer import Composer
from ._eventlog import EventLog
from ._tasks import schedule

__all__ = ["ClientPanel", "build_url"]

TOKEN_QUERY = "query ?token="
TOKEN_HEADER = "Authorization: Bearer"


def build_url(url: str, query: str, token: str = "") -> str:
    """``url`` with the ``key=value&…`` pairs of ``query`` (and ``token=…``) added to its query string."""
    parts = urlsplit(url.strip())
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    pairs += parse_qsl(query.strip().lstrip("?"), keep_blank_values=True)
    if token:
        pairs = [(k, v) for k, v in pairs if k != "token"] + [("token", token)]
    return urlunsplit(parts._replace(query=urlencode(pairs)))


class ClientPanel(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Connect, send, ping, close, and see every event of one client.

    Args:
        client_or_url: a ``ws://`` URL or a :class:`~wskit.WebsocketClientTransport`.
        params: parameters for the client built from a URL.

    Form: ``url``, ``headers`` (``Name: value`` per line), ``subprotocols``
    (comma-separated), ``query`` (``key=value&…``), ``token`` (masked; sent
    as ``?token=`` or an ``Authorization: Bearer`` header, as ``token in``
    says) and ``reconnect``. Buttons ``Connect`` and ``Disconnect``; the badge
    shows connecting, open, closing, closed (code and reason) or
    reconnecting n/m.
    """

    def __init__(self, client_or_url: str | WebsocketClientTransport, *, params: WebsocketClientParams | None = None):
        if isinstance(client_or_url, str):
            self.client = WebsocketClientTransport(client_or_url, params)
        elif isinstance(client_or_url, WebsocketClientTransport):
            self.client = client_or_url
        else:
            raise TypeError(f"ClientPanel needs a ws:// URL or a client transport, not {type(client_or_url).__name__}")
        client = self.client
        wide = widgets.Layout(width="min(100%, 560px)")
        self.url = widgets.Text(value=client.uri, description="url", layout=wide, style={"description_width": "90px"})
        known = client.params.additional_headers or {}
        self.headers = widgets.Textarea(
            value="\n".join(f"{k}: {v}" for k, v in known.items()),
            placeholder="X-Name: value (one per line)",
            description="headers",
            layout=widgets.Layout(width="min(100%, 560px)", height="52px"),
            style={"description_width": "90px"},
        )
        self.subprotocols = widgets.Text(
            value=", ".join(client.params.subprotocols or ()),
            placeholder="chat, superchat",
            description="subprotocols",
            style={"description_width": "90px"},
        )
        self.query = widgets.Text(placeholder="key=value&other=2", description="query")
        self.token = widgets.Password(placeholder="secret", description="token", style={"description_width": "90px"})
        self.token_in = widgets.Dropdown(
            options=[TOKEN_QUERY, TOKEN_HEADER],
            value=TOKEN_QUERY,
            description="token in",
            layout=widgets.Layout(width="280px"),
        )
        self.reconnect = widgets.Checkbox(value=client.params.reconnect, description="reconnect", indent=False)
        self.connect_button = st.button("Connect", "open the connection", "success")
        self.disconnect_button = st.button("Disconnect", "close (1000) and stop reconnecting")
        #: the badge's text: ``"open"``, ``"closed 1000 'bye'"``, ``"reconnecting 2/5"``…
        self.state = "not connected"
        self.badge = widgets.HTML(st.badge("closed", self.state))
        self.status = widgets.HTML()
        self.composer = Composer(client, title="Send")
        self.event_log = EventLog(client, title="Events")
        self.composer.close_button.on_click(lambda _b: self._closing())
        self.connect_button.on_click(lambda _b: self.connect())
        self.disconnect_button.on_click(lambda _b: self.disconnect())
        self._unsubscribe = client.events.subscribe(self._on_event)
        super().__init__(
            st.panel(
                st.header("Client", self.badge),
                self.url,
                self.headers,
                st.row(self.subprotocols, self.query),
                st.row(self.token, self.token_in, self.reconnect),
                st.row(self.connect_button, self.disconnect_button),
                self.status,
                self.composer,
                self.event_log,
            )
        )
        self.add_class("wskit-panel")
        if client.connection is not None:
            self._set_badge("open", "open")

    # -- state -------------------------------------------------------------------

    def _set_badge(self, state: str, text: str) -> None:
        self.state = text
        self.badge.value = st.badge(state, text)

    def _on_event(self, event: Event) -> None:
        kind = event.kind
        if kind is EventKind.MESSAGE or kind is EventKind.WIRE:
            return
        if kind is EventKind.CONNECTED:
            proto = getattr(event.connection, "subprotocol", None)
            self._set_badge("open", f"open ({proto})" if proto else "open")
        elif kind is EventKind.DISCONNECTED:
            reason = f" {event.reason!r}" if event.reason else ""
            self._set_badge("closed", f"closed {event.code if event.code is not None else ''}{reason}".rstrip())
        elif kind is EventKind.RECONNECTING:
            info = event.info or {}
            self._set_badge("busy", f"reconnecting {info.get('attempt', '?')}/{info.get('max_attempts', '?')}")
        elif kind is EventKind.ERROR and self.client.connection is None and not self.client.running:
            self._set_badge("failed", "failed")

    # -- buttons ---------------------------------------------------------------------

    def _apply_form(self) -> None:
        """Put the form's values into the client (URL, headers, subprotocols, reconnect)."""
        params = self.client.params
        token = self.token.value
        in_query = self.token_in.value == TOKEN_QUERY
        headers = parse_headers(self.headers.value)
        if token and not in_query:
            headers["Authorization"] = f"Bearer {token}"
        self.client.uri = build_url(self.url.value, self.query.value, token if in_query else "")
        params.additional_headers = headers or None
        protocols = [p.strip() for p in self.subprotocols.value.split(",") if p.strip()]
        params.subprotocols = protocols or None
        params.reconnect = self.reconnect.value

    def connect(self) -> None:
        """What ``Connect`` does."""
        if self.client.running:
            self.status.value = st.note_html("already connected: Disconnect first", ok=False)
            return
        try:
            self._apply_form()
        except Exception as exc:
            self.status.value = st.error_html(exc, "Connect")
            return
        self._set_badge("busy", "connecting")
        self.status.value = ""
        schedule(self._connect(), self._connect_failed, "wskit.widgets.connect")

    async def _connect(self) -> None:
        await self.client.start()
        # the URL with its secrets masked, whether typed in the url box or the token box
        # (the token box's value is URL-encoded in the URL, so it is not there as typed)
        self.status.value = st.note_html(f"connected to {mask_url(self.client.uri)}")

    def _connect_failed(self, exc: BaseException) -> None:
        self._set_badge("failed", "failed")
        self.status.value = st.error_html(exc, "Connect")

    def _closing(self) -> None:
        if self.client.connection is not None:
            self._set_badge("busy", "closing")

    def disconnect(self) -> None:
        """What ``Disconnect`` does: close with 1000 and stop reconnecting."""
        self._set_badge("busy", "closing")
        schedule(self.client.stop(), lambda e: setattr(self.status, "value", st.error_html(e, "Disconnect")))

    def close(self) -> None:
        """Stop listening to the client (the widgets stay as they are)."""
        if hasattr(self, "_unsubscribe"):  # also called by __del__ of a half-built panel
            self._unsubscribe()
        self.event_log.detach()
        super().close()
