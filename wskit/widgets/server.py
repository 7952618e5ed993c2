"""``ServerPanel``: a server's address, its clients, kick, broadcast, and its event log.

The client table is drawn from ``server.clients`` and each connection's
counters, redrawn by a throttled task when connections open, close or
exchange messages (a burst of traffic is one redraw), and once a second while
clients are connected.
"""

from __future__ import annotations

import asyncio
import time
import weakref

import ipywidgets as widgets  # type: ignore[import-untyped]  # no type information

from .. import _text
from ..closecodes import CloseCode
from ..events import Event, EventKind
from ..transports import Connection, WebsocketServerTransport
from . import _style as st
from ._composer import Composer
from ._eventlog import EventLog
from ._refresh import Refresher
from ._tasks import schedule

__all__ = ["ServerPanel", "client_label"]


def client_label(conn: Connection) -> str:
    """``#3 127.0.0.1:51234 /chat``: how a client is named in the panel."""
    return f"{_text.client_label(conn)} {conn.url.path or '/'}"


def _bytes(n: int) -> str:
    return f"{n} B" if n < 10_000 else f"{n / 1024:.1f} KiB" if n < 10_000_000 else f"{n / 2**20:.1f} MiB"


class ServerPanel(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Watch and steer a running server.

    Args:
        server: a :class:`~wskit.WebsocketServerTransport` (started or not).
        hz: the most redraws of the client table per second.

    Controls: ``client`` (pick one), ``code`` and ``reason``, ``Kick``
    (close that client with the code); a broadcast :class:`~wskit.widgets.Composer`
    (``Send`` goes to every client); the server's :class:`~wskit.widgets.EventLog`.
    """

    def __init__(self, server: WebsocketServerTransport, *, hz: float = 5.0) -> None:
        if not isinstance(server, WebsocketServerTransport):
            raise TypeError(f"ServerPanel needs a server transport, not {type(server).__name__}")
        self.server = server
        self.badge = widgets.HTML()
        self.facts = widgets.HTML()
        self.clients = widgets.HTML()
        self.client = widgets.Dropdown(description="client", options=[], layout=widgets.Layout(width="300px"))
        self.kick_code = widgets.BoundedIntText(
            value=CloseCode.NORMAL_CLOSURE,
            min=CloseCode.NORMAL_CLOSURE,
            max=4999,  # the last private-use code (RFC 6455 §7.4.2)
            description="code",
            layout=widgets.Layout(width="150px"),
        )
        self.kick_reason = widgets.Text(value="kicked", description="reason", layout=widgets.Layout(width="220px"))
        self.kick_button = st.button("Kick", "close this client with the code and reason", "warning")
        self.status = widgets.HTML()
        self.broadcast = Composer(server, title="Broadcast")
        self.event_log = EventLog(server, title="Server events")
        self._refresher = Refresher(self._render, hz, on_error=lambda e: self._error(e, "drawing"))
        self._tick: asyncio.TimerHandle | None = None
        self._unsubscribe = server.events.subscribe(self._on_event)
        self.kick_button.on_click(lambda _b: self.kick())
        super().__init__(
            st.panel(
                st.header("Server", self.badge, self.facts),
                self.clients,
                st.row(self.client, self.kick_code, self.kick_reason, self.kick_button),
                self.status,
                self.broadcast,
                self.event_log,
            )
        )
        self.add_class("wskit-panel")
        self._render()

    def _on_event(self, event: Event) -> None:
        if event.kind is not EventKind.WIRE:
            self._refresher.request()

    def refresh(self) -> None:
        """Redraw now."""
        self._refresher.flush()

    def _render(self) -> None:
        server = self.server
        clients = server.clients
        now = time.monotonic()
        rows = "".join(
            f"<tr><td>#{c.id}</td><td>{st.escape(str(c.client.host) + ':' + str(c.client.port) if c.client else '?')}"
            f"</td><td>{st.escape(c.url.path or '/')}</td><td>{now - c.connected_at:.0f} s</td>"
            f'<td class="wskit-in">{c.messages_in}</td><td class="wskit-out">{c.messages_out}</td>'
            f'<td class="wskit-in">{_bytes(c.bytes_in)}</td><td class="wskit-out">{_bytes(c.bytes_out)}</td></tr>'
            for c in clients
        )
        table = (
            '<table class="wskit-table wskit-mono"><tr class="wskit-dim"><th>id</th><th>address</th><th>path</th>'
            "<th>connected</th><th>msgs in</th><th>msgs out</th><th>bytes in</th><th>bytes out</th></tr>"
            f"{rows}</table>"
            if clients
            else '<span class="wskit-dim">no clients</span>'
        )
        options = [(client_label(c), c.id) for c in clients]
        with self.hold_sync():
            if server.running:
                self.badge.value = st.badge("open", "listening")
                self.facts.value = f'<span class="wskit-mono">{st.escape(server.url)}</span> · {len(clients)} client(s)'
            else:
                self.badge.value = st.badge("closed", "stopped")
                self.facts.value = ""
            self.clients.value = table
            if list(self.client.options) != options:
                self.client.options = options
        self._schedule_tick(bool(clients))

    def _schedule_tick(self, wanted: bool) -> None:
        """Redraw once a second while clients are connected, so "connected" counts up."""
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        if not wanted:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        me = weakref.ref(self)  # a forgotten panel is not kept alive by its timer

        def tick() -> None:
            panel = me()
            if panel is not None:
                panel._tick = None
                panel._refresher.request()

        self._tick = loop.call_later(1.0, tick)

    def _connection(self) -> Connection:
        wanted = self.client.value
        for conn in self.server.clients:
            if conn.id == wanted:
                return conn
        raise LookupError("pick a connected client first" if wanted is None else f"client #{wanted} is gone")

    def kick(self) -> None:
        """What ``Kick`` does: close the chosen client with the chosen code."""
        code, reason = self.kick_code.value, self.kick_reason.value
        try:
            conn = self._connection()
        except LookupError as exc:
            self._error(exc, "Kick")
            return

        async def kick() -> None:
            await conn.close(code, reason)
            self.status.value = st.note_html(f"kicked #{conn.id} with {code} {reason!r}")
            self._refresher.request()

        schedule(kick(), lambda e: self._error(e, "Kick"), "wskit.widgets.kick")

    def _error(self, exc: BaseException, doing: str) -> None:
        self.status.value = st.error_html(exc, doing)

    def close(self) -> None:
        """Stop watching the server."""
        if hasattr(self, "_unsubscribe"):  # also called by __del__ of a half-built panel
            self._unsubscribe()
        self._refresher.close()
        self._schedule_tick(False)
        self.event_log.detach()
        super().close()
