"""stream() and Recorder on loopback: sample-exact delivery, pacing stats, targets, format changes."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
from typing import Any

import numpy as np
import pytest

import wskit
from tests.conftest import eventually
from wskit.audio import Recorder, StreamStats, chirp, from_wav, sine, stream


async def audio_server(serializer: Any = None, **params: Any) -> wskit.WebsocketServerTransport:
    server = wskit.WebsocketServerTransport(
        wskit.WebsocketServerParams(serializer=serializer, audio_in_enabled=True, **params), port=0
    )
    await server.start()
    return server


async def client_of(server: wskit.WebsocketServerTransport, serializer: Any = None, **params: Any) -> Any:
    client = wskit.WebsocketClientTransport(
        server.url, wskit.WebsocketClientParams(serializer=serializer, audio_in_enabled=True, **params)
    )
    await client.start()
    await eventually(lambda: len(server.clients) >= 1)
    return client


async def test_chirp_client_to_server_arrives_sample_exact_with_stats() -> None:
    server = await audio_server()
    rec = Recorder().attach(server)
    client = await client_of(server)  # the client adds WAV headers (Pipecat's default); the server strips them
    source = chirp(1.0, sample_rate=16000)
    stats = await stream(source, client, frame_ms=20)
    await eventually(lambda: rec.stats.frames == 50)
    np.testing.assert_array_equal(rec.to_numpy(), source.samples)
    assert (rec.sample_rate, rec.num_channels) == (16000, 1)
    assert isinstance(stats, StreamStats) and stats.frames_sent == 50
    assert stats.elapsed_seconds >= 0.98 - 0.02  # paced: the last frame goes out at 0.98 s
    assert abs(stats.drift_ms) < 250 and stats.send_jitter_p50_ms < 20  # loose: the machine is shared
    r = rec.stats
    assert r.seconds == pytest.approx(1.0) and r.format_changes == ()
    assert 0 <= r.arrival_jitter_p50_ms <= r.arrival_jitter_p99_ms
    assert "50 frames" in str(r) and "50 frames" in str(stats)


async def test_stereo_over_json_as_fast_as_possible() -> None:
    server = await audio_server(wskit.JsonSerializer())
    rec = Recorder().attach(server)
    client = await client_of(server, wskit.JsonSerializer(), add_wav_header=False)
    source = chirp(2.0, sample_rate=48000, channels=2)
    stats = await stream(source, client, frame_ms=10, realtime=False)
    assert stats.frames_sent == 200 and stats.elapsed_seconds < 2.0
    assert stats.send_jitter_p99_ms == 0 and stats.drift_ms < 0
    await eventually(lambda: rec.stats.frames == 200)
    np.testing.assert_array_equal(rec.to_numpy(), source.samples)
    assert rec.num_channels == 2


async def test_server_connection_and_broadcast_targets() -> None:
    server = await audio_server(wskit.ProtobufFrameSerializer())
    one = await client_of(server, wskit.ProtobufFrameSerializer())
    two = wskit.WebsocketClientTransport(
        server.url, wskit.WebsocketClientParams(serializer=wskit.ProtobufFrameSerializer())
    )
    await two.start()
    await eventually(lambda: len(server.clients) == 2)
    rec_one, rec_two = Recorder().attach(one), Recorder().attach(two)
    tone = sine(0.2, freq=440)
    await stream(tone, server.clients[0], realtime=False)  # one Connection
    await eventually(lambda: rec_one.stats.frames + rec_two.stats.frames == 10)
    await stream(tone, server, realtime=False)  # broadcast
    await eventually(lambda: rec_one.stats.frames + rec_two.stats.frames == 30)
    assert sorted([rec_one.stats.frames, rec_two.stats.frames]) == [10, 20]
    np.testing.assert_array_equal(rec_two.to_numpy()[-3200:], tone.samples)


async def test_recording_one_connection_only() -> None:
    server = await audio_server()
    first = await client_of(server, add_wav_header=False)
    second = wskit.WebsocketClientTransport(server.url, wskit.WebsocketClientParams(add_wav_header=False))
    await second.start()
    await eventually(lambda: len(server.clients) == 2)
    rec = Recorder().attach(server.clients[0])
    await stream(sine(0.1, freq=300), first, realtime=False)
    await stream(sine(0.1, freq=600), second, realtime=False)
    await asyncio.sleep(0.1)
    assert rec.stats.frames == 5


async def test_format_change_starts_a_new_segment() -> None:
    server = await audio_server(wskit.JsonSerializer())
    rec = Recorder().attach(server)
    client = await client_of(server, wskit.JsonSerializer())
    await stream(sine(0.1, freq=440, sample_rate=16000), client, realtime=False)
    await stream(sine(0.1, freq=440, sample_rate=8000, channels=2), client, realtime=False)
    await eventually(lambda: rec.stats.frames == 10)
    (change,) = rec.stats.format_changes
    assert (change.frame, change.old, change.new) == (5, (16000, 1), (8000, 2))
    assert [(rate, ch, len(s)) for rate, ch, s in rec.segments()] == [(16000, 1, 1600), (8000, 2, 800)]
    assert rec.to_numpy().shape == (800, 2)
    assert "1 format change" in str(rec.stats)


async def test_detach_save_play_clear(tmp_path: pathlib.Path) -> None:
    server = await audio_server()
    rec = Recorder().attach(server)
    client = await client_of(server)
    source = sine(0.1, freq=440)
    await stream(source, client, realtime=False)
    await eventually(lambda: rec.stats.frames == 5)
    rec.detach()
    await stream(source, client, realtime=False)
    await asyncio.sleep(0.05)
    assert rec.stats.frames == 5 and not rec.attached
    rec.save_wav(tmp_path / "rec.wav")
    np.testing.assert_array_equal(from_wav(tmp_path / "rec.wav").samples, source.samples)
    player = rec.play()
    assert type(player).__name__ == "Audio" and player.data[:4] == b"RIFF"
    rec.clear()
    assert rec.stats.frames == 0 and rec.sample_rate is None


def test_recorder_buffer_grows_amortised() -> None:
    rec = Recorder()
    block = np.arange(320, dtype=np.int16).tobytes()
    for i in range(2000):  # 40 s at 50 frames/s
        rec.add(block, 16000, 1, i * 0.02)
    assert rec.to_numpy().shape == (640_000, 1)
    buffer = rec._segments[0][2]._data
    assert len(buffer) < 2 * 640_000  # capacity doubled, never per frame
    stats = rec.stats
    assert stats.frames == 2000 and stats.gaps == 0 and stats.arrival_jitter_p99_ms == pytest.approx(0, abs=1e-6)


def test_recorder_counts_gaps_and_jitter() -> None:
    rec = Recorder()
    block = bytes(640)
    for t in (0.0, 0.021, 0.042, 0.100, 0.121):  # 21 ms intervals, and one 58 ms pause (> 2 × 20 ms)
        rec.add(block, 16000, 1, t)
    stats = rec.stats
    assert stats.gaps == 1 and stats.longest_gap_ms == pytest.approx(58)
    assert stats.arrival_jitter_p50_ms == pytest.approx(1, abs=1e-6)


async def test_progress_callback_and_bad_target() -> None:
    server = await audio_server()
    client = await client_of(server)
    seen: list[tuple[int, int]] = []
    await stream(sine(0.1, freq=440), client, realtime=False, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (5, 5)
    with pytest.raises(TypeError, match="cannot stream to int"):
        await stream(sine(0.1, freq=440), 42)


async def test_progress_bar_widget(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    shown: list[Any] = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    server = await audio_server()
    client = await client_of(server)
    await stream(sine(0.2, freq=440), client, realtime=False, progress=True)
    (bar,) = shown
    assert type(bar).__name__ == "IntProgress"
    assert (bar.value, bar.max) == (10, 10)


async def test_a_long_realtime_stream_shows_its_progress_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    from wskit.audio import AUTO_PROGRESS_SECONDS

    server = await audio_server()
    client = await client_of(server)
    await stream(sine(0.2, freq=440), client, frame_ms=20)  # short: nothing shown
    assert capsys.readouterr().err == ""
    long = sine(AUTO_PROGRESS_SECONDS + 1, freq=440)
    task = asyncio.ensure_future(stream(long, client, frame_ms=20))
    await asyncio.sleep(0.2)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    err = capsys.readouterr().err
    assert err == "wskit.audio.stream: sine 440 Hz (6.0 s), 6.0 s in real time (progress=False hides this)\n"
    task = asyncio.ensure_future(stream(long, client, frame_ms=20, progress=False))
    await asyncio.sleep(0.1)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert capsys.readouterr().err == ""


async def test_recorder_on_a_server_without_audio_in_says_why_it_records_nothing(tmp_path: pathlib.Path) -> None:
    server = wskit.WebsocketServerTransport(port=0)  # the Quickstart's server: audio_in_enabled is off
    await server.start()
    rec = Recorder().attach(server)
    client = wskit.WebsocketClientTransport(server.url)
    await client.start()
    stats = await stream(sine(0.1, freq=440), client, realtime=False)
    await eventually(lambda: rec.stats.rejected == stats.frames_sent == 5)
    assert rec.stats.frames == 0 and len(rec.to_numpy()) == 0
    assert "is not audio: set audio_in_enabled=True" in rec.stats.last_error
    assert "5 rejected (a binary message of" in str(rec.stats)
    with pytest.raises(ValueError, match=r"nothing recorded yet: 5 message\(s\) rejected, a binary message of \d+ "):
        rec.save_wav(tmp_path / "never-written.wav")
    with pytest.raises(TimeoutError, match=r"0 of 5 audio frames recorded within 0\.1 s; 5 rejected: a binary"):
        await rec.wait(5, timeout=0.1)
    assert not (tmp_path / "never-written.wav").exists()
    with pytest.raises(ValueError, match="attach"):
        Recorder().save_wav(tmp_path / "never.wav")


async def test_recorder_wait_returns_once_the_frames_arrived() -> None:
    server = await audio_server()
    rec = Recorder().attach(server)
    client = await client_of(server)
    stats = await stream(sine(0.2, freq=440), client, realtime=False)
    recorded = await rec.wait(stats.frames_sent, timeout=5)
    assert recorded.frames == stats.frames_sent == 10 and recorded.rejected == 0
