"""Protocol anatomy: frame bytes, the handshake, close codes and a live wire tap.

For learning RFC 6455 on real frames: :func:`encode` / :func:`decode` show
one frame field by field (and why a malformed one is malformed),
:func:`masking`, :func:`fragment` and :func:`reassemble` show §5.3-5.4,
:func:`capture` the exact bytes a side writes (masked, with its keys),
:func:`accept_key` and :func:`handshake` the opening handshake,
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
from ._capture import Capture, capture
from ._closecodes import CLOSE_CODES, CloseCodeInfo, CloseCodeTable, close_codes, explain
from ._handshake import HEADER_MEANINGS, Handshake, accept_key, handshake
from ._tap import Tappable, WireRecord, WireTap, tap
from .demos import close_with

__all__ = [
    "CLOSE_CODES",
    "HEADER_MEANINGS",
    "Capture",
    "CloseCodeInfo",
    "CloseCodeTable",
    "FrameAnatomy",
    "Handshake",
    "Masking",
    "Problem",
    "Reassembly",
    "Tappable",
    "WireRecord",
    "WireTap",
    "accept_key",
    "capture",
    "close_codes",
    "close_with",
    "decode",
    "demos",
    "encode",
    "explain",
    "fragment",
    "handshake",
    "masking",
    "parse_frames",
    "reassemble",
    "tap",
]
