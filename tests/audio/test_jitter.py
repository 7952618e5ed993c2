"""JitterBuffer: the pure core on exact vectors, an independent count of underruns, and the player."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import wskit
import wskit.audio as audio
from tests.conftest import eventually
from wskit.audio import JitterBuffer, Recorder

FRAME = 0.020
FRAMES = list(audio.sine(8.0, freq=440, sample_rate=16_000).frames(20))


def arrivals(n: int, latency: float, window: float, seed: int) -> np.ndarray:
    """A stream sent every 20 ms whose delays spread uniformly over ``window`` s, order kept (TCP)."""
    rng = np.random.default_rng(seed)
    sent = np.arange(n) * FRAME
    drawn = sent + latency + rng.uniform(-window / 2, window / 2, n)
    return np.maximum.accumulate(drawn)


def play(arrived: np.ndarray, target_ms: float, max_ms: float = 200) -> JitterBuffer:
    """Drive a buffer with no loop: pushes and ticks in time order (a push at a tick's instant comes first)."""
    jb = JitterBuffer(target_ms=target_ms, max_ms=max_ms)
    i = 0
    for _ in range(10 * len(arrived) + 100):
        tick = jb.next_tick
        if i < len(arrived) and (tick is None or arrived[i] <= tick):
            jb.push(FRAMES[i], float(arrived[i]))
            i += 1
        elif tick is not None and (i < len(arrived) or jb.depth_ms > 0):
            jb.pop(tick)
        else:
            break
    return jb


def predicted_underruns(arrived: np.ndarray, target_ms: float) -> int:
    """The same count, computed from the arrival times alone.

    Ticks fall at ``t0 + k × 20 ms`` with ``t0`` the first arrival plus the
    target. Frame ``j`` is due at tick ``j``; arriving after it, it plays at
    the first tick after its arrival, and every later frame one tick later
    than it would have: the schedule slips for good. The underruns are the
    ticks the schedule slipped by in all: the largest ``ceil((a_j - t0) / 20 ms) - j``.
    """
    t0 = arrived[0] + target_ms / 1000
    first_tick = np.ceil((arrived - t0) / FRAME - 1e-9)
    slip = first_tick - np.arange(len(arrived))
    return int(max(0.0, slip.max()))


class TestTheIssuesVectors:
    def test_40_ms_of_jitter_through_a_60_ms_buffer_never_runs_dry(self) -> None:
        for seed in range(50):
            jb = play(arrivals(300, 0.080, 0.040, seed), target_ms=60)
            assert jb.stats.underruns == 0, seed
            assert jb.stats.frames_out == 300 and jb.stats.late_dropped == 0

    def test_through_a_10_ms_buffer_the_underruns_are_what_the_arrivals_predict(self) -> None:
        counts = []
        for seed in range(50):
            arrived = arrivals(300, 0.080, 0.040, seed)
            jb = play(arrived, target_ms=10)
            assert jb.stats.underruns == predicted_underruns(arrived, 10), seed
            assert jb.stats.frames_out == 300
            counts.append(jb.stats.underruns)
        assert sum(counts) > 0 and max(counts) >= 2  # the vectors do make it run dry

    def test_the_added_delay_is_about_the_target(self) -> None:
        jb = play(arrivals(300, 0.080, 0.040, 3), target_ms=60)
        assert 60 - 40 <= jb.stats.delay_p50_ms <= 60 + 40  # the target, give or take the first frame's luck


class TestRules:
    def test_the_clock_starts_target_ms_after_the_first_arrival(self) -> None:
        jb = JitterBuffer(target_ms=60)
        assert jb.next_tick is None and not jb.playing
        jb.push(FRAMES[0], 10.0)
        assert jb.next_tick == pytest.approx(10.060)
        with pytest.raises(RuntimeError, match="not yet"):
            jb.pop(10.0)
        assert jb.pop(10.060) is FRAMES[0]
        assert jb.next_tick == pytest.approx(10.080)
        assert jb.stats.delay_ms == pytest.approx(60)

    def test_an_underrun_slips_the_schedule_one_frame(self) -> None:
        jb = JitterBuffer(target_ms=20)
        jb.push(FRAMES[0], 0.0)
        assert jb.pop(0.020) is FRAMES[0]
        assert jb.pop(0.040) is None  # frame 1 is late: silence
        jb.push(FRAMES[1], 0.045)
        assert jb.pop(0.060) is FRAMES[1]  # played one tick later than planned, 15 ms after it came
        assert jb.stats.underruns == 1
        assert jb.stats.delay_ms == pytest.approx(15)

    def test_a_long_silence_ends_the_spurt_without_counting_underruns(self) -> None:
        jb = JitterBuffer(target_ms=40, max_ms=100)
        jb.push(FRAMES[0], 0.0)
        jb.pop(0.040)
        ticks = 0
        while jb.next_tick is not None:
            assert jb.pop(jb.next_tick) is None
            ticks += 1
        assert ticks == 5  # 100 ms of silence, then the clock stops
        assert jb.stats.underruns == 0
        jb.push(FRAMES[1], 5.0)  # a new spurt: the clock starts again
        assert jb.next_tick == pytest.approx(5.040)
        assert jb.stats.starts == 2

    def test_a_burst_over_max_ms_drops_the_oldest(self) -> None:
        jb = JitterBuffer(target_ms=60, max_ms=200)
        for i in range(25):  # a stall released 25 frames at once
            jb.push(FRAMES[i], 1.0)
        assert jb.stats.late_dropped == 15
        assert jb.depth_ms == 200
        assert jb.pop(1.060) is FRAMES[15]  # the oldest still held

    def test_frames_of_another_length_are_refused(self) -> None:
        jb = JitterBuffer(frame_ms=20)
        ten_ms = next(audio.sine(0.1, freq=440, sample_rate=16_000).frames(10))
        with pytest.raises(ValueError, match="takes 20 ms frames, not 10 ms"):
            jb.push(ten_ms, 0.0)
        with pytest.raises(ValueError, match="max_ms at least"):
            JitterBuffer(target_ms=200, max_ms=200)
        with pytest.raises(RuntimeError, match="idle"):
            jb.pop(0.0)

    def test_histories_for_plots(self) -> None:
        jb = play(arrivals(50, 0.05, 0.02, 1), target_ms=60)
        times, depths = jb.depth_history()
        ticks, delays = jb.delay_history()
        assert len(times) == len(depths) > 50 and np.all(np.diff(times) >= -1e-9)
        assert len(ticks) == len(delays) == 50
        assert delays.max() == pytest.approx(jb.stats.delay_max_ms)
        assert "50 in, 50 played, 0 underruns" in str(jb.stats)


class TestPlayer:
    @pytest.mark.timeout(20)
    async def test_a_listener_hears_every_frame_on_a_steady_clock(self) -> None:
        server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(audio_in_enabled=True), port=0)
        await server.start()
        jb = JitterBuffer(target_ms=60).attach(server)
        heard = Recorder().attach(jb)
        played: list[float] = []
        jb.events.subscribe(lambda event: played.append(event.time))
        client = wskit.WebsocketClientTransport(server.url, wskit.WebsocketClientParams(add_wav_header=False))
        await client.start()
        source = audio.chirp(1.0, sample_rate=16_000)
        await audio.stream(source, client, frame_ms=20)
        await eventually(lambda: jb.stats.frames_out == 50, timeout=5)
        assert np.array_equal(heard.to_numpy()[: len(source.samples)], source.samples)
        assert np.median(np.diff(played[:50])) == pytest.approx(0.020, abs=0.003)
        assert jb.stats.underruns == 0 and jb.stats.delay_p50_ms == pytest.approx(60, abs=25)
        await eventually(lambda: not jb.playing, timeout=2)  # after 200 ms of silence the player stops
        jb.detach()

    @pytest.mark.timeout(20)
    async def test_underruns_are_heard_as_silence(self) -> None:
        jb = JitterBuffer(target_ms=20)
        heard = Recorder().attach(jb)
        loop = asyncio.get_running_loop()
        jb.feed(FRAMES[0], loop.time())
        await asyncio.sleep(0.070)  # two ticks with nothing to play
        jb.feed(FRAMES[1], loop.time())
        await eventually(lambda: jb.stats.frames_out == 2, timeout=2)
        samples = heard.to_numpy()[:, 0]
        assert jb.stats.underruns >= 2
        assert np.count_nonzero(samples[320 : 320 * (1 + jb.stats.underruns)]) == 0  # the silence between
        assert np.array_equal(samples[:320], FRAMES[0].samples[:, 0])
        jb.detach()
