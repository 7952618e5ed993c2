"""A hostile or broken peer on a plain TCP socket, for fault tests."""

from __future__ import annotations

import asyncio
import base64
import os
import socket


async def raw_upgrade(url: str, rcvbuf: int = 4096, path: str = "/") -> socket.socket:
    """A client socket that completed the opening handshake and will never read again.

    Its receive buffer is small, so the server's writes back up quickly.
    """
    host, port = url.removeprefix("ws://").rstrip("/").rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    response = b""
    async with asyncio.timeout(5):
        while b"\r\n\r\n" not in response:
            response += await loop.sock_recv(sock, 1)  # one byte at a time: read no frame data
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


async def raw_request(url: str, data: bytes) -> bytes:
    """Send ``data`` on a fresh TCP connection and return what comes back until the server closes."""
    host, port = url.removeprefix("ws://").rstrip("/").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(5):
            return await reader.read()
    finally:
        writer.close()
