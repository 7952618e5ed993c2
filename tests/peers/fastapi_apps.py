"""FastAPI apps to test wskit against, and a way to serve them with uvicorn in a test.

``app`` holds the two WebSocket endpoints of FastAPI's WebSocket tutorial, copied
from the seeds (``shared/seeds/002_*``, ``003_*``) with only their HTML pages left
out, plus a few small endpoints for JSON and server-initiated closes. The same
handler bodies, moved into wskit, live in ``tests/transports/test_fastapi_handlers.py``.

``run_uvicorn(app)`` serves an app on ``127.0.0.1`` and a free port, on the
running loop, for the length of an ``async with`` block.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

import uvicorn
from fastapi import Cookie, Depends, FastAPI, Query, WebSocket, WebSocketException, status

__all__ = ["app", "run_uvicorn"]

app = FastAPI()


# -- seed 002: the echo chat ------------------------------------------------


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        data = await websocket.receive_text()
        await websocket.send_text(f"Message text was: {data}")


# -- seed 003: path, query, cookie or token ---------------------------------


async def get_cookie_or_token(
    websocket: WebSocket,
    session: Annotated[str | None, Cookie()] = None,
    token: Annotated[str | None, Query()] = None,
):
    if session is None and token is None:
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION)
    return session or token


@app.websocket("/items/{item_id}/ws")
async def items_websocket_endpoint(
    *,
    websocket: WebSocket,
    item_id: str,
    q: int | None = None,
    cookie_or_token: Annotated[str, Depends(get_cookie_or_token)],
):
    await websocket.accept()
    while True:
        data = await websocket.receive_text()
        await websocket.send_text(f"Session cookie or query token value is: {cookie_or_token}")
        if q is not None:
            await websocket.send_text(f"Query parameter q is: {q}")
        await websocket.send_text(f"Message text was: {data}, for item ID: {item_id}")


# -- extras: JSON both ways, closes chosen by the client ---------------------


@app.websocket("/json")
async def json_echo(websocket: WebSocket) -> None:
    """Each JSON text message back, re-serialized (compact) by ``send_json``."""
    await websocket.accept()
    while True:
        data = await websocket.receive_json()
        await websocket.send_json(data)


@app.websocket("/json/binary")
async def json_binary(websocket: WebSocket) -> None:
    """JSON in binary messages, wrapped: ``{"got": <value>}``."""
    await websocket.accept()
    while True:
        data = await websocket.receive_json(mode="binary")
        await websocket.send_json({"got": data}, mode="binary")


@app.websocket("/close/{code}")
async def close_endpoint(websocket: WebSocket, code: int, reason: str = "") -> None:
    """Accept, then close at once with the code in the path and ``?reason=``."""
    await websocket.accept()
    await websocket.close(code=code, reason=reason)


# -- serving ------------------------------------------------------------------


@contextlib.asynccontextmanager
async def run_uvicorn(asgi_app: Any, *, startup_timeout: float = 10.0) -> AsyncIterator[str]:
    """Serve ``asgi_app`` with uvicorn on ``127.0.0.1`` and a free port; yield ``ws://127.0.0.1:<port>``.

    The server runs as a task on the running loop. ``log_config=None`` keeps
    uvicorn from reconfiguring the process's logging (its records go to the
    root logger, which pytest captures); ``timeout_graceful_shutdown`` bounds
    the shutdown when a test leaves a connection open.
    """
    config = uvicorn.Config(
        asgi_app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        log_config=None,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name="uvicorn")
    try:
        async with asyncio.timeout(startup_timeout):
            for _ in range(int(startup_timeout / 0.005) + 1):
                if server.started or task.done():
                    break
                await asyncio.sleep(0.005)
        if task.done():
            task.result()  # surfaces a startup failure
            raise RuntimeError("uvicorn stopped before it started listening")
        if not server.started:
            raise TimeoutError(f"uvicorn did not start within {startup_timeout} s")
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        yield f"ws://{host}:{port}"
    finally:
        server.should_exit = True
        async with asyncio.timeout(startup_timeout + 10):
            await task
