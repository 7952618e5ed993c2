"""The bytes of one WebSocket frame, field by field (RFC 6455 §5.2).

:func:`encode` builds the exact bytes of a frame; :func:`decode` takes bytes
apart into a :class:`FrameAnatomy` that prints as text and renders as an
annotated byte diagram in Jupyter. Valid frames are built with websockets'
Sans-I/O frame layer and checked with its parser; because that parser rejects
malformed frames outright, :func:`decode` reads the header fields itself and
says *why* a frame is malformed (reserved bits, masking direction, control
frames that are too long or fragmented, bad UTF-8, truncation).

:func:`masking` shows the XOR of §5.3 byte by byte; :func:`fragment` and
:func:`reassemble` split a message into continuation frames (§5.4) with a
control frame in the middle, and put it back together.
"""

from __future__ import annotations

import codecs
import html
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from websockets.exceptions import PayloadTooBig, ProtocolError
from websockets.frames import CLOSE_CODE_EXPLANATIONS, CloseCode, Frame, Opcode
from websockets.streams import StreamReader
from websockets.utils import apply_mask

from .._text import hex_preview
from ..closecodes import is_sendable, parse_close
from ._display import BOX, CELL, TABLE, Shown

__all__ = [
    "FrameAnatomy",
    "Masking",
    "Problem",
    "Reassembly",
    "decode",
    "encode",
    "fragment",
    "masking",
    "parse_frames",
    "reassemble",
]

# opcode names (RFC 6455 §5.2, §11.8) are websockets' Opcode member names
_BY_NAME = {opcode.name: int(opcode) for opcode in Opcode}
_BY_NAME["CONTINUATION"] = Opcode.CONT
_OPCODES = frozenset(int(opcode) for opcode in Opcode)
# what a receiver fails the connection with (RFC 6455 §7.4.1)
_PROTOCOL = CloseCode.PROTOCOL_ERROR
_INVALID = CloseCode.INVALID_DATA
_RFC = "https://www.rfc-editor.org/rfc/rfc6455"


def _opcode(value: int | str) -> int:
    if isinstance(value, str):
        try:
            return _BY_NAME[value.upper()]
        except KeyError:
            raise ValueError(f"unknown opcode name {value!r}; known: {', '.join(o.name for o in Opcode)}") from None
    if not 0 <= int(value) <= 0xF:
        raise ValueError(f"an opcode is 4 bits (0-15), not {value}")
    return int(value)


def encode(
    opcode: int | str,
    payload: bytes | str = b"",
    fin: bool = True,
    rsv: tuple[int, int, int] = (0, 0, 0),
    mask: bytes | None = None,
) -> bytes:
    """The exact bytes of one frame (RFC 6455 §5.2).

    A valid frame is serialized by websockets' frame layer. Frames that
    break the rules (reserved bits set, an unknown opcode, a control frame
    that is fragmented or longer than 125 bytes) are packed field by field
    instead, so that they can be studied with :func:`decode` or sent to a
    peer to watch it refuse them.

    Args:
        opcode: ``0x1`` or ``"TEXT"``, ``0x2``/``"BINARY"``, ``0x0``/``"CONT"``,
            ``0x8``/``"CLOSE"``, ``0x9``/``"PING"``, ``0xA``/``"PONG"``.
        payload: the (unmasked) payload; ``str`` is encoded as UTF-8.
        fin: the FIN bit: last frame of a message.
        rsv: the RSV1, RSV2, RSV3 bits (RSV1 marks permessage-deflate).
        mask: a 4-byte masking key (§5.3: clients mask every frame), or
            ``None`` for an unmasked (server) frame.
    """
    code = _opcode(opcode)
    data = payload.encode() if isinstance(payload, str) else bytes(payload)
    if mask is not None and len(mask) != 4:
        raise ValueError(f"a masking key is 4 bytes, not {len(mask)}")
    rsv1, rsv2, rsv3 = (bool(bit) for bit in rsv)
    try:
        frame = Frame(Opcode(code), data, fin, rsv1, rsv2, rsv3)
        unmasked = frame.serialize(mask=False)
    except (ValueError, ProtocolError):
        unmasked = _pack(code, data, fin, (rsv1, rsv2, rsv3))
    if mask is None:
        return unmasked
    header = bytearray(unmasked[: len(unmasked) - len(data)])
    header[1] |= 0x80
    return bytes(header) + bytes(mask) + apply_mask(data, mask)


