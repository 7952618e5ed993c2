"""wskit: experiment with WebSockets inside Jupyter.

Server and client transports that run in the notebook's own event loop (or
any other), Starlette-shaped connections, pluggable frame serializers and an
event stream that widgets and plots subscribe to. See the README for a tour.

What ``import wskit`` gives (everything else lives in its package:
``wskit.events``, ``wskit.serializers``, ``wskit.transports``, ``wskit.audio``,
``wskit.plot``, ``wskit.widgets``, ``wskit.wire``, ``wskit.impair``):

Transports
    :class:`WebsocketServerTransport` and :class:`WebsocketServerParams`, a
    server in the running loop (Pipecat's names); :class:`WebsocketClientTransport`
    and :class:`WebsocketClientParams`, its client; :class:`Connection` (also
    :data:`WebSocket`, Starlette's name), one live connection as handlers see
    it; :data:`CHAT_PAGE`, a chat page a server can answer a browser with.
Pages
    :class:`Page`, an HTML page with the scripts it loads, served from the
    server's own port (``WebsocketServerParams(html=page)``), and
    :data:`AUDIO_PAGE`, the browser as a microphone and a speaker.
Errors and close codes
    :class:`WebSocketDisconnect` (the peer is gone, with its close code),
    :class:`WebSocketException` (close with a code from a handler or an auth
    hook), :class:`HTTPReject` (refuse the upgrade with an HTTP status),
    :class:`InvalidMessage` (text where bytes were expected, or the reverse:
    1003), :class:`ConnectError` (a client could not connect),
    :class:`NotConnectedError` (sending while not connected),
    :class:`InsecureServerWarning` (a server on every interface without auth),
    and websockets' :class:`CloseCode`.
Frames
    :class:`Frame`, the base of :class:`TextFrame`, :class:`BinaryFrame`,
    :class:`MessageFrame`, :class:`AudioFrame`, :class:`TranscriptionFrame`
    and :class:`InterruptionFrame`: what handlers receive and send.
Serializers
    :class:`RawSerializer` (the default), :class:`JsonSerializer`,
    :class:`ProtobufFrameSerializer` (Pipecat's protobuf frames) and
    :class:`TelephonySerializer` (Twilio Media Streams).
Events
    :class:`Event`, what ``transport.events.subscribe(callback)`` hands out,
    and :class:`EventKind`, what happened.
Running
    :func:`spawn` (background work, held and reported), :func:`run_sync`
    (wait from synchronous code), :func:`stop_all` / :func:`stop_all_async`
    (stop every transport and task wskit started).
Modules
    :mod:`wskit.auth` (``token_auth``), :mod:`wskit.tls` (certificates for
    ``wss://`` and ``https://``: ``self_signed``, ``Certificate``),
    :mod:`wskit.wire` (protocol anatomy) and :mod:`wskit.impair` (a bad network
    between a client and a server: ``Link`` adds latency, jitter, bandwidth
    limits and faults), the last two imported on first use, and ``__version__``.
"""

import importlib
from typing import TYPE_CHECKING, Any

from websockets.frames import CloseCode

from . import auth, tls
from ._version import __version__
from .events import Event, EventKind
from .frames import (
    AudioFrame,
    BinaryFrame,
    Frame,
    InterruptionFrame,
    MessageFrame,
    TextFrame,
    TranscriptionFrame,
)
from .pages import AUDIO_PAGE, Page
from .runtime import run_sync, spawn, stop_all, stop_all_async
from .serializers import (
    JsonSerializer,
    ProtobufFrameSerializer,
    RawSerializer,
    TelephonySerializer,
)
from .transports import (
    CHAT_PAGE,
    ConnectError,
    Connection,
    HTTPReject,
    InsecureServerWarning,
    InvalidMessage,
    NotConnectedError,
    WebsocketClientParams,
    WebsocketClientTransport,
    WebSocketDisconnect,
    WebSocketException,
    WebsocketServerParams,
    WebsocketServerTransport,
)

if TYPE_CHECKING:
    from . import impair, wire


def __getattr__(name: str) -> Any:
    """``wskit.wire`` and ``wskit.impair`` are imported on first use: transports run without them."""
    if name in ("wire", "impair"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'wskit' has no attribute {name!r}")


#: Starlette's name for the connection type, so ``websocket: WebSocket`` annotations carry over.
WebSocket = Connection


__all__ = [
    "AUDIO_PAGE",
    "CHAT_PAGE",
    "AudioFrame",
    "BinaryFrame",
    "CloseCode",
    "ConnectError",
    "Connection",
    "Event",
    "EventKind",
    "Frame",
    "HTTPReject",
    "InsecureServerWarning",
    "InterruptionFrame",
    "InvalidMessage",
    "JsonSerializer",
    "MessageFrame",
    "NotConnectedError",
    "Page",
    "ProtobufFrameSerializer",
    "RawSerializer",
    "TelephonySerializer",
    "TextFrame",
    "TranscriptionFrame",
    "WebSocket",
    "WebSocketDisconnect",
    "WebSocketException",
    "WebsocketClientParams",
    "WebsocketClientTransport",
    "WebsocketServerParams",
    "WebsocketServerTransport",
    "__version__",
    "auth",
    "impair",
    "run_sync",
    "spawn",
    "stop_all",
    "stop_all_async",
    "tls",
    "wire",
]
