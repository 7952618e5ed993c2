"""The link on loopback: what each condition and fault does, measured against the direct path.

The machine running these is shared and loaded, so every timing is compared
with the same measurement on a direct connection in the same test, and the
tolerances are those the issue sets (RTT ± 5 ms, jitter within 20 %,
bandwidth ± 10 %) on top of what the direct path itself shows.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest

import wskit
from tests.conftest import eventually
from wskit import EventKind
from wskit.impair import Link


@pytest.fixture
async def echo() -> AsyncIterator[wskit.WebsocketServerTransport]:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(ping_interval=None), port=0)

    @server.event_handler("on_frame")
    def reply(transport: wskit.WebsocketServerTransport, conn: wskit.Connection, frame: wskit.Frame) -> None:
        wskit.spawn(conn.send(frame))

    await server.start()
    yield server


def quiet(**kw: Any) -> wskit.WebsocketClientParams:
    return wskit.WebsocketClientParams(add_wav_header=False, ping_interval=None, **kw)


def events(transport: Any) -> list[tuple[float, wskit.Event]]:
    seen: list[tuple[float, wskit.Event]] = []
    transport.events.subscribe(
        lambda e: seen.append((time.monotonic(), e)) if e.kind not in (EventKind.MESSAGE, EventKind.WIRE) else None
    )
    return seen


def first(seen: list[tuple[float, wskit.Event]], kind: EventKind) -> tuple[float, wskit.Event] | None:
    return next(((t, e) for t, e in seen if e.kind is kind), None)


async def echo_rtts(url: str, n: int = 20) -> list[float]:
    """Round trips of ``n`` text echoes, in ms (after one to warm up)."""
    client = wskit.WebsocketClientTransport(url, quiet())
    replies = client.frames()
    await client.start()
    try:
        rtts = []
        for i in range(n + 1):
            start = time.monotonic()
            await client.send_text(f"ping {i}")
            await replies.get(timeout=5)
            rtts.append((time.monotonic() - start) * 1000)
        return rtts[1:]
    finally:
        await client.stop()


async def wake_lateness(n: int = 20) -> float:
    """How late (ms, median) this loop wakes from a 20 ms timer now: what each relay hop adds on a busy machine.

    The direct path never sleeps, so it does not include this; a link's delayed
    chunk is written from a timer and pays it once per hop.
    """
    loop = asyncio.get_running_loop()
    late = []
    for _ in range(n):
        due = loop.time() + 0.02
        await asyncio.sleep(0.02)
        late.append((loop.time() - due) * 1000)
    return statistics.median(late)


async def added_rtt(link_url: str, direct_url: str, n: int = 20) -> tuple[float, float]:
    """(median echo RTT through the link minus the direct one, two hops of timer lateness), in ms."""
    direct = statistics.median(await echo_rtts(direct_url, n))
    before = await wake_lateness()
    through = statistics.median(await echo_rtts(link_url, n))
    after = await wake_lateness()
    return through - direct, before + after  # two hops: one lateness each


class TestLatency:
    @pytest.mark.timeout(30)
    async def test_50_ms_each_way_makes_echo_round_trips_100_ms_longer(
        self, echo: wskit.WebsocketServerTransport
    ) -> None:
        async with Link(echo.url, latency_ms=50) as link:
            added, lateness = await added_rtt(link.url, echo.url)
        assert added - lateness == pytest.approx(100, abs=5), (added, lateness)

    @pytest.mark.timeout(30)
    async def test_each_direction_on_its_own(self, echo: wskit.WebsocketServerTransport) -> None:
        async with Link(echo.url, up={"latency_ms": 40}) as link:
            up_only, up_late = await added_rtt(link.url, echo.url, 10)
            link.set(latency_ms=0, direction="up")
            link.set(latency_ms=25, direction="down")
            down_only, down_late = await added_rtt(link.url, echo.url, 10)
        # one delayed hop each time: half the two-hop lateness
        assert up_only - up_late / 2 == pytest.approx(40, abs=5), (up_only, up_late)
        assert down_only - down_late / 2 == pytest.approx(25, abs=5), (down_only, down_late)

    @pytest.mark.timeout(30)
    async def test_a_change_while_traffic_flows_applies_to_what_comes_next(
        self, echo: wskit.WebsocketServerTransport
    ) -> None:
        async with Link(echo.url, latency_ms=10) as link:
            client = wskit.WebsocketClientTransport(link.url, quiet())
            replies = client.frames()
            await client.start()
            rtts = []
            for i in range(6):
                if i == 3:
                    link.set(latency_ms=60)  # the same connection, mid-stream
                start = time.monotonic()
                await client.send_text(str(i))
                await replies.get(timeout=5)
                rtts.append((time.monotonic() - start) * 1000)
            await client.stop()
        lateness = await wake_lateness()
        assert 20 <= statistics.median(rtts[:3]) < 20 + 2 * lateness + 15, rtts
        assert 120 <= statistics.median(rtts[3:]) < 120 + 2 * lateness + 15, rtts


async def one_way_delays(
    url: str, server: wskit.WebsocketServerTransport, n: int, spacing: float, arrivals: list[float] | None = None
) -> list[float]:
    """Send ``n`` sequence-numbered frames ``spacing`` s apart; return each one's delay (ms), in order.

    ``arrivals``, if given, receives each frame's arrival time (s).

    Also checks that every frame arrived, once, in order.
    """
    arrived: list[tuple[int, float]] = []

    def arrive(event: wskit.Event) -> None:
        if event.kind is EventKind.MESSAGE and event.direction == "in":
            arrived.append((int(str(event.raw)), event.time))

    unsubscribe = server.events.subscribe(arrive)
    client = wskit.WebsocketClientTransport(url, quiet())
    await client.start()
    sent: list[float] = []
    start = time.monotonic()
    try:
        for i in range(n):
            await asyncio.sleep(max(0.0, start + i * spacing - time.monotonic()))
            sent.append(time.monotonic())
            await client.send_text(str(i))
        await eventually(lambda: len(arrived) >= n, timeout=5)
    finally:
        unsubscribe()
        await client.stop()
    assert [seq for seq, _ in arrived] == list(range(n)), "frames were lost or reordered"
    if arrivals is not None:
        arrivals.extend(at for _, at in arrived)
    return [(at - sent[seq]) * 1000 for seq, at in arrived]


def jitter_of(delays: list[float]) -> float:
    """The ± half-width of a uniform delay spread, estimated robustly: (p90 - p10) / 1.6."""
    p10, p90 = np.percentile(delays, [10, 90])
    return float(p90 - p10) / 1.6


class TestJitter:
    @pytest.mark.timeout(40)
    async def test_20_ms_of_jitter_spreads_delays_by_that_and_keeps_order(
        self, echo: wskit.WebsocketServerTransport
    ) -> None:
        direct = jitter_of(await one_way_delays(echo.url, echo, 100, 0.01))
        # 40 ms apart, two frames' delays (±20 ms each) can never cross: nothing waits for order
        async with Link(echo.url, latency_ms=50, jitter_ms=20, seed=1) as link:
            delays = await one_way_delays(link.url, echo, 100, 0.04)
        measured = jitter_of(delays)
        assert abs(measured - 20) <= 0.2 * 20 + direct, (measured, direct)
        assert statistics.median(delays) == pytest.approx(50, abs=5)
        assert min(delays) >= 30 - 1  # never below latency - jitter

    @pytest.mark.timeout(40)
    async def test_jitter_faster_than_the_frames_never_reorders_them(
        self, echo: wskit.WebsocketServerTransport
    ) -> None:
        # 5 ms apart with ±30 ms: many frames are drawn shorter than the one before; they wait for it
        arrivals: list[float] = []
        async with Link(echo.url, latency_ms=40, jitter_ms=30, seed=2) as link:
            await one_way_delays(link.url, echo, 150, 0.005, arrivals)  # asserts order and completeness
        held_for_order = int(np.sum(np.diff(arrivals) < 0.001))  # released with the frame before it
        assert held_for_order >= 30, held_for_order


async def transfer_time(url: str, server: wskit.WebsocketServerTransport, size: int) -> float:
    """Seconds from sending one ``size``-byte binary message until the server has it."""
    got: list[float] = []

    def arrive(event: wskit.Event) -> None:
        if event.kind is EventKind.MESSAGE and event.direction == "in":
            got.append(event.time)

    unsubscribe = server.events.subscribe(arrive)
    client = wskit.WebsocketClientTransport(url, quiet(max_message_size=None))
    await client.start()
    try:
        start = time.monotonic()
        await client.send_bytes(bytes(size))
        await eventually(lambda: bool(got), timeout=60, step=0.02)
        return got[0] - start
    finally:
        unsubscribe()
        await client.stop()


class TestBandwidth:
    @pytest.mark.timeout(30)
    async def test_256_kbit_s_carries_64_KiB_in_2_s(self) -> None:
        server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(ping_interval=None), port=0)
        await server.start()
        size = 64 * 1024
        direct = await transfer_time(server.url, server, size)
        async with Link(server.url, bandwidth_kbps=256) as link:
            through = await transfer_time(link.url, server, size)
        expected = (size + 14) * 8 / 256_000  # the message and its frame header: 2.05 s
        assert through - direct == pytest.approx(expected, rel=0.10), (through, direct)

    @pytest.mark.long
    @pytest.mark.timeout(60)
    async def test_256_kbit_s_carries_1_MiB_in_32_8_s(self) -> None:
        server = wskit.WebsocketServerTransport(
            wskit.WebsocketServerParams(ping_interval=None, max_message_size=None), port=0
        )
        await server.start()
        size = 2**20
        direct = await transfer_time(server.url, server, size)
        async with Link(server.url, bandwidth_kbps=256) as link:
            through = await transfer_time(link.url, server, size)
        assert through - direct == pytest.approx(32.8, rel=0.10), (through, direct)

    @pytest.mark.timeout(30)
    async def test_a_cap_one_way_leaves_the_other_free(self) -> None:
        server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(ping_interval=None), port=0)
        await server.start()
        async with Link(server.url, down={"bandwidth_kbps": 64}) as link:
            up = await transfer_time(link.url, server, 64 * 1024)
        assert up < 0.5  # 64 KiB up at loopback speed, although down is capped at 64 kbit/s


class TestStall:
    @pytest.mark.timeout(30)
    async def test_a_2_s_stall_trips_the_clients_keepalive_on_schedule_then_it_reconnects(
        self, echo: wskit.WebsocketServerTransport
    ) -> None:
        interval, timeout, close = 0.5, 0.5, 0.5
        async with Link(echo.url) as link:
            params = quiet(reconnect=True, close_timeout=close)
            params.ping_interval, params.ping_timeout = interval, timeout
            client = wskit.WebsocketClientTransport(link.url, params)
            seen = events(client)
            await client.start()
            await asyncio.sleep(0.2)
            stalled_at = time.monotonic()
            link.stall(2.0)
            assert link.stats.held == ("up", "down")
            await eventually(lambda: len([e for _, e in seen if e.kind is EventKind.CONNECTED]) == 2, timeout=10)
            closed = first(seen, EventKind.DISCONNECTED)
            assert closed is not None
            at, event = closed
            assert (event.code, event.reason) == (1011, "keepalive ping timeout")
            # an unanswered ping times out within ping_interval + ping_timeout of the stall, and the
            # TCP connection is given up close_timeout later (the close frame is stuck in the stall)
            assert timeout + close - 0.1 <= at - stalled_at <= interval + timeout + close + 0.3, at - stalled_at
            reconnected = [t for t, e in seen if e.kind is EventKind.CONNECTED][1]
            assert 2.0 <= reconnected - stalled_at <= 3.0, reconnected - stalled_at  # the handshake waited for it
            await client.stop()

    @pytest.mark.timeout(30)
    async def test_nothing_is_lost_what_was_sent_during_a_stall_arrives_after_it_in_order(
        self, echo: wskit.WebsocketServerTransport
    ) -> None:
        async with Link(echo.url) as link:
            client = wskit.WebsocketClientTransport(link.url, quiet())
            replies = client.frames()
            await client.start()
            link.stall(0.5)
            started = time.monotonic()
            for i in range(20):
                await client.send_text(str(i))
            await eventually(lambda: link.stats.queued_up > 0)  # read into the link, held there
            got = [(await replies.get(timeout=5)).text for _ in range(20)]  # type: ignore[attr-defined]
            assert got == [str(i) for i in range(20)]
            assert time.monotonic() - started >= 0.5
            await client.stop()

    @pytest.mark.timeout(30)
    async def test_a_stall_until_resume(self, echo: wskit.WebsocketServerTransport) -> None:
        async with Link(echo.url) as link:
            client = wskit.WebsocketClientTransport(link.url, quiet())
            replies = client.frames()
            await client.start()
            link.stall()
            await client.send_text("held")
            with pytest.raises(TimeoutError):
                await replies.get(timeout=0.3)
            assert link.stats.stall_left_s == 0.0 and link.stats.held == ("up", "down")
            link.resume()
            assert (await replies.get(timeout=5)).text == "held"  # type: ignore[attr-defined]
            await client.stop()

    @pytest.mark.timeout(30)
    async def test_the_link_stops_reading_past_its_queue_so_tcp_pushes_back(
        self, echo: wskit.WebsocketServerTransport
    ) -> None:
        async with Link(echo.url, queue_bytes=16_384) as link:
            client = wskit.WebsocketClientTransport(link.url, quiet(send_timeout=None, max_send_buffer=None))
            await client.start()
            conn = client.connection
            assert conn is not None
            link.stall()
            chunk = bytes(8192)
            for _ in range(200):  # 1.6 MB offered
                conn.websocket.transport.write(chunk)  # straight onto the socket: no websockets flow control
            await asyncio.sleep(0.5)
            # the link read a bounded amount; the rest waits in the sender (kernel and write buffer)
            assert link.stats.queued_up <= 16_384 + 2 * 16_384
            assert conn.websocket.transport.get_write_buffer_size() > 0
            link.drop()


class TestDrop:
    @pytest.mark.timeout(30)
    async def test_drop_resets_both_sides_and_each_reports_1006(self, echo: wskit.WebsocketServerTransport) -> None:
        server_seen = events(echo)
        async with Link(echo.url) as link:
            client = wskit.WebsocketClientTransport(link.url, quiet())
            client_seen = events(client)
            await client.start()
            await eventually(lambda: len(echo.clients) == 1)
            link.drop()
            await eventually(
                lambda: first(client_seen, EventKind.DISCONNECTED) and first(server_seen, EventKind.DISCONNECTED)
            )
            for seen in (client_seen, server_seen):
                found = first(seen, EventKind.DISCONNECTED)
                assert found is not None and found[1].code == 1006
            assert link.stats.connections == 0
            # and the link carries new connections as before
            assert len(await echo_rtts(link.url, 2)) == 2


class TestHalfOpen:
    @pytest.mark.timeout(30)
    async def test_the_server_stops_hearing_the_client_which_still_hears_the_server(self) -> None:
        server = wskit.WebsocketServerTransport(
            wskit.WebsocketServerParams(ping_interval=0.3, ping_timeout=0.3, close_timeout=0.3), port=0
        )
        server_seen = events(server)
        await server.start()
        async with Link(server.url) as link:
            client = wskit.WebsocketClientTransport(link.url, quiet())
            received = client.frames()
            await client.start()
            await eventually(lambda: len(server.clients) == 1)
            link.half_open("up")
            held_at = time.monotonic()
            await server.clients[0].send_text("still reaches the client")
            assert (await received.get(timeout=5)).text == "still reaches the client"  # type: ignore[attr-defined]
            await eventually(lambda: first(server_seen, EventKind.DISCONNECTED), timeout=5)
            found = first(server_seen, EventKind.DISCONNECTED)
            assert found is not None
            at, event = found
            assert (event.code, event.reason) == (1011, "keepalive ping timeout")  # its pongs never came back
            assert at - held_at <= 0.3 + 0.3 + 0.3 + 0.5
            assert link.stats.held == ("up",)
            await client.stop()


class TestLimit:
    @pytest.mark.timeout(30)
    async def test_exactly_n_bytes_pass_then_the_connection_closes(self) -> None:
        received = bytearray()
        closed = asyncio.Event()

        async def sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while data := await reader.read(65536):
                received.extend(data)
            closed.set()
            writer.close()

        target = await asyncio.start_server(sink, "127.0.0.1", 0)
        port = target.sockets[0].getsockname()[1]
        async with Link(("127.0.0.1", port)) as link:
            link.limit(1000, direction="up")
            reader, writer = await asyncio.open_connection(*link.address)
            writer.write(bytes(range(256)) * 12)  # 3072 bytes
            await asyncio.wait_for(closed.wait(), 5)
            assert bytes(received) == (bytes(range(256)) * 12)[:1000]
            assert await asyncio.wait_for(reader.read(), 5) == b""  # the client's side was closed too
            writer.close()
        target.close()
        await target.wait_closed()

    @pytest.mark.timeout(30)
    async def test_a_websocket_over_the_limit_is_cut_and_both_sides_see_1006(
        self, echo: wskit.WebsocketServerTransport
    ) -> None:
        server_seen = events(echo)
        async with Link(echo.url) as link:
            client = wskit.WebsocketClientTransport(link.url, quiet())
            client_seen = events(client)
            await client.start()
            link.limit(link.stats.bytes_up + 100, direction="up")  # 100 bytes more from now
            await client.send_bytes(bytes(500))
            await eventually(
                lambda: first(client_seen, EventKind.DISCONNECTED) and first(server_seen, EventKind.DISCONNECTED)
            )
            for seen in (client_seen, server_seen):
                found = first(seen, EventKind.DISCONNECTED)
                assert found is not None and found[1].code == 1006
            assert link.stats.limit is not None
            link.limit(None)
            assert len(await echo_rtts(link.url, 2)) == 2  # lifted: new connections pass again


class TestLifetime:
    async def test_started_tracked_and_stopped_by_stop_all(self, echo: wskit.WebsocketServerTransport) -> None:
        link = Link(echo.url.rstrip("/") + "/room/7?token=abc")
        with pytest.raises(RuntimeError, match=r"await link\.start"):
            _ = link.url
        await link.start()
        host, port = link.address
        assert link.url == f"ws://127.0.0.1:{port}/room/7?token=abc"
        assert link in wskit.runtime.transports()
        await wskit.stop_all_async()
        assert not link.running and link not in wskit.runtime.transports()
        with pytest.raises(OSError):
            await asyncio.open_connection(host, port)

    async def test_a_link_started_again_on_its_port_replaces_the_first(
        self, echo: wskit.WebsocketServerTransport
    ) -> None:
        first_link = Link(echo.url)
        await first_link.start()
        port = first_link.address[1]
        await first_link.stop()
        again = Link(echo.url, port=port)
        await again.start()
        replacement = Link(echo.url, port=port, latency_ms=1)
        await replacement.start()  # the re-run cell
        assert not again.running and replacement.running and replacement.address[1] == port
        assert len(await echo_rtts(replacement.url, 2)) == 2

    async def test_a_target_that_refuses_looks_like_a_refused_connection(self) -> None:
        server = wskit.WebsocketServerTransport(port=0)
        await server.start()
        url = server.url
        await server.stop()
        async with Link(url) as link:
            client = wskit.WebsocketClientTransport(link.url, quiet())
            with pytest.raises(wskit.ConnectError):
                await client.start()

    async def test_a_server_object_as_target_and_bad_targets(self, echo: wskit.WebsocketServerTransport) -> None:
        async with Link(echo) as link:
            assert len(await echo_rtts(link.url, 2)) == 2
        with pytest.raises(ValueError, match="ws://, wss://"):
            Link("ftp://example.com/")
        with pytest.raises(TypeError, match="Link target"):
            Link(42)
        with pytest.raises(ValueError, match="a preset or latency_ms"):
            Link(echo.url, latency_ms=5, preset="4g")
        with pytest.raises(ValueError, match="unknown condition"):
            Link(echo.url, up={"latency": 5})

    async def test_a_preset_and_the_counters(self, echo: wskit.WebsocketServerTransport) -> None:
        changes: list[int] = []
        async with Link(echo.url, preset="transatlantic") as link:
            unsubscribe = link.subscribe(lambda: changes.append(1))
            rtt = statistics.median(await echo_rtts(link.url, 3))
            stats = link.stats
            unsubscribe()
        assert rtt == pytest.approx(80, abs=10)
        assert stats.accepted == 1 and stats.bytes_up > 0 and stats.bytes_down > 0
        assert stats.delay_down_ms == pytest.approx(40, abs=5)
        assert changes  # the panel's redraw requests
        assert "1 connection(s)" in str(stats) or "0 connection(s)" in str(stats)

    @pytest.mark.timeout(20)
    async def test_a_script_stalls_then_changes_latency(self, echo: wskit.WebsocketServerTransport) -> None:
        async with Link(echo.url) as link:
            task = link.script([(0.1, "stall", 0.3), (0.2, "latency", 30)])
            await asyncio.sleep(0.15)
            assert link.stats.held == ("up", "down")
            await task
            assert link.up.latency_ms == link.down.latency_ms == 30
            await asyncio.sleep(0.3)
            assert link.stats.held == ()
            with pytest.raises(ValueError, match="unknown action"):
                link.script([(0, "explode")])
