"""AudioScope: known signals in, numbers and pictures out; live on loopback."""

from __future__ import annotations

import asyncio
import math
import time

import numpy as np
import pytest

import wskit
from tests.conftest import eventually
from wskit.plot import AudioScope

RATE = 16_000
FRAME = 320  # 20 ms


def sine(seconds: float, freq: float = 440.0, amplitude: float = 0.5, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * 32768 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def frames_of(samples: np.ndarray, rate: int = RATE) -> list[wskit.AudioFrame]:
    return [wskit.AudioFrame.from_samples(samples[i : i + FRAME], rate) for i in range(0, len(samples), FRAME)]


def feed(scope: AudioScope, samples: np.ndarray, start: float = 0.0) -> None:
    """Push 20 ms frames stamped as if they arrived in real time."""
    for i, frame in enumerate(frames_of(samples)):
        scope.push(frame, at=start + i * 0.02)


class TestNumbers:
    def test_half_scale_sine(self) -> None:
        scope = AudioScope(sample_rate=RATE, window_s=2.0)
        feed(scope, sine(2.0))
        stats = scope.stats
        assert stats.peak_dbfs == pytest.approx(-6.0, abs=0.5)
        assert stats.rms_dbfs == pytest.approx(-9.0, abs=0.5)
        assert stats.peak_hz is not None
        assert abs(stats.peak_hz - 440.0) <= RATE / scope.n_fft
        assert stats.frames == 100
        assert stats.seconds == pytest.approx(2.0)

    def test_silence_reads_as_silence(self) -> None:
        scope = AudioScope()
        assert scope.stats.rms_dbfs == -math.inf  # nothing yet
        feed(scope, np.zeros(RATE, dtype=np.int16))
        stats = scope.stats
        assert stats.rms_dbfs == stats.peak_dbfs == -math.inf
        assert not any(math.isnan(v) for v in (stats.rms_dbfs, stats.peak_dbfs))
        assert stats.peak_hz is None
        assert "-inf dBFS" in scope._label_html()

    def test_levels_cover_only_the_visible_window(self) -> None:
        scope = AudioScope(window_s=1.0)
        feed(scope, sine(1.0))
        feed(scope, np.zeros(RATE, dtype=np.int16), start=1.0)  # the sine scrolled out
        assert scope.stats.peak_dbfs == -math.inf

    def test_no_frame_dropped_at_50_frames_per_second_for_10_s(self) -> None:
        scope = AudioScope()
        feed(scope, sine(10.0))
        stats = scope.stats
        assert (stats.frames, stats.rejected, stats.gaps) == (500, 0, 0)
        assert stats.seconds == pytest.approx(10.0)
        assert stats.rate == pytest.approx(50.0)
        assert scope._ring.written == 10 * RATE

    def test_stereo_has_a_level_for_both_channels(self) -> None:
        scope = AudioScope(channels=2)
        left = sine(1.0)
        feed(scope, np.stack([left, np.zeros_like(left)], axis=1))
        # half the samples are silent: RMS drops by 3 dB, the peak does not
        assert scope.stats.peak_dbfs == pytest.approx(-6.0, abs=0.5)
        assert scope.stats.rms_dbfs == pytest.approx(-12.0, abs=0.5)

    def test_other_formats_are_reported_not_mixed(self) -> None:
        scope = AudioScope(sample_rate=RATE, channels=1)
        assert not scope.push(wskit.AudioFrame.from_samples(sine(0.02, rate=8000), 8000))
        assert not scope.push(wskit.AudioFrame.from_samples(np.zeros((FRAME, 2), dtype=np.int16), RATE))
        assert not scope.push(np.zeros(FRAME, dtype=np.int32))
        stats = scope.stats
        assert (stats.frames, stats.rejected, stats.seconds) == (0, 3, 0.0)
        assert "int16" in stats.last_error
        assert scope.push(sine(0.02))  # a bare array at the scope's rate is fine
        assert "rejected" in scope._label_html()

    def test_gaps_are_counted(self) -> None:
        scope = AudioScope()
        feed(scope, sine(1.0))
        feed(scope, sine(1.0), start=1.5)  # half a second of nothing
        assert scope.stats.gaps == 1
        assert scope.stats.gap_seconds == pytest.approx(0.5, abs=0.03)


class TestPictures:
    def test_sine_and_silence_render_differently(self) -> None:
        tone, quiet = AudioScope(), AudioScope()
        feed(tone, sine(2.0))
        feed(quiet, np.zeros(2 * RATE, dtype=np.int16))
        a, b = tone.render(), quiet.render()
        assert a.startswith(b"\xff\xd8") and b.startswith(b"\xff\xd8")  # JPEG
        assert a != b
        png = AudioScope(image_format="png")
        assert png.render().startswith(b"\x89PNG")

    def test_waveform_only(self) -> None:
        scope = AudioScope(spectrogram=False)
        feed(scope, sine(0.5))
        assert scope.render() and scope.stats.peak_hz is not None

    def test_live_picture_matches_the_snapshot(self) -> None:
        from matplotlib.figure import Figure
        from PIL import Image

        scope = AudioScope(image_format="png")
        feed(scope, sine(2.0, freq=2000.0))
        live = np.asarray(Image.open(__import__("io").BytesIO(scope.render())).convert("RGB")).astype(int)
        figure = scope.snapshot()
        assert isinstance(figure, Figure) and len(figure.axes) == 3
        figure.canvas.draw()  # type: ignore[no-untyped-call]
        snap = np.asarray(figure.canvas.buffer_rgba())[:, :, :3].astype(int)  # type: ignore[attr-defined]
        assert live.shape == snap.shape
        # the same picture, but the snapshot's status title: compare below it
        assert np.abs(live[40:] - snap[40:]).mean() < 2.0

    def test_renders_are_throttled_without_a_loop(self) -> None:
        scope = AudioScope(fps=20)
        started = time.monotonic()
        feed(scope, sine(2.0))
        elapsed = time.monotonic() - started
        assert 1 <= scope.renders <= 20 * elapsed + 1

    def test_widget_shows_the_latest_image(self) -> None:
        scope = AudioScope()
        widget = scope.widget
        feed(scope, sine(0.5))
        scope.render()
        image, label = widget.children
        assert image.value == scope.image
        assert "<b>25</b> frames" in label.value
        bundle = scope._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in bundle
        assert "AudioScope 1 ch @ 16000 Hz" in repr(scope)


async def test_render_task_draws_the_latest_state_at_most_fps_times() -> None:
    scope = AudioScope(fps=20)
    started = time.monotonic()
    for frame in frames_of(sine(1.0)):  # 50 frames at once: one or two renders, not 50
        scope.push(frame)
    await eventually(lambda: scope.renders >= 1 and not scope._dirty)
    assert scope.stats.frames == 50
    for frame in frames_of(sine(0.4)):  # 20 frames paced at 50/s: about 8 renders
        scope.push(frame)
        await asyncio.sleep(0.02)
    await eventually(lambda: not scope._dirty)
    elapsed = time.monotonic() - started
    assert scope.renders <= 20 * elapsed + 2
    assert scope.stats.frames == 70


async def _audio_pair() -> tuple[wskit.WebsocketServerTransport, wskit.WebsocketClientTransport]:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(audio_in_enabled=True), port=0)
    await server.start()
    client = wskit.WebsocketClientTransport(server.url)
    await client.start()
    await eventually(lambda: len(server.clients) == 1)
    return server, client


