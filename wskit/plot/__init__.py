"""Live and static plots of audio streams and WebSocket sessions.

* :class:`AudioScope` — a live waveform, RMS/peak meter and spectrogram of
  audio frames as they stream, drawn off the data path.
* :func:`plot_audio` — waveform and spectrogram of recorded audio.
* :func:`timeline` — a sequence diagram of a session from its events.

matplotlib and ipywidgets are imported when something is drawn, not when
this package is imported; ``import wskit`` does not import this package.
"""

from ._scope import AudioScope
from ._sequence import Arrow, Note, Timeline, timeline
from ._signal import ScopeStats
from ._static import plot_audio

__all__ = ["Arrow", "AudioScope", "Note", "ScopeStats", "Timeline", "plot_audio", "timeline"]
