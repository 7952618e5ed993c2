"""The runtime: background tasks, the sync facade, replacing servers, stop_all."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import subprocess
import sys
import textwrap

import pytest
from websockets.asyncio.client import connect

import wskit
from tests.transports.test_server import echo_server, free_port
from wskit import runtime


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter (for global state: imports, patches)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


class TestSpawn:
    async def test_holds_a_strong_reference(self) -> None:
        finished = asyncio.Event()

        async def work() -> None:
            await asyncio.sleep(0.01)
            finished.set()

        wskit.spawn(work(), name="unreferenced")
        gc.collect()
        assert any(t.get_name() == "unreferenced" for t in runtime._tasks)
        await asyncio.wait_for(finished.wait(), 2)

    async def test_failure_is_logged_and_emitted(self, caplog: pytest.LogCaptureFixture) -> None:
        events: list[wskit.Event] = []
        unsubscribe = runtime.events.subscribe(events.append)

        async def boom() -> None:
            raise ValueError("lost in the background")

        try:
            with caplog.at_level(logging.ERROR, logger="wskit"):
                task = wskit.spawn(boom(), name="boomer")
                with pytest.raises(ValueError):
                    await task
                await asyncio.sleep(0)
        finally:
            unsubscribe()
        assert [(e.kind, str(e.error), e.info) for e in events] == [
            (wskit.EventKind.ERROR, "lost in the background", {"task": "boomer"})
        ]
        assert "background task boomer failed" in caplog.text

    async def test_failure_goes_to_the_owner(self) -> None:
        seen: list[BaseException] = []

        async def boom() -> None:
            raise KeyError("x")

        task = wskit.spawn(boom(), on_error=seen.append)
        with pytest.raises(KeyError):
            await task
        await asyncio.sleep(0)
        assert len(seen) == 1 and isinstance(seen[0], KeyError)


class TestRunSync:
    def test_without_a_loop_state_persists_between_calls(self) -> None:
        async def start() -> wskit.WebsocketServerTransport:
            return await echo_server()

        server = wskit.run_sync(start())
        client = wskit.WebsocketClientTransport(server.url)
        replies = client.frames()
        wskit.run_sync(client.start())  # the server kept its loop between calls
        wskit.run_sync(client.send_text("sync"))
        assert str(wskit.run_sync(replies.get(timeout=2))) == "TEXT 'sync' [4 bytes]"
        wskit.stop_all()
        assert not server.running and not client.running

    def test_timeout(self) -> None:
        with pytest.raises(TimeoutError):
            wskit.run_sync(asyncio.sleep(5), timeout=0.05)

    def test_inside_a_running_loop_applies_nest_asyncio2_lazily(self) -> None:
        out = run_python(
            """
            import asyncio, sys
            import wskit

            async def main():
                server = wskit.WebsocketServerTransport(port=0)

                @server.event_handler("on_frame")
                async def echo(transport, conn, frame):
                    await conn.send(frame)

                await server.start()
                before = "nest_asyncio2" in sys.modules

                def widget_callback():  # synchronous code inside the running loop
                    client = wskit.WebsocketClientTransport(server.url)
                    replies = client.frames()
                    wskit.run_sync(client.start())
                    wskit.run_sync(client.send_text("nested"))
                    return wskit.run_sync(replies.get(timeout=2))

                frame = widget_callback()
                wskit.stop_all()  # synchronous too, inside the running loop
                print(before, "nest_asyncio2" in sys.modules, frame.text, server.running)

            asyncio.run(main())
            """
        )
        assert out == "False True nested False"


class TestImport:
    def test_import_is_light(self) -> None:
        out = run_python(
            """
            import sys
            import wskit
            heavy = ("matplotlib", "ipywidgets", "nest_asyncio2", "numpy", "IPython")
            print([m for m in heavy if m in sys.modules])
            """
        )
        assert out == "[]"


class TestStopAll:
    async def test_stops_transports_and_tasks(self) -> None:
        server = await echo_server()
        client = wskit.WebsocketClientTransport(server.url)
        await client.start()
        sleeper = wskit.spawn(asyncio.sleep(60))
        assert set(runtime.transports()) == {server, client}
        await wskit.stop_all_async()
        assert not server.running and not client.running
        assert sleeper.cancelled()
        assert runtime.transports() == []

    def test_server_left_in_a_finished_loop_is_replaced(self) -> None:
        port = free_port()

        async def start_and_forget() -> wskit.WebsocketServerTransport:
            server = wskit.WebsocketServerTransport(port=port)
            await server.start()
            return server

        old = asyncio.run(start_and_forget())  # the loop closes, the socket stays bound
        with socket.socket() as probe, pytest.raises(OSError):
            probe.bind(("127.0.0.1", port))

        async def start_again() -> str:
            server = await echo_server()
            new = wskit.WebsocketServerTransport(port=port)

            @new.event_handler("on_frame")
            async def reply(transport: object, conn: wskit.Connection, frame: wskit.Frame) -> None:
                await conn.send_text("new")

            await new.start()
            async with connect(new.url) as ws:
                await ws.send("?")
                answer = await asyncio.wait_for(ws.recv(), 2)
            await server.stop()
            await new.stop()
            return str(answer)

        assert asyncio.run(start_again()) == "new"
        assert not old.running
