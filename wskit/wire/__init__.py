"""Protocol anatomy: frame bytes, the handshake, close codes and a live wire tap.

For learning RFC 6455 on real frames: :func:`encode` / :func:`decode` show
one frame field by field (and why a malformed one is malformed),
:func:`masking`, :func:`fragment` and :func:`reassemble` show §5.3-5.4,
:func:`capture` the exact bytes a side writes (masked, with its keys),
:func:`accept_key` and :func:`handshake` the opening handshake (and
:func:`raw_exchange` any request written byte for byte, for failed upgrades),
:func:`deflate` what permessage-deflate (RFC 7692) does to a message,
:data:`BROWSER_PAGE` the browser's WebSocket API live (serve it with ``html=``),
:func:`close_codes` and :func:`close_with` the closing one, and :func:`tap`
records every frame a live wskit connection sends and receives. The
:mod:`wskit.wire.demos` make one protocol event happen on a fresh connection
and report what each side saw.
"""

from . import demos
from ._anatomy import (
    FrameAnatomy,
    Masking,
    Problem,
    Reassembly,
    decode,
    encode,
    fragment,
    masking,
    parse_frames,
    reassemble,
)
from ._browser import BROWSER_PAGE
from ._capture import Capture, capture
from ._closecodes import CLOSE_CODES, CONVENTIONS, CloseCodeInfo, CloseCodeTable, close_codes, explain
from ._deflate import SYNC_TRAILER, Deflated, DeflatedMessage, deflate
from ._handshake import (
    HEADER_MEANINGS,
    RFC_REQUEST,
    RFC_RESPONSE,
    Handshake,
    RawExchange,
    accept_key,
    handshake,
    raw_exchange,
)
from ._tap import Tappable, WireRecord, WireTap, tap
from .demos import close_with

__all__ = [
    "BROWSER_PAGE",
    "CLOSE_CODES",
    "CONVENTIONS",
    "HEADER_MEANINGS",
    "RFC_REQUEST",
    "RFC_RESPONSE",
    "SYNC_TRAILER",
    "Capture",
    "CloseCodeInfo",
    "CloseCodeTable",
    "Deflated",
    "DeflatedMessage",
    "FrameAnatomy",
    "Handshake",
    "Masking",
    "Problem",
    "RawExchange",
    "Reassembly",
    "Tappable",
    "WireRecord",
    "WireTap",
    "accept_key",
    "capture",
    "close_codes",
    "close_with",
    "decode",
    "deflate",
    "demos",
    "encode",
    "explain",
    "fragment",
    "handshake",
    "masking",
    "parse_frames",
    "raw_exchange",
    "reassemble",
    "tap",
]
