"""Test signals as AudioSource objects, cut into AudioFrames; WAV files and bytes."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

import wskit
from wskit import audio
from wskit.audio import AudioSource, chirp, dtmf, from_array, from_wav, noise, silence, sine


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize(
    "make",
    [
        lambda ch: sine(0.2, freq=440, channels=ch),
        lambda ch: chirp(0.2, channels=ch),
        lambda ch: noise(0.2, color="white", channels=ch, seed=1),
        lambda ch: noise(0.2, color="pink", channels=ch, seed=1),
        lambda ch: dtmf("123#", channels=ch),
        lambda ch: silence(0.2, channels=ch),
    ],
)
def test_every_source_is_int16_frames_by_channels(make: object, channels: int) -> None:
    source = make(channels)  # type: ignore[operator]
    assert source.samples.dtype == np.int16
    assert source.samples.shape[1] == channels == source.num_channels
    assert source.duration == pytest.approx(source.num_frames / source.sample_rate)


@pytest.mark.parametrize("frame_ms", [10, 20, 40])
@pytest.mark.parametrize("channels", [1, 2])
def test_frames_rebuild_the_source_exactly(frame_ms: int, channels: int) -> None:
    source = chirp(0.25, sample_rate=16000, channels=channels)
    frames = list(source.frames(frame_ms))
    assert all(isinstance(f, wskit.AudioFrame) for f in frames)
    assert {f.num_frames for f in frames[:-1]} == {16 * frame_ms}
    assert all(f.sample_rate == 16000 and f.num_channels == channels for f in frames)
    np.testing.assert_array_equal(np.concatenate([f.samples for f in frames]), source.samples)


def test_last_frame_short_or_padded() -> None:
    source = sine(0.03, freq=440)  # 480 samples: one 20 ms frame and a 10 ms rest
    assert [f.num_frames for f in source.frames(20)] == [320, 160]
    assert [f.num_frames for f in source.frames(20, pad=True)] == [320, 320]


def test_frame_length_must_be_whole_samples() -> None:
    with pytest.raises(ValueError, match="not a whole number of samples at 22050 Hz"):
        list(sine(0.1, freq=440, sample_rate=22050).frames(10))


def test_sine_amplitude_and_frequency() -> None:
    s = sine(1.0, freq=1000, sample_rate=8000, amplitude=0.5)
    assert np.abs(s.samples).max() == 16384
    spectrum = np.abs(np.fft.rfft(s.samples[:, 0]))
    assert np.argmax(spectrum) == 1000


def test_chirp_sweeps_up() -> None:
    s = chirp(1.0, f0=100, f1=4000).samples[:, 0].astype(float)
    early, late = s[:1600], s[-1600:]
    zero_crossings = [np.count_nonzero(np.diff(np.sign(x))) for x in (early, late)]
    assert zero_crossings[1] > 10 * zero_crossings[0]


def test_pink_noise_falls_3db_per_octave() -> None:
    x = noise(4.0, color="pink", seed=3).samples[:, 0].astype(float)
    power = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / 16000)
    low = power[(f > 250) & (f < 500)].mean()
    high = power[(f > 2000) & (f < 4000)].mean()
    assert 10 * np.log10(low / high) == pytest.approx(9.0, abs=1.5)  # three octaves


def test_noise_is_reproducible_and_colour_checked() -> None:
    np.testing.assert_array_equal(noise(0.1, seed=7).samples, noise(0.1, seed=7).samples)
    with pytest.raises(ValueError, match="'white' or 'pink'"):
        noise(0.1, color="blue")  # type: ignore[arg-type]


def test_dtmf_tones() -> None:
    s = dtmf("5", sample_rate=8000, tone_ms=100, gap_ms=50)
    assert s.num_frames == 1200
    spectrum = np.abs(np.fft.rfft(s.samples[:800, 0]))  # 10 Hz bins
    peaks = sorted(np.argsort(spectrum)[-2:] * 10)
    assert peaks == [770, 1340] or peaks == [770, 1330]  # 770 + 1336 Hz
    with pytest.raises(ValueError, match="not a DTMF key"):
        dtmf("12x")


def test_silence_is_zero() -> None:
    assert not silence(0.1, channels=2).samples.any()


def test_from_array_accepts_float_and_interleaved() -> None:
    s = from_array(np.array([0.5, -0.5, 0.25, -0.25]), 8000, num_channels=2)
    assert s.samples.tolist() == [[16384, -16384], [8192, -8192]]
    with pytest.raises(ValueError, match="positive int"):
        from_array(np.zeros(4, np.int16), 0)


def test_wav_file_round_trip(tmp_path: pathlib.Path) -> None:
    source = chirp(0.1, sample_rate=24000, channels=2)
    path = tmp_path / "chirp.wav"
    data = source.to_wav(path)
    assert path.read_bytes() == data
    again = from_wav(path)
    assert (again.sample_rate, again.num_channels) == (24000, 2)
    np.testing.assert_array_equal(again.samples, source.samples)
    np.testing.assert_array_equal(from_wav(data).samples, source.samples)


def test_in_memory_wav_bytes_have_the_canonical_header() -> None:
    data = audio.write_wav(None, np.array([1, -1], np.int16), 8000)
    samples, rate = audio.read_wav(data)
    assert samples.tolist() == [[1], [-1]] and rate == 8000
    assert data[:4] == b"RIFF" and data[36:44] == b"data\x04\x00\x00\x00"
    assert data[44:] == b"\x01\x00\xff\xff"


def test_truncated_wav_header_is_a_clear_error() -> None:
    data = audio.write_wav(None, np.zeros(10, np.int16), 8000)
    with pytest.raises(ValueError, match="invalid WAV data"):
        from_wav(data[:20])


def test_source_checks_its_input() -> None:
    with pytest.raises(TypeError, match="int16"):
        AudioSource(np.zeros(4, np.float32), 8000)
    with pytest.raises(ValueError, match="positive int"):
        AudioSource(np.zeros(4, np.int16), 0)


def test_audio_package_never_imports_frames_at_module_level() -> None:
    """wskit.audio needs frames only at call time (the import contracts check the direction of every import)."""
    for path in pathlib.Path(audio.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only; TYPE_CHECKING blocks are not executed
            if isinstance(node, ast.ImportFrom):
                assert "frames" not in (node.module or ""), f"{path.name} imports {node.module} at module level"
                assert "transports" not in (node.module or ""), path.name


def test_every_generator_takes_its_duration_first_and_the_rest_by_keyword() -> None:
    import inspect

    for make in (sine, chirp, noise, silence):
        params = list(inspect.signature(make).parameters.values())
        assert params[0].name == "seconds" and params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:]), make
    assert [p.kind for p in inspect.signature(dtmf).parameters.values()][1:] == [inspect.Parameter.KEYWORD_ONLY] * 5
    assert sine(0.2, freq=440).duration == pytest.approx(0.2)
    with pytest.raises(TypeError):
        sine(440, 0.2)  # type: ignore[misc]  # the old order fails at once, instead of streaming 440 s
    with pytest.raises(TypeError):
        chirp(1.0, 100, 4000)  # type: ignore[misc]