async def test_attach_to_a_live_server_and_client() -> None:
    server, client = await _audio_pair()
    received = AudioScope().attach(server)
    sent = AudioScope().attach(client, direction="out")
    one = AudioScope().attach(server.clients[0])
    for frame in frames_of(sine(0.4)):
        await client.send(frame)
    await eventually(lambda: received.stats.frames == 20)
    assert sent.stats.frames == 20 and one.stats.frames == 20
    assert received.stats.peak_dbfs == pytest.approx(-6.0, abs=0.5)
    await client.send_text("not audio")  # ignored, not rejected
    for scope in (received, sent, one):
        scope.detach()
    await client.send(frames_of(sine(0.02))[0])
    await asyncio.sleep(0.05)
    assert received.stats.frames == 20 and received.stats.rejected == 0
    assert received.renders >= 1 and received._task is None


async def test_a_connection_scope_sees_only_its_connection() -> None:
    server, client = await _audio_pair()
    other = wskit.WebsocketClientTransport(server.url)
    await other.start()
    await eventually(lambda: len(server.clients) == 2)
    first = AudioScope().attach(server.clients[0])
    everyone = AudioScope().attach(server)
    await client.send(frames_of(sine(0.02))[0])
    await other.send(frames_of(sine(0.02))[0])
    await eventually(lambda: everyone.stats.frames == 2)
    assert first.stats.frames == 1
    first.detach()
    everyone.detach()