def _pack(opcode: int, data: bytes, fin: bool, rsv: tuple[bool, bool, bool]) -> bytes:
    """Header fields packed by hand, for frames websockets refuses to build."""
    head1 = (0x80 if fin else 0) | (0x40 if rsv[0] else 0) | (0x20 if rsv[1] else 0) | (0x10 if rsv[2] else 0) | opcode
    length = len(data)
    if length < 126:
        header = struct.pack("!BB", head1, length)
    elif length < 65536:
        header = struct.pack("!BBH", head1, 126, length)
    else:
        header = struct.pack("!BBQ", head1, 127, length)
    return header + data


class Problem(NamedTuple):
    """One rule a frame breaks.

    Attributes:
        message: what is wrong, in plain words.
        section: the RFC 6455 section that states the rule.
        close_code: the close code a receiver fails the connection with
            (1002 protocol error, 1007 invalid data), or ``None`` when the
            frame is only incomplete.
    """

    message: str
    section: str
    close_code: int | None


@dataclass(repr=False)
class FrameAnatomy(Shown):
    """One frame taken apart. Print it, or show it in Jupyter for a diagram.

    Attributes:
        data: the bytes decoded (this frame only; see :attr:`rest`).
        fin, rsv1, rsv2, rsv3: the flag bits of byte 0.
        opcode: the 4-bit opcode; :attr:`opcode_name` its name.
        masked: the MASK bit of byte 1.
        length: the payload length; :attr:`length_form` says how it was
            written: ``"7-bit"`` (0-125 in byte 1), ``"16-bit"`` (126, then 2
            bytes) or ``"64-bit"`` (127, then 8 bytes).
        masking_key: the 4-byte key, when masked.
        header_length: bytes before the payload.
        masked_payload: the payload as sent (masked when :attr:`masked`).
        payload: the payload after unmasking.
        problems: every rule the frame breaks; empty for a valid frame.
        rest: bytes that follow the frame (the next frame, usually).
        websockets_verdict: what websockets' own parser says: ``"accepted"``
            or its error message.
    """

    data: bytes
    fin: bool = False
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False
    opcode: int = 0
    masked: bool = False
    length: int = 0
    length_form: str = "7-bit"
    masking_key: bytes | None = None
    header_length: int = 0
    masked_payload: bytes = b""
    payload: bytes = b""
    problems: list[Problem] = field(default_factory=list)
    rest: bytes = b""
    websockets_verdict: str = ""

    @property
    def opcode_name(self) -> str:
        if self.opcode in _OPCODES:
            return Opcode(self.opcode).name
        return "reserved (control)" if self.opcode & 0x8 else "reserved (data)"

    @property
    def is_control(self) -> bool:
        """Control frames (close, ping, pong) have the high opcode bit set (§5.5)."""
        return bool(self.opcode & 0x8)

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def complete(self) -> bool:
        return not any(p.close_code is None for p in self.problems)

    @property
    def close_code(self) -> int | None:
        """The code a receiver would close with, for an invalid frame."""
        codes = [p.close_code for p in self.problems if p.close_code is not None]
        return codes[0] if codes else None

    @property
    def text(self) -> str | None:
        """The payload decoded as UTF-8, or ``None`` when it is not valid UTF-8."""
        try:
            return self.payload.decode()
        except UnicodeDecodeError:
            return None

    @property
    def close(self) -> tuple[int, str] | None:
        """``(code, reason)`` of a CLOSE frame whose payload carries a code (even one that may not be sent)."""
        close = parse_close(self.payload) if self.opcode == Opcode.CLOSE else None
        return None if close is None else (int(close.code), close.reason)

    # -- the rows both renderings share --------------------------------------

    def rows(self) -> list[tuple[str, str, str, str]]:
        """``(bytes, hex, field, meaning)`` rows, in wire order."""
        out: list[tuple[str, str, str, str]] = []
        if not self.data:
            return out
        b0 = self.data[0]
        flags = (
            f"FIN={int(self.fin)} RSV1={int(self.rsv1)} RSV2={int(self.rsv2)} RSV3={int(self.rsv3)} "
            f"opcode=0x{self.opcode:x}"
        )
        fin_meaning = "last frame of the message" if self.fin else "more frames of this message follow"
        out.append(("0", f"{b0:02x} {b0:08b}", flags, f"{fin_meaning}; {self.opcode_name}"))
        if len(self.data) < 2:
            return out
        b1 = self.data[1]
        seven = b1 & 0x7F
        len_meaning = {126: "126: the length follows in 2 bytes", 127: "127: the length follows in 8 bytes"}.get(
            seven, f"payload length {seven}"
        )
        mask_meaning = "payload masked" if self.masked else "payload not masked"
        out.append(
            ("1", f"{b1:02x} {b1:08b}", f"MASK={int(self.masked)} len={seven}", f"{mask_meaning}; {len_meaning}")
        )
        pos = 2
        if self.length_form != "7-bit":
            width = 2 if self.length_form == "16-bit" else 8
            chunk = self.data[pos : pos + width]
            meaning = f"{self.length} bytes" if len(chunk) == width else f"truncated: {len(chunk)} of {width} bytes"
            out.append((_span(pos, width), chunk.hex(" "), f"extended length ({self.length_form})", meaning))
            pos += width
        if not self.header_length:  # the header itself is truncated
            if self.masked and len(self.data) > pos:
                out.append((_span(pos, len(self.data) - pos), self.data[pos:].hex(" "), "masking key", "truncated"))
            return out
        if self.masked:
            chunk = self.data[pos : pos + 4]
            out.append((_span(pos, 4), chunk.hex(" "), "masking key", "XORed over the payload, byte i with key[i % 4]"))
            pos += 4
        if self.length or self.masked_payload:
            shown = hex_preview(self.masked_payload, 32)
            what = "masked payload" if self.masked else "payload"
            out.append((_span(pos, len(self.masked_payload)), shown, what, self._payload_meaning()))
        return out

    def _payload_meaning(self) -> str:
        unmasked = f"unmasked: {hex_preview(self.payload, 32)}; " if self.masked else ""
        if self.opcode == Opcode.CLOSE and self.close is not None:
            code, reason = self.close
            return f"{unmasked}close code {code} ({_explain(code)}), reason {reason!r}"
        text = self.text
        if text is not None and (self.opcode == 0x1 or all(c.isprintable() or c.isspace() for c in text)):
            return f"{unmasked}{_short(repr(text))}"
        return unmasked.rstrip("; ") or f"{len(self.payload)} bytes"

    def verdict(self) -> str:
        if self.valid:
            return f"valid {self.opcode_name} frame, {self.header_length + self.length} bytes"
        return "; ".join(
            f"{p.message} (§{p.section}{', close ' + str(p.close_code) if p.close_code else ''})" for p in self.problems
        )

    def __str__(self) -> str:
        rows = self.rows()
        width = max((len(r[0]) for r in rows), default=1)
        lines = [f"{'byte'.ljust(width + 5)} {'value':<23} field"]
        for span, value, name, meaning in rows:
            lines.append(f"{span:<{width + 5}} {_short(value, 23):<23} {name}: {meaning}")
        lines.append(("OK: " if self.valid else "MALFORMED: ") + self.verdict())
        if self.rest:
            lines.append(f"{len(self.rest)} more bytes follow (the next frame)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return _html(self)


def _span(start: int, width: int) -> str:
    return str(start) if width <= 1 else f"{start}-{start + width - 1}"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _explain(code: int) -> str:
    if 3000 <= code < 4000:
        return "registered with IANA"
    if 4000 <= code < 5000:
        return "private use"
    return CLOSE_CODE_EXPLANATIONS.get(code, "unknown")


# -- decoding -------------------------------------------------------------------


def decode(data: bytes, *, from_client: bool | None = None, deflate: bool = False) -> FrameAnatomy:
    """Take the first frame in ``data`` apart, field by field (RFC 6455 §5.2).

    Args:
        data: the bytes, starting at a frame's first byte.
        from_client: ``True`` if a client sent it (it must be masked),
            ``False`` if a server did (it must not be), ``None`` to not judge.
        deflate: permessage-deflate was negotiated, so RSV1 may mark a
            compressed message (RFC 7692 §6).

    Returns:
        the breakdown; ``problems`` lists every rule the frame breaks.
    """
    data = bytes(data)
    a = FrameAnatomy(data=data)
    problems = a.problems
    if len(data) < 2:
        problems.append(Problem(f"truncated: {len(data)} of at least 2 header bytes", "5.2", None))
        a.websockets_verdict = "incomplete"
        return a
    b0, b1 = data[0], data[1]
    a.fin, a.rsv1, a.rsv2, a.rsv3 = bool(b0 & 0x80), bool(b0 & 0x40), bool(b0 & 0x20), bool(b0 & 0x10)
    a.opcode = b0 & 0x0F
    a.masked = bool(b1 & 0x80)
    seven = b1 & 0x7F
    pos = 2
    a.length = seven
    if seven >= 126:
        width = 2 if seven == 126 else 8
        a.length_form = "16-bit" if seven == 126 else "64-bit"
        if len(data) < pos + width:
            problems.append(Problem(f"truncated: the {a.length_form} length needs {width} more bytes", "5.2", None))
            a.websockets_verdict = "incomplete"
            return a
        a.length = int.from_bytes(data[pos : pos + width], "big")
        pos += width
    if a.masked:
        if len(data) < pos + 4:
            problems.append(Problem("truncated: the masking key needs 4 bytes", "5.2", None))
            a.websockets_verdict = "incomplete"
            return a
        a.masking_key = data[pos : pos + 4]
        pos += 4
    a.header_length = pos
    a.masked_payload = data[pos : pos + a.length]
    a.payload = apply_mask(a.masked_payload, a.masking_key) if a.masking_key else a.masked_payload
    a.rest = data[pos + a.length :]
    _check(a, from_client, deflate)
    if len(a.masked_payload) < a.length:
        problems.append(Problem(f"truncated: {len(a.masked_payload)} of {a.length} payload bytes", "5.2", None))
    a.websockets_verdict = _websockets_verdict(data[: pos + a.length], a.masked, deflate)
    return a


def _check(a: FrameAnatomy, from_client: bool | None, deflate: bool) -> None:
    """Every field-level rule of RFC 6455 §5 (and RFC 7692 for RSV1)."""
    add = a.problems.append
    if a.opcode not in _OPCODES:
        add(Problem(f"opcode 0x{a.opcode:x} is reserved: no frame may use it", "5.2", _PROTOCOL))
    if a.rsv1 and not (deflate and a.opcode in (0x1, 0x2)):
        why = "on a control or continuation frame" if deflate else "but no extension was negotiated"
        add(Problem(f"RSV1 is set {why} (permessage-deflate uses it on a message's first frame)", "5.2", _PROTOCOL))
    if a.rsv2 or a.rsv3:
        add(Problem("RSV2/RSV3 are set but no extension defines them", "5.2", _PROTOCOL))
    if from_client is True and not a.masked:
        add(Problem("a client must mask every frame it sends; this one is not masked", "5.1", _PROTOCOL))
    if from_client is False and a.masked:
        add(Problem("a server must not mask the frames it sends; this one is masked", "5.1", _PROTOCOL))
    minimal = "7-bit" if a.length < 126 else "16-bit" if a.length < 65536 else "64-bit"
    if a.length_form != minimal:
        add(
            Problem(
                f"length {a.length} written in the {a.length_form} form: the minimal form is required", "5.2", _PROTOCOL
            )
        )
    if a.length_form == "64-bit" and a.length >> 63:
        add(Problem("the most significant bit of a 64-bit length must be 0", "5.2", _PROTOCOL))
    if a.is_control:
        if a.length > 125:
            add(Problem(f"a control frame carries at most 125 payload bytes, not {a.length}", "5.5", _PROTOCOL))
        if not a.fin:
            add(Problem("a control frame must not be fragmented (FIN must be 1)", "5.5", _PROTOCOL))
    if len(a.masked_payload) < a.length:
        return
    if a.opcode == 0x1 and not a.rsv1:
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            decoder.decode(a.payload, final=a.fin)
        except UnicodeDecodeError as exc:
            add(Problem(f"a text payload must be UTF-8: {exc.reason} at byte {exc.start}", "8.1", _INVALID))
    if a.opcode == Opcode.CLOSE:
        if len(a.payload) == 1:
            add(
                Problem(
                    "a close payload is empty or starts with a 2-byte code; this one has 1 byte", "5.5.1", _PROTOCOL
                )
            )
        elif a.close is not None:
            code = a.close[0]
            if not is_sendable(code):
                add(Problem(f"close code {code} may not be sent in a close frame", "7.4.1", _PROTOCOL))
            try:
                a.payload[2:].decode()
            except UnicodeDecodeError:
                add(Problem("a close reason must be UTF-8", "5.5.1", _INVALID))


def _websockets_verdict(data: bytes, masked: bool, deflate: bool) -> str:
    """What websockets' parser says about the same bytes (without extensions)."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=masked)
    try:
        next(parser)
    except StopIteration:
        return "accepted"
    except (ProtocolError, PayloadTooBig) as exc:
        return f"rejected: {exc}"
    except EOFError:
        return "incomplete"
    except Exception as exc:  # the parser's own checks, e.g. on a malformed close payload
        return f"rejected: {exc}"
    return "incomplete"


def parse_frames(data: bytes, *, mask: bool) -> list[Frame]:
    """Every complete frame in ``data``, parsed by websockets (which unmasks them).

    Args:
        data: back-to-back frames.
        mask: the frames are masked (they come from a client).

    Raises:
        websockets.exceptions.ProtocolError: a frame is malformed (use
            :func:`decode` to see why).
        EOFError: the data ends in the middle of a frame.
    """
    reader = StreamReader()
    reader.feed_data(bytes(data))
    reader.feed_eof()
    frames: list[Frame] = []
    while True:
        at_eof = reader.at_eof()
        try:
            next(at_eof)
        except StopIteration as stop:
            if stop.value:
                return frames
        parser = Frame.parse(reader.read_exact, mask=mask)
        try:
            next(parser)
        except StopIteration as stop:
            frames.append(stop.value)
            continue
        raise EOFError("the data ends in the middle of a frame")


# -- masking ----------------------------------------------------------------------


@dataclass(repr=False)
class Masking(Shown):
    """The XOR of RFC 6455 §5.3: ``masked[i] = payload[i] ^ key[i % 4]``.

    Masking the masked bytes with the same key gives the payload back.
    """

    payload: bytes
    key: bytes
    masked: bytes

    def rows(self, limit: int = 16) -> list[tuple[int, int, int, int]]:
        """``(i, payload byte, key byte, masked byte)`` for the first ``limit`` bytes."""
        return [
            (i, p, self.key[i % 4], m) for i, (p, m) in enumerate(zip(self.payload[:limit], self.masked, strict=False))
        ]

    def __str__(self) -> str:
        lines = ["  i  payload      key          masked"]
        for i, p, k, m in self.rows():
            lines.append(f"{i:3d}  {p:02x} {p:08b}  {k:02x} {k:08b}  {m:02x} {m:08b}")
        if len(self.payload) > 16:
            lines.append(f"  … {len(self.payload) - 16} more bytes")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='{CELL}'>{h}</th>" for h in ("i", "payload", "⊕ key[i % 4]", "= masked"))
        body = "".join(
            f"<tr><td style='{CELL}'>{i}</td><td style='{CELL}'>{p:02x} {p:08b}</td>"
            f"<td style='{CELL}'>{k:02x} {k:08b}</td><td style='{CELL}'><b>{m:02x} {m:08b}</b></td></tr>"
            for i, p, k, m in self.rows()
        )
        more = f"<p>… {len(self.payload) - 16} more bytes</p>" if len(self.payload) > 16 else ""
        return f"<div style='{BOX}'><table style='{TABLE}'><tr>{head}</tr>{body}</table>{more}</div>"


def masking(payload: bytes | str, key: bytes) -> Masking:
    """Mask ``payload`` with the 4-byte ``key`` (RFC 6455 §5.3), showing each XOR."""
    if len(key) != 4:
        raise ValueError(f"a masking key is 4 bytes, not {len(key)}")
    data = payload.encode() if isinstance(payload, str) else bytes(payload)
    return Masking(data, bytes(key), apply_mask(data, key))


# -- fragmentation ------------------------------------------------------------------


def fragment(
    message: str | bytes,
    size: int,
    *,
    interleave: tuple[int | str, bytes | str] | None = None,
    mask: bytes | None = None,
) -> list[bytes]:
    """Split a message into frames of at most ``size`` payload bytes (RFC 6455 §5.4).

    The first frame is TEXT (for ``str``) or BINARY with FIN=0, the middle
    ones CONT with FIN=0, the last CONT with FIN=1. Control frames may be
    injected between fragments: ``interleave=("PING", b"hi")`` puts one after
    the first fragment.
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    opcode = 0x1 if isinstance(message, str) else 0x2
    data = message.encode() if isinstance(message, str) else bytes(message)
    chunks = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    frames = []
    for i, chunk in enumerate(chunks):
        frames.append(encode(opcode if i == 0 else 0x0, chunk, fin=i == len(chunks) - 1, mask=mask))
        if i == 0 and interleave is not None:
            frames.append(encode(interleave[0], interleave[1], mask=mask))
    return frames


@dataclass(repr=False)
class Reassembly(Shown):
    """A message put back together from its frames.

    Attributes:
        message: ``str`` for a text message, ``bytes`` for binary.
        frames: every frame, in wire order (websockets ``Frame`` objects).
        control: the control frames met between the fragments.
    """

    message: str | bytes
    frames: list[Frame]
    control: list[Frame]

    def __str__(self) -> str:
        lines = [f"{i}: {frame}" for i, frame in enumerate(self.frames)]
        lines.append(f"message: {_short(repr(self.message))}")
        return "\n".join(lines)


def reassemble(frames: Iterable[bytes] | bytes, *, mask: bool | None = None) -> Reassembly:
    """Parse frames with websockets and join the fragments of one message (RFC 6455 §5.4).

    Control frames between fragments are kept aside, as a receiver handles
    them at once without breaking the message.

    Args:
        frames: frame bytes, one item per frame or all back to back.
        mask: whether the frames are masked; ``None`` reads the MASK bit.

    Raises:
        websockets.exceptions.ProtocolError: a frame is malformed or the
            fragments are out of order.
        UnicodeDecodeError: a text message is not UTF-8 (a receiver closes with 1007).
    """
    data = frames if isinstance(frames, bytes) else b"".join(frames)
    if mask is None:
        mask = len(data) > 1 and bool(data[1] & 0x80)
    parsed = parse_frames(data, mask=mask)
    control = [f for f in parsed if f.opcode in (Opcode.CLOSE, Opcode.PING, Opcode.PONG)]
    pieces: list[bytes] = []
    kind: Opcode | None = None
    for f in parsed:
        if f.opcode in (Opcode.TEXT, Opcode.BINARY):
            if kind is not None:
                raise ProtocolError("expected a continuation frame")
            kind = f.opcode
            pieces.append(bytes(f.data))
        elif f.opcode is Opcode.CONT:
            if kind is None:
                raise ProtocolError("unexpected continuation frame")
            pieces.append(bytes(f.data))
        else:
            continue
        if f.fin:
            break
    else:
        raise ProtocolError("the message is incomplete: no frame with FIN=1")
    joined = b"".join(pieces)
    message: str | bytes = joined.decode() if kind is Opcode.TEXT else joined
    return Reassembly(message, parsed, control)


# -- HTML ---------------------------------------------------------------------------

_BIT_COLORS = {
    "FIN": "var(--jp-brand-color3, #bbdefb)",
    "RSV": "var(--jp-warn-color3, #ffe0b2)",
    "opcode": "var(--jp-success-color3, #c8e6c9)",
    "MASK": "var(--jp-brand-color3, #bbdefb)",
    "len": "var(--jp-success-color3, #c8e6c9)",
}
_BAD = "var(--jp-error-color3, #ffcdd2)"


def _bits_html(a: FrameAnatomy) -> str:
    """The first two bytes as 16 labelled bit cells."""
    if len(a.data) < 2:
        return ""
    labels = ["FIN", "RSV1", "RSV2", "RSV3", "op", "op", "op", "op", "MASK"] + ["len"] * 7
    bits = f"{a.data[0]:08b}{a.data[1]:08b}"
    cells = []
    for i, (label, bit) in enumerate(zip(labels, bits, strict=True)):
        group = "RSV" if label.startswith("RSV") else "opcode" if label == "op" else label
        color = _BIT_COLORS[group]
        if label.startswith("RSV") and bit == "1" and not (label == "RSV1" and not a.problems):
            color = _BAD
        border = "border-left: 2px solid var(--jp-ui-font-color2, #888);" if i == 8 else ""
        cells.append(
            f"<td style='{CELL}{border} background:{color}; text-align:center' title='{label}'>"
            f"{bit}<br><small>{label}</small></td>"
        )
    return f"<table style='{TABLE}'><tr>{''.join(cells)}</tr></table>"


def _html(a: FrameAnatomy) -> str:
    rows = "".join(
        f"<tr><td style='{CELL}'>{html.escape(span)}</td><td style='{CELL}'>{html.escape(value)}</td>"
        f"<td style='{CELL}'><b>{html.escape(name)}</b></td><td style='{CELL}'>{html.escape(meaning)}</td></tr>"
        for span, value, name, meaning in a.rows()
    )
    head = "".join(f"<th style='{CELL}'>{h}</th>" for h in ("byte", "value", "field", "meaning"))
    if a.valid:
        verdict = f"<p>✔ {html.escape(a.verdict())}</p>"
    else:
        items = "".join(
            f"<li>{html.escape(p.message)} (<a href='{_RFC}#section-{p.section}' target='_blank' "
            f"style='color: inherit; text-decoration: underline'>§{p.section}</a>"
            f"{', close ' + str(p.close_code) if p.close_code else ''})</li>"
            for p in a.problems
        )
        verdict = f"<div style='background:{_BAD}; padding:4px'>✘ malformed:<ul>{items}</ul></div>"
    ws = f"<p><small>websockets' parser: {html.escape(a.websockets_verdict)}</small></p>"
    rest = f"<p>{len(a.rest)} more bytes follow (the next frame)</p>" if a.rest else ""
    table = f"<table style='{TABLE}'><tr>{head}</tr>{rows}</table>"
    return f"<div style='{BOX}'>{_bits_html(a)}{table}{verdict}{ws}{rest}</div>"
