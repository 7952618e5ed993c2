"""wskit: experiment with WebSockets inside Jupyter.

Server and client transports that run in the notebook's own event loop (or
any other), Starlette-shaped connections, pluggable frame serializers and an
event stream that widgets and plots subscribe to. See the README for a tour.

What ``import wskit`` gives (everything else lives in its package:
``wskit.events``, ``wskit.serializers``, ``wskit.transports``, ``wskit.audio``,
``wskit.plot``, ``wskit.widgets``, ``wskit.wire``):

Transports
    :class:`WebsocketServerTransport` and :class:`WebsocketServerParams`, a
    server in the running loop (Pipecat's names); :class:`WebsocketClientTransport`
    and :class:`WebsocketClientParams`, its client; :class:`Connection` (also
    :data:`WebSocket`, Starlette's name), one live connection as handlers see
    it; :data:`CHAT_PAGE`, a chat page a server can answer a browser with.
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
    :mod:`wskit.auth` (``token_auth``), :mod:`wskit.wire` (protocol anatomy,
    imported on first use), and ``__version__``.
"""

import importlib
from typing import TYPE_CHECKING, Any

from websockets.frames import CloseCode

from . import auth
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
    from . import wire


def __getattr__(name: str) -> Any:
    """``wskit.wire`` is imported on first use: the teaching tools are not needed to run transports."""
    if name == "wire":
        return importlib.import_module(".wire", __name__)
    raise AttributeError(f"module 'wskit' has no attribute {name!r}")


#: Starlette's name for the connection type, so ``websocket: WebSocket`` annotations carry over.
WebSocket = Connection

__version__ = "0.1.0"

__all__ = [
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
    "run_sync",
    "spawn",
    "stop_all",
    "stop_all_async",
    "wire",
]
