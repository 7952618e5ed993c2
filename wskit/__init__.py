"""wskit: experiment with WebSockets inside Jupyter.

Server and client transports that run in the notebook's own event loop (or
any other), Starlette-shaped connections, pluggable frame serializers and an
event stream that widgets and plots subscribe to. See the README for a tour.
"""

import importlib
from typing import TYPE_CHECKING, Any

from websockets.frames import CloseCode

from . import auth
from .events import Direction, Event, EventBus, EventKind
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
    FrameSerializer,
    JsonSerializer,
    ProtobufFrameSerializer,
    RawSerializer,
    SerializerError,
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
    WebSocketState,
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

__version__ = "0.1.0"

__all__ = [
    "CHAT_PAGE",
    "AudioFrame",
    "BinaryFrame",
    "CloseCode",
    "ConnectError",
    "Connection",
    "Direction",
    "Event",
    "EventBus",
    "EventKind",
    "Frame",
    "FrameSerializer",
    "HTTPReject",
    "InsecureServerWarning",
    "InterruptionFrame",
    "InvalidMessage",
    "JsonSerializer",
    "MessageFrame",
    "NotConnectedError",
    "ProtobufFrameSerializer",
    "RawSerializer",
    "SerializerError",
    "TelephonySerializer",
    "TextFrame",
    "TranscriptionFrame",
    "WebSocket",
    "WebSocketDisconnect",
    "WebSocketException",
    "WebSocketState",
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
    "wire",
]
