"""``Composer``: write a message and send it, ping, or close, on any connection.

It works on a client transport (its current connection), a server-side
:class:`~wskit.transports.Connection`, or a server transport (``Send``
broadcasts, ``Ping`` and ``Close`` apply to every client). Modes: text, JSON
(checked as you type, with the position of the first error, and
``Prettify``), and binary entered as hex or base64. ``as`` picks a raw
WebSocket message or a frame through the transport's serializer. Templates:
name the current message and ``Save`` it; pick it again later from
``template``; ``Delete`` forgets it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]  # no type information

from ..closecodes import CloseCode
from ..frames import BinaryFrame, Frame, MessageFrame, TextFrame
from . import _style as st
from ._tasks import schedule

__all__ = ["Composer", "Template", "parse_message"]

MODES = ("text", "JSON", "hex", "base64")
Template = tuple[str, str]  # (mode, message)


def parse_message(mode: str, text: str) -> str | bytes | Any:
    """What the ``Message`` box holds, in ``mode``: ``str`` (text), a JSON value, or ``bytes``.

    Raises:
        ValueError: invalid JSON (with line and column), hex or base64.
    """
    if mode == "text":
        return text
    if mode == "JSON":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            line = text.splitlines()[exc.lineno - 1] if text.splitlines() else ""
            raise ValueError(
                f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}\n{line}\n"
                + " " * (exc.colno - 1)
                + "^"
            ) from None
    if mode == "hex":
        cleaned = text.replace("0x", " ").replace(":", " ").replace(",", " ")
        try:
            return bytes.fromhex(cleaned)
        except ValueError as exc:
            raise ValueError(f"invalid hex: {exc}") from None
    if mode == "base64":
        try:
            return base64.b64decode("".join(text.split()), validate=True)
        except binascii.Error as exc:
            raise ValueError(f"invalid base64: {exc}") from None
    raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")


def _describe(data: str | bytes) -> str:
    return f"TEXT {len(data.encode())} bytes" if isinstance(data, str) else f"BINARY {len(data)} bytes"


class Composer(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """A message box with ``Send``, ``Ping`` and ``Close``.

    Args:
        target: a client transport, a connection, or a server transport
            (broadcast); may be set later through :attr:`target`.
        title: the panel's title.
        templates: initial templates, ``{name: (mode, message)}``.
    """

    def __init__(
        self, target: Any = None, *, title: str = "Composer", templates: dict[str, Template] | None = None
    ) -> None:
        self.target = target
        self.templates: dict[str, Template] = dict(templates or {})
        self.message = widgets.Textarea(
            description="Message",
            placeholder="type a message",
            layout=widgets.Layout(width="100%", height="80px"),
        )
        self.mode = widgets.ToggleButtons(options=list(MODES), value="text", description="mode")
        self.mode.style.button_width = "70px"
        self.send_as = widgets.ToggleButtons(
            options=[("raw message", "raw"), ("frame (serializer)", "frame")], value="raw", description="as"
        )
        self.send_as.style.button_width = "150px"
        self.check = widgets.HTML()
        self.prettify_button = st.button("Prettify", "re-indent the JSON")
        self.send_button = st.button("Send", "send the message", "primary")
        self.ping_button = st.button("Ping", "send a ping and time the pong")
        self.latency = widgets.HTML('<span class="wskit-dim">ping: –</span>')
        self.close_code = widgets.BoundedIntText(
            value=CloseCode.NORMAL_CLOSURE,
            min=CloseCode.NORMAL_CLOSURE,
            max=4999,  # the last private-use code (RFC 6455 §7.4.2)
            description="code",
            layout=widgets.Layout(width="150px"),
        )
        self.close_reason = widgets.Text(
            placeholder="reason", description="reason", layout=widgets.Layout(width="220px")
        )
        self.close_button = st.button("Close", "close with this code and reason", "warning")
        self.template = widgets.Dropdown(description="template", layout=widgets.Layout(width="240px"))
        self.template_name = widgets.Text(placeholder="name", layout=widgets.Layout(width="140px"))
        self.save_button = st.button("Save", "save the message as a template under this name")
        self.delete_button = st.button("Delete", "forget the selected template")
        self.status = widgets.HTML()

        self.message.observe(lambda _c: self._validate(), names="value")
        self.mode.observe(lambda _c: self._validate(), names="value")
        self.template.observe(lambda _c: self._load_template(), names="value")
        self.prettify_button.on_click(lambda _b: self.prettify())
        self.send_button.on_click(lambda _b: self.send_message())
        self.ping_button.on_click(lambda _b: self.ping())
        self.close_button.on_click(lambda _b: self.close_connection())
        self.save_button.on_click(lambda _b: self.save_template())
        self.delete_button.on_click(lambda _b: self.delete_template())
        self._sync_templates()
        super().__init__(
            st.panel(
                st.header(title),
                self.message,
                self.check,
                st.row(self.mode, self.prettify_button),
                st.row(self.send_as),
                st.row(self.send_button, self.ping_button, self.latency),
                st.row(self.close_code, self.close_reason, self.close_button),
                st.row(self.template, self.template_name, self.save_button, self.delete_button),
                self.status,
            )
        )
        self.add_class("wskit-panel")

    # -- where messages go --------------------------------------------------------

    def _connections(self) -> list[Any]:
        target = self.target
        if target is None:
            raise RuntimeError("nothing to send to: this composer has no target")
        if hasattr(target, "clients"):  # a server: every client
            return list(target.clients)
        if hasattr(target, "events"):  # a client transport: its current connection
            conn = getattr(target, "connection", None)
            if conn is None:
                raise RuntimeError("not connected: press Connect first")
            return [conn]
        return [target]  # a connection

    # -- the message box ----------------------------------------------------------

    def _validate(self) -> bool:
        """Check the box as it is typed: the JSON error position, or how many bytes."""
        try:
            value = parse_message(self.mode.value, self.message.value)
        except ValueError as exc:
            self.check.value = f"<pre class='wskit-err'>{st.escape(str(exc))}</pre>"
            return False
        if self.mode.value == "text" or not self.message.value:
            self.check.value = ""
        else:
            self.check.value = st.note_html(f"{len(value)} bytes" if isinstance(value, bytes) else "valid JSON")
        return True

    def prettify(self) -> None:
        """Re-indent the JSON in the box (when it is valid)."""
        if self.mode.value != "JSON" or not self._validate():
            return
        self.message.value = json.dumps(json.loads(self.message.value), indent=2, ensure_ascii=False)

    def _payload(self) -> tuple[str | bytes, Frame]:
        """The raw message and the frame the box describes."""
        value = parse_message(self.mode.value, self.message.value)
        if isinstance(value, str) and self.mode.value == "text":
            return value, TextFrame(value)
        if self.mode.value == "JSON":
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False), MessageFrame(value)
        if not isinstance(value, bytes):
            raise TypeError(f"mode {self.mode.value} gave {type(value).__name__}, not bytes")
        return value, BinaryFrame(value)

    # -- buttons ----------------------------------------------------------------------

    def send_message(self) -> None:
        """What ``Send`` does: send the message (raw or as a frame)."""
        try:
            raw, frame = self._payload()
            target = self.target
            as_frame = self.send_as.value == "frame"
            if target is not None and hasattr(target, "broadcast"):
                coro = self._broadcast(target, frame if as_frame else raw)
            else:
                (conn,) = self._connections()
                coro = self._send_one(conn, frame if as_frame else raw)
        except Exception as exc:
            self._error(exc, "Send")
            return
        schedule(coro, lambda e: self._error(e, "Send"), "wskit.widgets.send")

    async def _send_one(self, conn: Any, item: str | bytes | Frame) -> None:
        if isinstance(item, str):
            await conn.send_text(item)
            what = _describe(item)
        elif isinstance(item, bytes):
            await conn.send_bytes(item)
            what = _describe(item)
        else:
            await conn.send(item)
            what = str(item)
        self.status.value = st.note_html(f"sent {what} on #{conn.id}")

    async def _broadcast(self, server: Any, item: str | bytes | Frame) -> None:
        count = await server.broadcast(item)
        self.status.value = st.note_html(f"broadcast to {count} client{'s' if count != 1 else ''}")

    def ping(self) -> None:
        """What ``Ping`` does: ping, then show the round trip."""
        try:
            conns = self._connections()
        except Exception as exc:
            self._error(exc, "Ping")
            return
        schedule(self._ping(conns), lambda e: self._error(e, "Ping"), "wskit.widgets.ping")

    async def _ping(self, conns: list[Any]) -> None:
        if not conns:
            self.latency.value = '<span class="wskit-dim">ping: no clients</span>'
            return
        rtts = [await conn.ping() for conn in conns]
        if len(rtts) == 1:
            text = f"ping: {rtts[0] * 1000:.2f} ms"
        else:
            text = f"ping: {len(rtts)} clients, {min(rtts) * 1000:.2f}–{max(rtts) * 1000:.2f} ms"
        self.latency.value = f'<span class="wskit-ok">{st.escape(text)}</span>'

    def close_connection(self) -> None:
        """What ``Close`` does: close with the chosen code and reason."""
        code, reason = self.close_code.value, self.close_reason.value
        try:
            conns = self._connections()
        except Exception as exc:
            self._error(exc, "Close")
            return

        async def close_all() -> None:
            for conn in conns:
                await conn.close(code, reason)
            self.status.value = st.note_html(f"closed {len(conns)} connection(s) with {code} {reason!r}")

        schedule(close_all(), lambda e: self._error(e, "Close"), "wskit.widgets.close")

    # -- templates ----------------------------------------------------------------------

    def save_template(self, name: str | None = None) -> None:
        """Save (or overwrite) the message as template ``name`` (default: the name box)."""
        name = (name if name is not None else self.template_name.value).strip()
        if not name:
            self.status.value = st.note_html("give the template a name first", ok=False)
            return
        self.templates[name] = (self.mode.value, self.message.value)
        self._sync_templates()
        self.template.value = name
        self.status.value = st.note_html(f"saved template {name!r}")

    def delete_template(self) -> None:
        """Forget the selected template."""
        name = self.template.value
        if name:
            self.templates.pop(name, None)
            self._sync_templates()
            self.status.value = st.note_html(f"deleted template {name!r}")

    def _sync_templates(self) -> None:
        self.template.options = ["", *self.templates]

    def _load_template(self) -> None:
        name = self.template.value
        if not name or name not in self.templates:
            return
        mode, text = self.templates[name]
        self.template_name.value = name
        with self.hold_sync():
            self.mode.value = mode
            self.message.value = text

    def _error(self, exc: BaseException, doing: str) -> None:
        self.status.value = st.error_html(exc, doing)
