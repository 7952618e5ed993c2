"""``SerializerLab``: try a serializer on a frame, see the bytes, decode them back.

Pick a built-in serializer (every serializer class ``wskit.serializers``
exports is listed, so new ones appear by themselves) or pass your own object
or class from a cell. Type a frame (text, a JSON message, generated audio, or
binary as hex), see the WebSocket message it becomes (length and hex dump),
the frame it decodes back to, and a field-by-field comparison. Errors show
inline with their traceback. ``Attach`` puts a fresh instance of the
serializer on a live transport (after its optional ``setup(params)``), and
the lab then shows that transport's error events as they happen. The
``paste bytes`` mode decodes a message pasted as hex or base64.

The logic is :class:`wskit.serializer_lab.Lab`'s (``lab.round_trip(frame)``,
``lab.decode_bytes(data)``, ``lab.model.errors``): the widget only shows it.
"""

from __future__ import annotations

import inspect
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]  # no type information

from .. import runtime
from .._text import hexdump
from ..events import Event
from ..frames import Frame
from ..serializer_lab import FRAME_KINDS, IDENTITY_FIELDS, Lab, LabResult, compare_frames, make_frame
from ..serializers import describe
from . import _style as st
from ._tasks import schedule

__all__ = ["FRAME_KINDS", "PASTE", "SerializerLab", "builtin_serializers", "compare_frames"]

#: The editor mode that decodes pasted bytes instead of building a frame.
PASTE = "paste bytes"
_IDENTITY = IDENTITY_FIELDS


def builtin_serializers() -> dict[str, type]:
    """Every serializer class ``wskit.serializers`` exports, by name."""
    import wskit.serializers as package

    found: dict[str, type] = {}
    for name in getattr(package, "__all__", dir(package)):
        obj = getattr(package, name, None)
        if (
            inspect.isclass(obj)
            and not getattr(obj, "_is_protocol", False)
            and callable(getattr(obj, "serialize", None))
            and callable(getattr(obj, "deserialize", None))
        ):
            found[name] = obj
    if "RawSerializer" in found:  # the transports' default comes first
        found = {"RawSerializer": found.pop("RawSerializer"), **found}
    return found


def _label(transport: Any) -> str:
    """How a transport is named in the menu (a client's query string, which may hold a token, left out)."""
    if hasattr(transport, "clients"):
        where = transport.url if transport.running else "stopped"
        return f"server {where}"
    uri = getattr(transport, "uri", "")
    return f"client {uri.split('?', 1)[0]}"


