"""Audio on numpy: G.711 codecs, conversions, resampling, WAV, test signals,
real-time pacing and a recorder.

PCM is int16 with shape ``(frames, channels)``. The signal modules
(codecs, conversions, resampling, WAV) import nothing from wskit and nothing
from each other; the frame-facing parts (``AudioSource.frames``,
:func:`stream`, :class:`Recorder`) meet :class:`~wskit.frames.AudioFrame`
only at call time. This package sits above ``wskit.frames`` and
``wskit.events`` and below the serializers (the import contracts in
``pyproject.toml`` check it). ``import wskit`` does not import this package
(numpy is loaded here, on first use).
"""

from ._codecs import alaw2lin, lin2alaw, lin2ulaw, ulaw2lin
from ._convert import deinterleave, from_bytes, interleave, to_bytes, to_float32, to_int16
from ._pacing import AUTO_PROGRESS_SECONDS, StreamStats, stream
from ._recorder import FormatChange, Recorder, RecorderStats, not_audio
from ._resample import SUPPORTED_RATES, Resampler, resample
from ._sources import AudioSource, chirp, dtmf, from_array, from_wav, noise, silence, sine
from ._wav import WavData, add_header, is_wav, parse
from ._wav import read as read_wav
from ._wav import write as write_wav

__all__ = [
    "AUTO_PROGRESS_SECONDS",
    "SUPPORTED_RATES",
    "AudioSource",
    "FormatChange",
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
    "not_audio",
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
