"""G.711 codecs: bit-exact against the stdlib audioop (Python 3.11) on every int16 input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from wskit.audio import alaw2lin, lin2alaw, lin2ulaw, ulaw2lin

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # audioop is deprecated, and the right oracle
    audioop = pytest.importorskip("audioop")

EVERY_INT16 = np.arange(-32768, 32768, dtype=np.int16)
EVERY_CODE = bytes(range(256))


def test_ulaw_encode_matches_audioop_on_all_65536_inputs() -> None:
    expected = np.frombuffer(audioop.lin2ulaw(EVERY_INT16.tobytes(), 2), dtype=np.uint8)
    np.testing.assert_array_equal(lin2ulaw(EVERY_INT16), expected)


def test_alaw_encode_matches_audioop_on_all_65536_inputs() -> None:
    expected = np.frombuffer(audioop.lin2alaw(EVERY_INT16.tobytes(), 2), dtype=np.uint8)
    np.testing.assert_array_equal(lin2alaw(EVERY_INT16), expected)


def test_ulaw_decode_matches_audioop_on_all_256_codes() -> None:
    expected = np.frombuffer(audioop.ulaw2lin(EVERY_CODE, 2), dtype=np.int16)
    np.testing.assert_array_equal(ulaw2lin(EVERY_CODE), expected)


def test_alaw_decode_matches_audioop_on_all_256_codes() -> None:
    expected = np.frombuffer(audioop.alaw2lin(EVERY_CODE, 2), dtype=np.int16)
    np.testing.assert_array_equal(alaw2lin(EVERY_CODE), expected)


class TestKnownValues:
    def test_ulaw_silence_and_extremes(self) -> None:
        assert lin2ulaw(np.array([0, 32767, -32768], np.int16)).tolist() == [0xFF, 0x80, 0x00]
        assert ulaw2lin(b"\xff\x80\x00").tolist() == [0, 32124, -32124]

    def test_alaw_silence_and_extremes(self) -> None:
        assert lin2alaw(np.array([0, 32767, -32768], np.int16)).tolist() == [0xD5, 0xAA, 0x2A]
        assert alaw2lin(b"\xd5\xaa\x2a").tolist() == [8, 32256, -32256]


class TestShapesAndInputs:
    def test_keeps_shape(self) -> None:
        stereo = np.zeros((10, 2), np.int16)
        assert lin2ulaw(stereo).shape == (10, 2)
        assert lin2alaw(stereo).dtype == np.uint8

    def test_bytes_in(self) -> None:
        assert lin2ulaw(b"\x00\x00\xff\x7f").tolist() == [0xFF, 0x80]

    def test_odd_byte_count_is_a_clear_error(self) -> None:
        with pytest.raises(ValueError, match="even number of bytes, got 3"):
            lin2ulaw(b"\x00\x00\x01")

    def test_float_input_is_refused(self) -> None:
        with pytest.raises(TypeError, match="int16"):
            lin2alaw(np.zeros(4, np.float32))

    def test_decode_needs_uint8(self) -> None:
        with pytest.raises(TypeError, match="uint8"):
            ulaw2lin(np.zeros(4, np.int16))

    def test_round_trip_error_is_bounded(self) -> None:
        # μ-law steps are 8 near zero and grow with the segment, up to 1024 near full scale
        decoded = ulaw2lin(lin2ulaw(EVERY_INT16)).astype(np.int32)
        err = np.abs(decoded - EVERY_INT16.astype(np.int32))
        assert err.max() <= 1024
        assert np.all(err[np.abs(EVERY_INT16.astype(np.int32)) < 100] <= 8)
