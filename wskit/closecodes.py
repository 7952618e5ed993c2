"""Close codes and close payloads (RFC 6455 §5.5.1, §7.4), decided once for all of wskit.

websockets owns the vocabulary: :class:`CloseCode` names the registered codes
and :class:`websockets.frames.Close` parses and checks a close frame's payload.
This module adds the two questions wskit asks in many places, answered here
only: may this code be put in a close frame (:func:`is_sendable`), and what
does this payload carry, even when it breaks the rules (:func:`parse_close`).
Transports, the wire tools, the panels and the command line all ask here.
"""

from __future__ import annotations

from websockets.exceptions import ProtocolError
from websockets.frames import Close, CloseCode

__all__ = ["Close", "CloseCode", "is_sendable", "parse_close"]


def is_sendable(code: int) -> bool:
    """True when an endpoint may send ``code`` in a close frame (RFC 6455 §7.4.1-2).

    That is 1000-1003, 1007-1014 and 3000-4999, as websockets checks it
    (``Close.check``). 1005, 1006 and 1015 are only reported by an endpoint,
    1004 and 1016-2999 are reserved, and anything else is not a close code.
    """
    if isinstance(code, bool) or not isinstance(code, int):
        return False
    try:
        Close(code, "").check()
    except ProtocolError:
        return False
    return True


def parse_close(payload: bytes | bytearray | memoryview) -> Close | None:
    """The code and reason a close frame's payload carries (RFC 6455 §5.5.1).

    A well-formed payload is parsed by websockets (``Close.parse``). ``None``
    when there is no code: an empty payload (the receiver reports 1005) or a
    single byte (malformed). A payload websockets refuses, with a code that may
    not be sent or a reason that is not UTF-8, still gives the code it carries
    and its reason (undecodable bytes replaced), so taps and teaching views can
    show what crossed the wire; :func:`is_sendable` tells whether the code was legal.
    """
    data = bytes(payload)
    if len(data) < 2:
        return None
    try:
        return Close.parse(data)
    except (ProtocolError, UnicodeDecodeError):
        return Close(int.from_bytes(data[:2], "big"), data[2:].decode(errors="replace"))
