"""A synchronous WebSocket client for Locust's gevent world, framed by wskit's serializers.

Locust runs every simulated user as a greenlet in one process, with the
standard library monkeypatched by gevent, so a user's client must block
in ``socket`` calls (which gevent turns into cooperative waits), not run an
asyncio loop of its own. `websocket-client <https://github.com/websocket-client/websocket-client>`_
is such a client: pure Python on the socket module, one object per connection,
``send`` and ``recv`` callable from two greenlets at once (it locks each
direction). It does the protocol here (handshake, framing, masking, ping
replies, the closing handshake); wskit's serializers turn frames into
messages and back, called through :func:`~wskit.serializers.encode_sync` and
:func:`~wskit.serializers.decode_sync` (which check what they return and turn
their failures into a :class:`~wskit.serializers.SerializerError`), so a
serializer used under load must be synchronous.

Failures come out as two exceptions whose ``cause`` is what Locust's failure
table and the voice report group by: :class:`ConnectFailed` (``"HTTP 403"``,
``"connect ConnectionRefusedError"``, ``"connect timeout"``) and
:class:`Closed` (``"close 1008"``, or ``"dropped"`` for a TCP connection
lost without a close frame, which RFC 6455 §7.1.5 reports as 1006).
"""

from __future__ import annotations

import inspect
import socket
import struct
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import websocket  # websocket-client

from ..frames import Frame
from ..redact import mask_text
from ..serializers import AudioFormat, FrameSerializer, decode_sync, describe, encode_sync, get_serializer

__all__ = ["Closed", "ConnectFailed", "SyncConnection", "resolve_serializer"]


class ConnectFailed(Exception):
    """The opening handshake did not complete; ``cause`` names why (``"HTTP 403"`` …)."""

    def __init__(self, cause: str, detail: str = "") -> None:
        self.cause = cause
        super().__init__(mask_text(f"{cause}: {detail}" if detail else cause))

    def __repr__(self) -> str:  # Locust's failure table shows repr(): the message alone reads best
        return str(self)


