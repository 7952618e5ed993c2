"""The audio page's JavaScript (wskit/pages/pcm.js), run by Node, against wskit's Python side.

What the page puts on the wire must be what wskit and Pipecat read: its protobuf frames are
compared byte for byte with :class:`wskit.ProtobufFrameSerializer`, its WAV header with
:func:`wskit.audio.add_header`, and its decoder reads what the Python serializer writes.
Without Node the tests skip locally and fail under CI (``CI`` set), like the browser tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wskit
from wskit.audio import add_header, to_int16

HERE = Path(__file__).resolve().parent
NODE = shutil.which("node")

pytestmark = pytest.mark.timeout(30)


def node(requests: list[dict[str, Any]], tmp_path: Path) -> list[Any]:
    """Answers of pcm_harness.mjs, one per request."""
    if NODE is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Node for the audio page's JavaScript tests (apt-get install nodejs)")
        pytest.skip("Node is not installed (apt-get install nodejs)")
    (tmp_path / "pcm.mjs").write_text((files("wskit.pages") / "pcm.js").read_text("utf-8"))
    shutil.copy(HERE / "pcm_harness.mjs", tmp_path / "harness.mjs")
    done = subprocess.run(
        [NODE, str(tmp_path / "harness.mjs")],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        timeout=25,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers: list[Any] = json.loads(done.stdout)
    return answers


def pcm(samples: int, channels: int = 1, seed: int = 7) -> bytes:
    rng = np.random.default_rng(seed)
    return rng.integers(-32768, 32767, samples * channels, dtype=np.int16).astype("<i2").tobytes()


class TestProtobufEncoding:
    """The page's frames, byte for byte what ProtobufFrameSerializer writes (Pipecat's frames.proto)."""

    @pytest.mark.parametrize(
        ("rate", "channels", "samples"), [(16000, 1, 320), (8000, 1, 80), (48000, 2, 960), (16000, 1, 0)]
    )
    def test_audio_frame(self, tmp_path: Path, rate: int, channels: int, samples: int) -> None:
        audio = pcm(samples, channels)
        (js,) = node([{"op": "audio", "pcm": audio.hex(), "rate": rate, "channels": channels, "pts": None}], tmp_path)
        python = wskit.ProtobufFrameSerializer().serialize(wskit.AudioFrame(audio, rate, channels))
        assert python is not None
        assert bytes.fromhex(js) == python

    def test_audio_frame_with_pts(self, tmp_path: Path) -> None:
        stamp = 1_796_228_682_104 * 1_000_000  # a Date.now() in ns: more than 2**53, so a BigInt in JS
        small, big = node(
            [
                {"op": "audio", "pcm": "0100", "rate": 16000, "channels": 1, "pts": "5"},
                {"op": "audio", "pcm": pcm(320).hex(), "rate": 16000, "channels": 1, "pts": str(stamp)},
            ],
            tmp_path,
        )
        # Frame{audio = 2: AudioRawFrame{audio = 3: 01 00, sample_rate = 4: 16000, num_channels = 5: 1, pts = 6: 5}}
        assert small == "120b" + "1a020100" + "20807d" + "2801" + "3005"
        frame = wskit.ProtobufFrameSerializer().deserialize(bytes.fromhex(big))
        assert isinstance(frame, wskit.AudioFrame)
        assert (frame.pts, frame.audio, frame.sample_rate, frame.num_channels) == (stamp, pcm(320), 16000, 1)

    @pytest.mark.parametrize("text", ["hello pipecat", "héllo ✓ <b>", ""])
    def test_text_frame(self, tmp_path: Path, text: str) -> None:
        (js,) = node([{"op": "text", "text": text}], tmp_path)
        assert bytes.fromhex(js) == wskit.ProtobufFrameSerializer().serialize(wskit.TextFrame(text))
        if text == "hello pipecat":
            assert js == "0a0f1a0d" + text.encode().hex()

    def test_message_frame(self, tmp_path: Path) -> None:
        data = {"type": "clock", "server": 12.5, "page": 1796228682104, "note": "é"}
        (js,) = node([{"op": "message", "data": json.dumps(data)}], tmp_path)
        assert bytes.fromhex(js) == wskit.ProtobufFrameSerializer().serialize(wskit.MessageFrame(data))


class TestProtobufDecoding:
    """The page reads every frame kind the Python serializer writes, ids and pts included."""

    def decode(self, tmp_path: Path, *messages: bytes) -> list[Any]:
        return node([{"op": "decode", "data": m.hex()} for m in messages], tmp_path)

    def test_every_kind(self, tmp_path: Path) -> None:
        s = wskit.ProtobufFrameSerializer(send_ids=True)
        frames = [
            wskit.AudioFrame(pcm(160, 2), 8000, 2, pts=2**60 + 3),
            wskit.TextFrame("<i>hi</i>"),
            wskit.TranscriptionFrame("hello", "user-1", "2026-12-02T10:00:00Z"),
            wskit.MessageFrame({"a": [1, 2]}),
            wskit.InterruptionFrame(),
        ]
        messages = [s.serialize(f) for f in frames]
        audio, text, transcription, message, interruption = self.decode(tmp_path, *(m for m in messages if m))
        assert audio == {
            "type": "audio",
            "audio": {"hex": pcm(160, 2).hex()},
            "sampleRate": 8000,
            "numChannels": 2,
            "pts": str(2**60 + 3),
        }
        assert text == {"type": "text", "text": "<i>hi</i>"}
        assert transcription == {
            "type": "transcription",
            "text": "hello",
            "userId": "user-1",
            "timestamp": "2026-12-02T10:00:00Z",
        }
        assert message == {"type": "message", "data": '{"a": [1, 2]}'}
        assert interruption == {"type": "interruption"}

    def test_unknown_fields_and_kinds_are_skipped(self, tmp_path: Path) -> None:
        audio = wskit.ProtobufFrameSerializer().serialize(wskit.AudioFrame(b"\x01\x00", 16000))
        assert audio is not None
        inner = audio[2:] + bytes([9 << 3, 42])  # AudioRawFrame field 9 (varint 42): unknown
        with_unknown = bytes([0x12, len(inner)]) + inner
        newer_kind = bytes([7 << 3 | 2, 0])  # Frame field 7: a frame type newer than the schema
        decoded, skipped = self.decode(tmp_path, with_unknown, newer_kind)
        assert decoded["sampleRate"] == 16000 and decoded["audio"] == {"hex": "0100"}
        assert skipped == {"type": None}

    def test_broken_input_says_what_is_wrong(self, tmp_path: Path) -> None:
        audio = wskit.ProtobufFrameSerializer().serialize(wskit.AudioFrame(pcm(320), 16000))
        assert audio is not None
        no_rate = bytes.fromhex("1204" + "1a020100")
        truncated, mid_varint, zero_rate = self.decode(tmp_path, audio[:300], b"\x12\xff", no_rate)
        assert truncated["error"] == "truncated: Frame field 2 announces 648 bytes, 297 remain"
        assert "mid-varint" in mid_varint["error"]
        assert zero_rate["error"] == "AudioRawFrame has sample_rate 0 (missing or zero)"


class TestWav:
    @pytest.mark.parametrize(("rate", "channels"), [(16000, 1), (48000, 2)])
    def test_header_is_pythons(self, tmp_path: Path, rate: int, channels: int) -> None:
        audio = pcm(100, channels)
        js, parsed = node(
            [
                {"op": "wav", "pcm": audio.hex(), "rate": rate, "channels": channels},
                {"op": "parse_wav", "data": add_header(audio, rate, channels).hex()},
            ],
            tmp_path,
        )
        assert bytes.fromhex(js) == add_header(audio, rate, channels)
        assert parsed == {"pcm": {"hex": audio.hex()}, "sampleRate": rate, "numChannels": channels}

    def test_not_wav_is_null(self, tmp_path: Path) -> None:
        assert node([{"op": "parse_wav", "data": pcm(10).hex()}], tmp_path) == [None]


class TestSamples:
    def test_float_to_int16_matches_numpy(self, tmp_path: Path) -> None:
        values = [-1.5, -1.0, -0.5, -1e-6, 0.0, 0.25, 0.3, 0.999, 1.0, 2.0]
        (js,) = node([{"op": "to_int16", "samples": values}], tmp_path)
        assert js == to_int16(np.array(values, dtype=np.float32)).tolist()

    def test_levels_of_a_half_scale_sine(self, tmp_path: Path) -> None:
        sine = (0.5 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).tolist()
        (js,) = node([{"op": "levels", "samples": sine}], tmp_path)
        assert js["peakDbfs"] == pytest.approx(-6.02, abs=0.01)
        assert js["rmsDbfs"] == pytest.approx(-9.03, abs=0.01)


class TestResampler:
    """The worklets' resampler: the tone survives at its level, aliases and images do not."""

    @staticmethod
    def tone(out: list[float], rate: int) -> tuple[float, float]:
        """(frequency of the strongest bin, RMS in dBFS) of the output after its first 0.1 s."""
        x = np.asarray(out[rate // 10 :])
        spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        return float(np.argmax(spectrum)) * rate / len(x), 20 * float(np.log10(np.sqrt(np.mean(x**2)) + 1e-12))

    def run(self, tmp_path: Path, **case: Any) -> list[list[float]]:
        answers: list[list[float]] = node([{"op": "resample", **case}], tmp_path)
        return answers

    @pytest.mark.parametrize(
        ("source", "target", "freq"), [(44100, 16000, 440), (48000, 16000, 3000), (16000, 48000, 1000)]
    )
    def test_tone_passes(self, tmp_path: Path, source: int, target: int, freq: int) -> None:
        (out,) = self.run(tmp_path, **{"from": source, "to": target}, freq=freq, seconds=1.0, amplitude=0.5, block=128)
        lookahead = 12 / 0.9 * target / min(source, target)  # samples held back until the kernel has its input
        assert 0 <= target - len(out) <= lookahead + 1
        peak_hz, rms = self.tone(out, target)
        assert abs(peak_hz - freq) <= target / (len(out) - target // 10)  # within one bin
        assert rms == pytest.approx(-9.03, abs=0.1)  # a half-scale sine keeps its level

    @pytest.mark.parametrize(("source", "target", "freq"), [(48000, 16000, 12000), (44100, 16000, 9000)])
    def test_what_cannot_be_represented_is_removed(self, tmp_path: Path, source: int, target: int, freq: int) -> None:
        (out,) = self.run(tmp_path, **{"from": source, "to": target}, freq=freq, seconds=1.0, amplitude=0.5, block=128)
        _, rms = self.tone(out, target)
        assert rms < -9.03 - 60  # an alias at least 60 dB down

    def test_block_size_does_not_matter(self, tmp_path: Path) -> None:
        case = {"from": 44100, "to": 16000, "freq": 440, "seconds": 0.5, "amplitude": 0.5}
        small, large = node(
            [{"op": "resample", **case, "block": 128}, {"op": "resample", **case, "block": 4410}], tmp_path
        )
        assert len(small) == len(large)
        assert np.max(np.abs(np.asarray(small) - np.asarray(large))) < 1e-6

    def test_equal_rates_pass_through(self, tmp_path: Path) -> None:
        (out,) = self.run(tmp_path, **{"from": 16000, "to": 16000}, freq=440, seconds=0.1, amplitude=0.5, block=128)
        expected = 0.5 * np.sin(2 * np.pi * 440 * np.arange(1600) / 16000)
        assert np.max(np.abs(np.asarray(out) - expected.astype(np.float32))) < 1e-7


@pytest.mark.parametrize("name", ["audio.js", "pcm.js", "capture-worklet.js", "playback-worklet.js"])
def test_every_script_parses_as_a_module(tmp_path: Path, name: str) -> None:
    node([], tmp_path)  # skips (or fails under CI) without Node
    assert NODE is not None
    module = tmp_path / (name.removesuffix(".js") + ".mjs")
    module.write_text((files("wskit.pages") / name).read_text("utf-8"))
    done = subprocess.run([NODE, "--check", str(module)], capture_output=True, text=True, timeout=20, check=False)
    assert done.returncode == 0, done.stderr
