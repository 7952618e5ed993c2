"""wskit: experiment with WebSockets inside Jupyter.

Server and client transports that run in the notebook's own event loop (or
any other), Starlette-shaped connections, pluggable frame serializers and an
event stream that widgets and plots subscribe to. See the README for a tour.
"""

import importlib
from typing import TYPE_CHECKING, Any

from websockets.frames import CloseCode

from . import auth, tls
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
from .pages import AUDIO_PAGE, Page
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
    "AUDIO_PAGE",
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
    "Page",
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
    "run_sync",
    "spawn",
    "stop_all",
    "stop_all_async",
    "tls",
    "wire",
]
