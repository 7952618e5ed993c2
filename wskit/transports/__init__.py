"""Server and client transports on websockets' asyncio API."""

from .base import BaseTransport, FrameStream
from .client import ConnectError, NotConnectedError, WebsocketClientTransport
from .connection import Connection, HTTPReject, InvalidMessage, WebSocketDisconnect, WebSocketException
from .datastructures import WebSocketState
from .pages import CHAT_PAGE
from .params import TransportParams, WebsocketClientParams, WebsocketServerParams
from .server import InsecureServerWarning, WebsocketServerTransport

__all__ = [
    "CHAT_PAGE",
    "BaseTransport",
    "ConnectError",
    "Connection",
    "FrameStream",
    "HTTPReject",
    "InsecureServerWarning",
    "InvalidMessage",
    "NotConnectedError",
    "TransportParams",
    "WebSocketDisconnect",
    "WebSocketException",
    "WebSocketState",
    "WebsocketClientParams",
    "WebsocketClientTransport",
    "WebsocketServerParams",
    "WebsocketServerTransport",
]
