"""Live and static plots of audio streams and WebSocket sessions.

* :class:`AudioScope` — a live waveform, RMS/peak meter and spectrogram of
  audio frames as they stream, drawn off the data path.
* :func:`plot_audio` — waveform and spectrogram of recorded audio.
* :func:`timeline` — a sequence diagram of a session from its events.

Figures follow the notebook's light or dark theme though the kernel cannot
see the page: each is drawn once in a light style and shown as an image with
the class ``wskit-figure``, which one CSS rule inverts (hues kept) on a dark
JupyterLab, Notebook 7 or VS Code page. ``theme="dark"`` (or ``"light"``)
draws that style instead, for a front end that marks neither.

matplotlib and ipywidgets are imported when something is drawn, not when
this package is imported; ``import wskit`` does not import this package.
"""

from ._scope import AudioScope
from ._sequence import Arrow, Band, Note, Timeline, timeline
from ._signal import ScopeStats
from ._static import plot_audio

__all__ = ["Arrow", "AudioScope", "Band", "Note", "ScopeStats", "Timeline", "plot_audio", "timeline"]