class Closed(Exception):
    """The connection ended: ``code`` (RFC 6455 §7.4) and ``reason`` from the peer's close frame.

    ``code`` is 1006 when the connection dropped without a close frame, and
    1005 when a close frame carried no code.
    """

    def __init__(self, code: int, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        self.cause = "dropped" if code == 1006 else f"close {code}"
        super().__init__(mask_text(f"{self.cause} {reason!r}" if reason else self.cause))

    def __repr__(self) -> str:
        return str(self)


def _synchronous(result: object, what: str) -> None:
    """Refuse an awaitable where a load user needs a value now (it has no event loop to await it in)."""
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()  # never awaited, on purpose
        raise TypeError(f"{what} is async: load users need a synchronous serializer")


def resolve_serializer(serializer: str | FrameSerializer, sample_rate: int = 16_000, channels: int = 1) -> Any:
    """A serializer object from a registry name or an instance, told the audio format.

    Its optional ``setup(audio)`` hook is told the
    :class:`~wskit.serializers.AudioFormat` a transport would tell it (binary
    messages are audio at ``sample_rate`` and ``channels``), so received
    audio is decoded at that format.

    Raises:
        TypeError: the serializer is async (a load user has no event loop to await it in).
    """
    obj = get_serializer(serializer) if isinstance(serializer, str) else serializer
    for method in ("serialize", "deserialize"):
        if inspect.iscoroutinefunction(getattr(obj, method, None)):
            raise TypeError(f"{describe(obj)}.{method} is async: load users need a synchronous serializer")
    hook = getattr(obj, "setup", None)
    if hook is not None:
        audio = AudioFormat(audio_in_enabled=True, audio_in_sample_rate=sample_rate, audio_in_channels=channels)
        _synchronous(hook(audio), f"{describe(obj)}.setup")
    return obj


class SyncConnection:
    """One WebSocket connection: connect, send frames, receive frames, close.

    Args:
        url: ``ws://`` or ``wss://`` URL.
        serializer: a registry name (``"raw"``, ``"protobuf"``, ``"telephony"`` …)
            or a synchronous serializer object.
        headers: extra handshake headers.
        subprotocols: subprotocols to offer.
        token: sent as ``Authorization: Bearer <token>``, or as the query
            parameter ``token_param`` when that is given (FastAPI's ``?token=``).
        timeout: seconds for the handshake and for each blocking receive
            without its own timeout.
        sample_rate, channels: the audio format received binary audio is decoded at.
    """

    def __init__(
        self,
        url: str,
        *,
        serializer: str | FrameSerializer = "raw",
        headers: Mapping[str, str] | None = None,
        subprotocols: Sequence[str] | None = None,
        token: str | None = None,
        token_param: str | None = None,
        timeout: float = 10.0,
        sample_rate: int = 16_000,
        channels: int = 1,
    ) -> None:
        self.headers = dict(headers or {})
        if token is not None and token_param is None:
            self.headers["Authorization"] = f"Bearer {token}"
        if token is not None and token_param is not None:
            parts = urllib.parse.urlsplit(url)
            query = [*urllib.parse.parse_qsl(parts.query), (token_param, token)]
            url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
        self.url = url
        self.subprotocols = list(subprotocols or [])
        self.timeout = timeout
        self.serializer = resolve_serializer(serializer, sample_rate, channels)
        self.ws: websocket.WebSocket | None = None

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server chose, once connected."""
        return self.ws.getsubprotocol() if self.ws is not None else None

    def connect(self) -> float:
        """Run the opening handshake; returns how long it took, in seconds.

        Raises:
            ConnectFailed: refused, unreachable, timed out, or answered with an HTTP status.
        """
        began = time.perf_counter()
        ws: Any = websocket.WebSocket(enable_multithread=True, skip_utf8_validation=False)  # partly untyped
        options: dict[str, Any] = {"header": self.headers, "timeout": self.timeout}
        if self.subprotocols:
            options["subprotocols"] = self.subprotocols
        try:
            ws.connect(self.url, **options)
        except (OSError, websocket.WebSocketException) as exc:
            ws.shutdown()  # websocket-client leaves the socket of a refused handshake open
            if isinstance(exc, websocket.WebSocketBadStatusException):
                raise ConnectFailed(f"HTTP {exc.status_code}", exc.status_message or "") from None
            if isinstance(exc, (TimeoutError, socket.timeout, websocket.WebSocketTimeoutException)):
                raise ConnectFailed("connect timeout", str(exc)) from None
            raise ConnectFailed(f"connect {type(exc).__name__}", str(exc)) from None
        ws.settimeout(None)  # receives wait as long as their caller says
        self.ws = ws
        return time.perf_counter() - began

    def _socket(self) -> websocket.WebSocket:
        if self.ws is None:
            raise Closed(1006, "not connected")
        return self.ws

    def encode(self, message: Frame | str | bytes) -> str | bytes:
        """A frame through the serializer; ``str`` and ``bytes`` stay as they are (a raw message).

        Raises:
            SerializerError: the serializer failed, or cannot encode this frame.
            TypeError: the serializer is async.
        """
        if isinstance(message, (str, bytes)):
            return message
        data = encode_sync(self.serializer, message)
        if not isinstance(data, (str, bytes)):
            _synchronous(data, f"{describe(self.serializer)}.serialize")
        assert isinstance(data, (str, bytes))
        return data

    def send(self, message: Frame | str | bytes) -> int:
        """Send one message; returns its size in bytes.

        Raises:
            Closed: the connection is gone.
        """
        data = self.encode(message)
        ws = self._socket()
        try:
            if isinstance(data, str):
                ws.send_text(data)
                return len(data.encode())
            ws.send_bytes(data)
        except (OSError, websocket.WebSocketConnectionClosedException) as exc:
            raise Closed(1006, str(exc)) from None
        return len(data)

    def recv(self, timeout: float | None = None) -> tuple[Frame | None, int]:
        """The next message as a frame (``None``: the serializer skipped it) and its size in bytes.

        Raises:
            Closed: the peer closed (its code and reason) or the connection dropped.
            TimeoutError: nothing arrived within ``timeout`` seconds.
            SerializerError: the serializer cannot decode the message (the connection stays open).
            TypeError: the serializer is async.
        """
        ws = self._socket()
        ws.settimeout(timeout)
        try:
            opcode, frame = ws.recv_data_frame(False)
        except websocket.WebSocketTimeoutException:
            raise TimeoutError(f"no message within {timeout} s") from None
        except (OSError, websocket.WebSocketConnectionClosedException) as exc:
            raise Closed(1006, str(exc)) from None
        finally:
            if self.ws is not None:
                self.ws.settimeout(None)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            payload = frame.data if isinstance(frame.data, bytes) else bytes(frame.data or b"")
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            raise Closed(code, payload[2:].decode("utf-8", "replace"))
        data = frame.data
        message: str | bytes = data.decode("utf-8") if opcode == websocket.ABNF.OPCODE_TEXT else bytes(data)
        decoded = decode_sync(self.serializer, message)
        if decoded is not None and not isinstance(decoded, Frame):
            _synchronous(decoded, f"{describe(self.serializer)}.deserialize")
        assert decoded is None or isinstance(decoded, Frame)
        return decoded, len(data)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (the closing handshake, bounded by one second); safe to call twice."""
        ws: Any = self.ws
        self.ws = None
        if ws is None:
            return
        try:
            ws.close(status=code, reason=reason.encode(), timeout=1)
        except (OSError, websocket.WebSocketException):
            pass  # the peer is gone already: nothing to hand-shake with
        finally:
            ws.shutdown()  # after a close the peer started, websocket-client's close leaves the socket open