async def test_binary_that_is_not_audio_is_reported() -> None:
    server = wskit.WebsocketServerTransport(port=0)  # audio_in_enabled is off: binary stays bytes
    await server.start()
    client = wskit.WebsocketClientTransport(server.url)
    await client.start()
    scope = AudioScope().attach(server)
    await client.send_bytes(b"\x00\x01" * 320)
    await eventually(lambda: scope.stats.rejected == 1)
    assert scope.stats.frames == 0
    assert "audio_in_enabled=True" in scope.stats.last_error
    scope.detach()


def test_attach_needs_a_transport_or_connection() -> None:
    with pytest.raises(TypeError, match="cannot attach"):
        AudioScope().attach(object())
    with pytest.raises(ValueError):
        AudioScope().attach(wskit.WebsocketServerTransport(port=0), direction="sideways")  # type: ignore[arg-type]


@pytest.mark.timeout(40)
async def test_real_time_stream_for_10_s_loses_no_frame() -> None:
    """500 frames paced at 50/s on absolute deadlines over loopback, the scope rendering at 20 fps."""
    server, client = await _audio_pair()
    scope = AudioScope().attach(server)
    frames = frames_of(sine(10.0))
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i, frame in enumerate(frames):
        delay = start + i * 0.02 - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await client.send(frame)
    await eventually(lambda: scope.stats.frames == len(frames))
    elapsed = loop.time() - start
    stats = scope.stats
    assert (stats.frames, stats.rejected) == (500, 0)
    assert stats.seconds == pytest.approx(10.0)
    assert 100 <= stats.renders <= 20 * elapsed + 2  # about 20 renders a second, never one per frame
    scope.detach()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        AudioScope(sample_rate=0)
    with pytest.raises(ValueError):
        AudioScope(image_format="gif")  # type: ignore[arg-type]


def test_auto_mode_is_image_unless_ipympl_is_the_backend() -> None:
    assert AudioScope().mode == "image"
    with pytest.raises(ValueError, match="mode"):
        AudioScope(mode="svg")  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore:Passing unrecognized arguments:DeprecationWarning")  # ipympl's own toolbar
def test_ipympl_mode_shows_the_canvas_and_redraws_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import ipympl  # noqa: F401  # in the lab extra, so in every dev install: this test never skips
    import matplotlib

    monkeypatch.setitem(matplotlib.rcParams, "backend", "module://ipympl.backend_nbagg")
    scope = AudioScope()
    assert scope.mode == "ipympl"
    canvas, _ = scope.widget.children
    assert type(canvas).__name__ == "Canvas" and canvas.figure is scope._ensure_figure().figure
    requests = []
    monkeypatch.setattr(canvas, "draw_idle", lambda: requests.append(1))
    feed(scope, sine(0.5))
    assert scope.render() == b""
    assert requests and scope.stats.renders >= 1
    trace = scope._ensure_figure().traces[0]
    assert trace.get_xy()[:, 1].max() == pytest.approx(0.5, abs=0.01)  # the waveform is on the canvas' figure
