"""Audio on numpy: G.711 codecs, conversions, resampling, WAV, test signals,
real-time pacing and a recorder.

PCM is int16 with shape ``(frames, channels)``. The signal modules
(``codecs``, ``convert``, ``resample``, ``wav``) import nothing from wskit;
the frame-facing parts (``AudioSource.frames``, :func:`stream`,
:class:`Recorder`) meet :class:`~wskit.frames.AudioFrame` only at call time,
so imports go one way: ``wskit.frames`` may use ``wskit.audio.wav``, never the
reverse at import. ``import wskit`` does not import this package (numpy is
loaded here, on first use).
"""

from .codecs import alaw2lin, lin2alaw, lin2ulaw, ulaw2lin
from .convert import deinterleave, from_bytes, interleave, to_bytes, to_float32, to_int16
from .jitter import JitterBuffer, JitterBufferStats
from .pacing import StreamStats, stream
from .recorder import FormatChange, Recorder, RecorderStats
from .resample import SUPPORTED_RATES, Resampler, resample
from .sources import AudioSource, chirp, dtmf, from_array, from_wav, noise, silence, sine
from .wav import WavData, add_header, is_wav, parse
from .wav import read as read_wav
from .wav import write as write_wav

__all__ = [
    "SUPPORTED_RATES",
    "AudioSource",
    "FormatChange",
    "JitterBuffer",
    "JitterBufferStats",
    "Recorder",
    "RecorderStats",
    "Resampler",
    "StreamStats",
    "WavData",
    "add_header",
    "alaw2lin",
    "chirp",
    "deinterleave",
    "dtmf",
    "from_array",
    "from_bytes",
    "from_wav",
    "interleave",
    "is_wav",
    "lin2alaw",
    "lin2ulaw",
    "noise",
    "parse",
    "read_wav",
    "resample",
    "silence",
    "sine",
    "stream",
    "to_bytes",
    "to_float32",
    "to_int16",
    "ulaw2lin",
    "write_wav",
]