class SerializerLab(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Encode a frame, look at the bytes, decode them back, compare.

    Args:
        serializer: your serializer object or class (a class is instantiated
            with no arguments); ``None`` starts with the first built-in.
        transport: the transport ``Attach`` targets first (any running
            wskit transport can be picked).
    """

    def __init__(self, serializer: Any = None, *, transport: Any = None) -> None:
        self.builtins = builtin_serializers()
        self._custom: dict[str, Any] = {}
        self._labs: dict[str, Lab] = {}  # the model behind each serializer in the menu
        self.result: LabResult | None = None
        self.serializer: Any = None
        self.frame: Frame | None = None
        self.decoded: Frame | None = None
        self.message: str | bytes | None = None
        self._transport = transport
        self.choice = widgets.Dropdown(
            options=list(self.builtins), description="serializer", layout=widgets.Layout(width="320px")
        )
        self.kind = widgets.ToggleButtons(options=[*FRAME_KINDS, PASTE], value="text", description="frame")
        self.kind.style.button_width = "125px"
        self.text = widgets.Textarea(
            value="hello", description="content", layout=widgets.Layout(width="min(100%, 560px)", height="64px")
        )
        self.freq = widgets.FloatText(value=440.0, description="Hz", layout=widgets.Layout(width="160px"))
        self.duration_ms = widgets.BoundedIntText(
            value=20, min=1, max=10_000, description="ms", layout=widgets.Layout(width="140px")
        )
        self.sample_rate = widgets.Dropdown(
            options=[8000, 16000, 24000, 48000], value=16000, description="rate", layout=widgets.Layout(width="160px")
        )
        self.audio_row = st.row(self.freq, self.duration_ms, self.sample_rate)
        self.encoded = widgets.HTML()
        self.comparison = widgets.HTML()
        self.status = widgets.HTML()
        self.live_errors = widgets.HTML()  # error events of the transports this lab attached to
        self.target = widgets.Dropdown(description="transport", layout=widgets.Layout(width="420px"))
        self.attach_button = st.button("Attach", "use this serializer on the chosen live transport", "primary")
        self.attach_button.on_click(lambda _b: self.attach())
        for control in (self.choice, self.kind, self.text, self.freq, self.duration_ms, self.sample_rate):
            control.observe(lambda _c: self.run(), names="value")
        self.kind.observe(lambda _c: self._show_fields(), names="value")
        super().__init__(
            st.panel(
                st.header("Serializer lab"),
                self.choice,
                self.kind,
                self.text,
                self.audio_row,
                self.status,
                self.encoded,
                self.comparison,
                st.row(self.target, self.attach_button),
                self.live_errors,
            )
        )
        self.add_class("wskit-panel")
        self._show_fields()
        self.refresh_transports()
        if serializer is not None:
            self.use(serializer)
        else:
            self.run()

    # -- choosing ------------------------------------------------------------------

    def use(self, serializer: Any, name: str | None = None) -> None:
        """Add your serializer (object or class) to the list and select it."""
        try:
            model = self._lab_for(serializer, name)
        except Exception as exc:
            self.status.value = st.error_html(exc, "using your serializer")
            return
        label = f"{model.name} (yours)"
        self._labs[label] = model
        self._custom[label] = model.serializer
        self.choice.options = [*self.builtins, *(k for k in self._custom if k not in self.builtins)]
        if self.choice.value == label:
            self.run()
        else:
            self.choice.value = label  # runs through the observer

    def _current(self) -> Any:
        """The selected serializer (built-ins are made once, then reused)."""
        return self.model.serializer

    @property
    def model(self) -> Lab:
        """The :class:`~wskit.serializer_lab.Lab` of the selected serializer."""
        label = self.choice.value
        if label not in self._labs:
            self._labs[label] = self._lab_for(self.builtins[label], None)
            self._custom[label] = self._labs[label].serializer
        return self._labs[label]

    def _lab_for(self, serializer: Any, name: str | None) -> Lab:
        """A model for ``serializer``; it re-attaches a re-run cell's new class where the old one was."""
        model = Lab(serializer, name=name)
        model.listeners.append(self._show_error_event)
        return model

    # -- the headless API ------------------------------------------------------------

    async def round_trip(self, frame: Frame) -> LabResult:
        """Encode ``frame`` with the selected serializer, decode it back, compare (no widget involved)."""
        return await self.model.round_trip(frame)

    async def decode_bytes(self, data: str | bytes, as_: str = "auto") -> LabResult:
        """Decode a message pasted as hex, base64 or text with the selected serializer."""
        return await self.model.decode_bytes(data, as_)  # type: ignore[arg-type]

    @property
    def errors(self) -> list[Event]:
        """The error events of the transports this serializer was attached to, oldest first."""
        return list(self.model.errors)

    def _show_error_event(self, event: Event) -> None:
        shown = "".join(f"<div>{st.escape(e.summary)}</div>" for e in list(self.model.errors)[-5:])
        self.live_errors.value = f"<div class='wskit-err'>live errors ({len(self.model.errors)}):</div>{shown}"

    def _show_fields(self) -> None:
        audio = self.kind.value == "audio (sine)"
        self.audio_row.layout.display = "flex" if audio else "none"
        self.text.layout.display = "none" if audio or self.kind.value == "interruption" else "flex"

    def _build_frame(self) -> Frame:
        return make_frame(
            self.kind.value,
            self.text.value,
            freq=self.freq.value,
            duration_ms=self.duration_ms.value,
            sample_rate=self.sample_rate.value,
        )

    # -- the round trip --------------------------------------------------------------

    def run(self) -> None:
        """Encode the frame, decode it back, and show both (runs on every change)."""
        if self.kind.value == PASTE:
            self.serializer = self._current()
            schedule(self._decode_pasted(), lambda e: self._fail(e, "decoding"), "wskit.widgets.lab")
            return
        try:
            self.serializer = self._current()
            frame = self._build_frame()
        except Exception as exc:
            self._fail(exc, "building the frame")
            return
        schedule(self._round_trip(self.serializer, frame), lambda e: self._fail(e, "round trip"), "wskit.widgets.lab")

    async def _decode_pasted(self) -> None:
        self.frame = self.decoded = self.message = None
        self.result = result = await self.model.decode_bytes(self.text.value)
        self.message, self.decoded = result.message, result.decoded
        with self.hold_sync():
            self.encoded.value = "" if result.message is None else self._encoded_html(result.message)
            if result.error is not None:
                self._fail(result.error.exception, result.error.stage)
                return
            body = "".join(f"<tr><td>{st.escape(r.name)}</td><td>{st.escape(r.decoded)}</td></tr>" for r in result.rows)
            self.comparison.value = (
                f"{st.note_html(result.headline)}<table class='wskit-table wskit-mono'>"
                f"<tr class='wskit-dim'><th>field</th><th>decoded</th></tr>{body}</table>"
            )
            self.status.value = st.note_html(f"{result.serializer}: pasted {result.message_size} bytes")

    async def _round_trip(self, serializer: Any, frame: Frame) -> None:
        self.frame = frame
        self.message = self.decoded = None
        self.result = result = await self.model.round_trip(frame)
        if result.error is not None and result.message is None:
            self._fail(result.error.exception, result.error.stage)
            return
        assert result.message is not None
        message = result.message
        self.message = message
        encoded = self._encoded_html(message)
        if result.error is not None:
            with self.hold_sync():
                self.encoded.value = encoded
                self._fail(result.error.exception, "deserialize")
            return
        decoded = result.decoded
        self.decoded = decoded
        rows = result.rows
        same = [r for r in rows if r[0] not in _IDENTITY]
        differ = [r[0] for r in same if not r[3]]
        skipped = [r[0] for r in rows if r[0] in _IDENTITY]
        note = f" ({' and '.join(skipped)}: new for every frame, not compared)" if skipped else ""
        verdict = (
            st.note_html(f"round trip: all {len(same)} compared fields equal{note}")
            if not differ
            else st.note_html(f"round trip: {', '.join(differ)} differ{note}", ok=False)
        )

        def mark(name: str, ok: bool) -> str:
            if name in _IDENTITY:
                return "<td class='wskit-dim' title='not compared: new for every frame'>·</td>"
            return f"<td class='{'wskit-ok' if ok else 'wskit-err'}'>{'=' if ok else '≠'}</td>"

        body = "".join(
            f"<tr><td>{st.escape(name)}</td><td>{st.escape(a)}</td>{mark(name, ok)}<td>{st.escape(b)}</td></tr>"
            for name, a, b, ok in rows
        )
        table = (
            f"{verdict}<table class='wskit-table wskit-mono' style='width: auto'><tr><th>field</th><th>frame</th>"
            f"<th></th><th>decoded</th></tr>{body}</table>"
        )
        with self.hold_sync():
            self.encoded.value = encoded
            self.comparison.value = table
            self.status.value = st.note_html(
                f"{describe(serializer)}: {frame} → {len(message)} "
                f"{'chars' if isinstance(message, str) else 'bytes'} → {decoded}"
            )

    @staticmethod
    def _encoded_html(message: str | bytes) -> str:
        if isinstance(message, str):
            data = message.encode()
            head = f"text message · {len(data)} bytes (UTF-8), {len(message)} chars"
            text = f"<pre>{st.escape(message[:4096])}</pre>"
        else:
            data = message
            head = f"binary message · {len(data)} bytes"
            text = ""
        return f"<div class='wskit-dim'>{st.escape(head)}</div>{text}<pre>{st.escape(hexdump(data, limit=1024))}</pre>"

    def _fail(self, exc: BaseException, doing: str) -> None:
        with self.hold_sync():
            self.comparison.value = ""
            if doing != "deserialize":
                self.encoded.value = ""
            self.status.value = st.error_html(exc, doing)

    # -- attaching ----------------------------------------------------------------------

    def refresh_transports(self) -> None:
        """List the running transports (and the one given) as ``Attach`` targets."""
        found = [t for t in runtime.transports() if hasattr(t, "serializer")]
        if self._transport is not None and self._transport not in found:
            found.insert(0, self._transport)
        current = self.target.value
        self.target.options = [(_label(t), t) for t in found]
        if current in found:
            self.target.value = current
        elif self._transport is not None:
            self.target.value = self._transport

    def attach(self, transport: Any = None) -> None:
        """What ``Attach`` does: ``setup(params)`` the serializer, then swap it in."""
        self.refresh_transports()
        target = transport if transport is not None else self.target.value
        if target is None:
            self.status.value = st.note_html("no transport to attach to: start one, or pass transport=", ok=False)
            return
        try:
            model = self.model
        except Exception as exc:
            self._fail(exc, "Attach")
            return

        async def swap() -> None:
            # a fresh instance per transport: a stateful serializer is never shared between two
            fresh = await model.attach(target)
            self.status.value = st.note_html(f"attached {describe(fresh)} (a new instance) to {_label(target)}")

        schedule(swap(), lambda e: self._fail(e, "Attach"), "wskit.widgets.attach")
