"""Live and static plots of audio streams and WebSocket sessions.

* :class:`AudioScope` — a live waveform, RMS/peak meter and spectrogram of
  audio frames as they stream, drawn off the data path.
* :func:`plot_audio` — waveform and spectrogram of recorded audio.
* :func:`timeline` — a sequence diagram of a session from its events.

matplotlib and ipywidgets are imported when something is drawn, not when
this package is imported; ``import wskit`` does not import this package.
"""

from .scope import AudioScope
from .sequence import Arrow, Band, Note, Timeline, timeline
from .signal import ScopeStats
from .static import plot_audio

__all__ = ["Arrow", "AudioScope", "Band", "Note", "ScopeStats", "Timeline", "plot_audio", "timeline"]
