"""Client-side helpers shared by the tests that talk to FastAPI and wskit peers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import wskit

TIMEOUT = 10.0


@contextlib.asynccontextmanager
async def started(client: wskit.WebsocketClientTransport) -> AsyncIterator[wskit.WebsocketClientTransport]:
    """``client`` started, and stopped on the way out, each within ``TIMEOUT``."""
    async with asyncio.timeout(TIMEOUT):
        await client.start()
    try:
        yield client
    finally:
        async with asyncio.timeout(TIMEOUT):
            await client.stop()


async def next_frames(stream: wskit.transports.FrameStream[wskit.Frame], count: int) -> list[wskit.Frame]:
    """The next ``count`` frames, each within ``TIMEOUT``."""
    return [await stream.get(timeout=TIMEOUT) for _ in range(count)]


def texts(frames: list[wskit.Frame]) -> list[str]:
    """The texts of ``frames``, which must all be text frames."""
    assert [type(f) for f in frames] == [wskit.TextFrame] * len(frames), frames
    return [f.text for f in frames if isinstance(f, wskit.TextFrame)]


async def next_texts(stream: wskit.transports.FrameStream[wskit.Frame], count: int) -> list[str]:
    """The texts of the next ``count`` frames, which must all be text frames."""
    return texts(await next_frames(stream, count))
