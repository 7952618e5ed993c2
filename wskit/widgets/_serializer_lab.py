"""``SerializerLab``: try a serializer on a frame, see the bytes, decode them back.

Pick a built-in serializer (every serializer class ``wskit.serializers``
exports is listed, so new ones appear by themselves) or pass your own object
or class from a cell. Type a frame (text, a JSON message, generated audio, or
binary as hex), see the WebSocket message it becomes (length and hex dump),
the frame it decodes back to, and a field-by-field comparison. Errors show
inline with their traceback. ``Attach`` puts the serializer on a live
transport (after its optional ``setup(params)``).
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]  # no type information

from .. import runtime
from .. import serializers as serializer_base
from .._text import hexdump, preview
from ..frames import AudioFrame, BinaryFrame, Frame, MessageFrame, TextFrame
from . import _style as st
from ._composer import parse_message
from ._tasks import schedule

__all__ = ["FRAME_KINDS", "SerializerLab", "builtin_serializers", "compare_frames"]

FRAME_KINDS = ("text", "JSON message", "audio (sine)", "binary (hex)")
_IDENTITY = ("id", "name")


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


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return f"{len(value)} bytes {preview(value)}"
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def compare_frames(original: Frame, decoded: Frame | None) -> list[tuple[str, str, str, bool]]:
    """``(field, original, decoded, equal)`` for every field of either frame, the type first."""
    if decoded is None:
        return [("type", type(original).__name__, "None (skipped)", False)]
    rows = [("type", type(original).__name__, type(decoded).__name__, type(original) is type(decoded))]
    names = [f.name for f in dataclasses.fields(original)]
    names += [f.name for f in dataclasses.fields(decoded) if f.name not in names]
    missing = object()
    for name in names:
        a, b = getattr(original, name, missing), getattr(decoded, name, missing)
        rows.append(
            (name, "–" if a is missing else _show(a), "–" if b is missing else _show(b), a is not missing and a == b)
        )
    return rows


def sine(freq: float, duration_ms: int, sample_rate: int, amplitude: float = 0.3) -> AudioFrame:
    """A mono int16 sine as an :class:`~wskit.frames.AudioFrame`."""
    import numpy as np

    n = max(1, int(sample_rate * duration_ms / 1000))
    t = np.arange(n) / sample_rate
    samples = np.round(amplitude * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)
    return AudioFrame.from_samples(samples, sample_rate)


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
        self.serializer: Any = None
        self.frame: Frame | None = None
        self.decoded: Frame | None = None
        self.message: str | bytes | None = None
        self._transport = transport
        self.choice = widgets.Dropdown(
            options=list(self.builtins), description="serializer", layout=widgets.Layout(width="320px")
        )
        self.kind = widgets.ToggleButtons(options=list(FRAME_KINDS), value="text", description="frame")
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
            obj = serializer() if inspect.isclass(serializer) else serializer
            if not callable(getattr(obj, "serialize", None)) or not callable(getattr(obj, "deserialize", None)):
                raise TypeError(f"{type(obj).__name__} has no serialize/deserialize methods: not a serializer")
        except Exception as exc:
            self.status.value = st.error_html(exc, "using your serializer")
            return
        label = f"{name or serializer_base.describe(obj)} (yours)"
        self._custom[label] = obj
        self.choice.options = [*self.builtins, *(k for k in self._custom if k not in self.builtins)]
        if self.choice.value == label:
            self.run()
        else:
            self.choice.value = label  # runs through the observer

    def _current(self) -> Any:
        """The selected serializer (built-ins are made once, then reused)."""
        label = self.choice.value
        if label not in self._custom:
            self._custom[label] = self.builtins[label]()
        return self._custom[label]

    def _show_fields(self) -> None:
        audio = self.kind.value == "audio (sine)"
        self.audio_row.layout.display = "flex" if audio else "none"
        self.text.layout.display = "none" if audio else "flex"

    def _build_frame(self) -> Frame:
        kind = self.kind.value
        if kind == "text":
            return TextFrame(self.text.value)
        if kind == "JSON message":
            return MessageFrame(parse_message("JSON", self.text.value))
        if kind == "binary (hex)":
            value = parse_message("hex", self.text.value)
            assert isinstance(value, bytes)
            return BinaryFrame(value)
        return sine(self.freq.value, self.duration_ms.value, self.sample_rate.value)

    # -- the round trip --------------------------------------------------------------

    def run(self) -> None:
        """Encode the frame, decode it back, and show both (runs on every change)."""
        try:
            self.serializer = self._current()
            frame = self._build_frame()
        except Exception as exc:
            self._fail(exc, "building the frame")
            return
        schedule(self._round_trip(self.serializer, frame), lambda e: self._fail(e, "round trip"), "wskit.widgets.lab")

    async def _round_trip(self, serializer: Any, frame: Frame) -> None:
        self.frame = frame
        self.message = self.decoded = None
        try:
            message = await serializer_base.encode(serializer, frame)
        except Exception as exc:
            self._fail(exc, "serialize")
            return
        self.message = message
        encoded = self._encoded_html(message)
        try:
            decoded = await serializer_base.decode(serializer, message)
        except Exception as exc:
            with self.hold_sync():
                self.encoded.value = encoded
                self._fail(exc, "deserialize")
            return
        self.decoded = decoded
        rows = compare_frames(frame, decoded)
        same = [r for r in rows if r[0] not in _IDENTITY]
        differ = [r[0] for r in same if not r[3]]
        verdict = (
            st.note_html(f"round trip: all {len(same)} fields equal")
            if not differ
            else st.note_html(f"round trip: {', '.join(differ)} differ", ok=False)
        )
        body = "".join(
            f"<tr><td>{st.escape(name)}</td><td>{st.escape(a)}</td><td>{st.escape(b)}</td>"
            f"<td class='{'wskit-ok' if ok else 'wskit-dim' if name in _IDENTITY else 'wskit-err'}'>"
            f"{'=' if ok else '≠'}</td></tr>"
            for name, a, b, ok in rows
        )
        table = (
            f"{verdict}<table class='wskit-table wskit-mono'><tr class='wskit-dim'><th>field</th><th>frame</th>"
            f"<th>decoded</th><th></th></tr>{body}</table>"
        )
        with self.hold_sync():
            self.encoded.value = encoded
            self.comparison.value = table
            self.status.value = st.note_html(
                f"{serializer_base.describe(serializer)}: {frame} → {len(message)} "
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
            serializer = self._current()
        except Exception as exc:
            self._fail(exc, "Attach")
            return

        async def swap() -> None:
            await serializer_base.setup(serializer, serializer_base.AudioFormat.from_params(target.params))
            target.serializer = serializer
            self.status.value = st.note_html(f"attached {serializer_base.describe(serializer)} to {target!r}")

        schedule(swap(), lambda e: self._fail(e, "Attach"), "wskit.widgets.attach")
