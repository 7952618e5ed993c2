"""Audio on numpy: WAV headers now; codecs, sources, pacing and buffers build on it."""

from .wav import WavData, add_header, is_wav, parse

__all__ = ["WavData", "add_header", "is_wav", "parse"]
