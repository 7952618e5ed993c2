"""int16/float32 conversions with clipping, interleaving."""

from __future__ import annotations

import numpy as np
import pytest

from wskit.audio import deinterleave, from_bytes, interleave, to_bytes, to_float32, to_int16


class TestFloat:
    def test_scale(self) -> None:
        x = np.array([-32768, 0, 16384, 32767], np.int16)
        np.testing.assert_array_equal(to_float32(x), np.array([-1.0, 0.0, 0.5, 32767 / 32768], np.float32))
        assert to_float32(x).dtype == np.float32

    def test_round_trip_is_exact(self) -> None:
        x = np.arange(-32768, 32768, dtype=np.int16)
        np.testing.assert_array_equal(to_int16(to_float32(x)), x)

    def test_clipping(self) -> None:
        assert to_int16(np.array([-2.0, 1.0, 1.5, 0.25])).tolist() == [-32768, 32767, 32767, 8192]

    def test_int16_passes_through(self) -> None:
        x = np.array([1, 2], np.int16)
        assert to_int16(x) is x

    def test_wrong_dtype(self) -> None:
        with pytest.raises(TypeError):
            to_float32(np.array([1, 2], np.int32))
        with pytest.raises(TypeError):
            to_int16(np.array([1, 2], np.int64))


class TestChannels:
    def test_interleave_and_back(self) -> None:
        left, right = np.array([1, 2, 3], np.int16), np.array([-1, -2, -3], np.int16)
        flat = interleave([left, right])
        assert flat.tolist() == [1, -1, 2, -2, 3, -3]
        np.testing.assert_array_equal(deinterleave(flat, 2), np.stack([left, right], axis=1))

    def test_deinterleave_uneven(self) -> None:
        with pytest.raises(ValueError, match="do not split into 2 channels"):
            deinterleave(np.zeros(5, np.int16), 2)

    def test_bytes(self) -> None:
        frames = from_bytes(b"\x01\x00\x02\x00\x03\x00\x04\x00", 2)
        assert frames.tolist() == [[1, 2], [3, 4]]
        assert to_bytes(frames) == b"\x01\x00\x02\x00\x03\x00\x04\x00"

    def test_odd_byte_count_is_a_clear_error(self) -> None:
        with pytest.raises(ValueError, match="3 bytes are not a whole number of int16 frames"):
            from_bytes(b"\x00\x01\x02", 1)
