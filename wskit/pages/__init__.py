"""Pages a wskit server hands to a browser, with the scripts they load, from its own port.

A :class:`Page` is an HTML document plus a few named text assets (ES modules,
AudioWorklet modules) served at fixed paths beside it: no CDN, no build step,
so the page works on a machine with no network. ``WebsocketServerParams(html=page)``
serves it (see ``wskit/transports/pages.py``).

:data:`AUDIO_PAGE` is the browser as a microphone and a speaker: it captures
the microphone in an AudioWorklet, resamples it to the rate the page's URL asks
for and sends one binary message per frame (raw PCM, WAV or Pipecat's protobuf
frames), and plays the audio frames it receives through a second worklet with a
small jitter buffer. Its files live beside this module (``audio.html``,
``audio.js``, ``pcm.js``, ``capture-worklet.js``, ``playback-worklet.js``) and
ship in the wheel as package data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

__all__ = ["AUDIO_PAGE", "Asset", "Page"]

_JS = "text/javascript; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Asset:
    """One file a page loads: its text and the ``Content-Type`` it is served with."""

    content_type: str
    text: str


@dataclass(frozen=True, slots=True, repr=False)
class Page:
    """An HTML page and the assets it loads, each at a fixed absolute path.

    Attributes:
        html: the document served at ``GET /``.
        assets: ``{"/path/file.js": Asset(...)}``, served at exactly those paths.
    """

    html: str
    assets: Mapping[str, Asset] = field(default_factory=dict)

    def __repr__(self) -> str:  # the text itself is tens of kB: say what is there
        return f"<Page: {len(self.html)} chars of HTML, assets {', '.join(self.assets) or 'none'}>"

    def __post_init__(self) -> None:
        for path in self.assets:
            if not path.startswith("/") or path == "/" or "?" in path:
                raise ValueError(f"asset paths are absolute, not '/', with no query: {path!r}")

    @classmethod
    def from_package(cls, package: str, html: str, assets: Mapping[str, str]) -> Page:
        """A page whose files are package data: ``assets`` maps URL paths to file names."""
        root = files(package)
        return cls(
            (root / html).read_text("utf-8"),
            {path: Asset(_content_type(name), (root / name).read_text("utf-8")) for path, name in assets.items()},
        )

    def url(self, server: Any, **query: object) -> str:
        """The page's address on ``server`` (a server transport, or its ``ws://`` / ``wss://`` URL).

        Keyword arguments become the query string (``rate=16000, format="protobuf"``);
        ``None`` values are left out. ``ws://`` becomes ``http://`` and
        ``wss://`` becomes ``https://``: the page comes from the same port.
        """
        base = server if isinstance(server, str) else server.url
        scheme, sep, rest = base.partition("://")
        if not sep or scheme not in ("ws", "wss", "http", "https"):
            raise ValueError(f"not a ws://, wss://, http:// or https:// URL: {base!r}")
        http = {"ws": "http", "wss": "https"}.get(scheme, scheme)
        origin = rest.split("/", 1)[0]
        shown = {key: value for key, value in query.items() if value is not None}
        return f"{http}://{origin}/" + (f"?{urlencode(shown)}" if shown else "")


def _content_type(name: str) -> str:
    if name.endswith(".js"):
        return _JS
    if name.endswith(".css"):
        return "text/css; charset=utf-8"
    raise ValueError(f"no content type known for {name!r}")


#: The audio page: ``WebsocketServerParams(html=wskit.AUDIO_PAGE, audio_in_enabled=True)``.
#: Query parameters of its URL: ``rate`` (16000), ``frame_ms`` (10, 20 or 40; 20),
#: ``format`` (``raw``, ``wav`` or ``protobuf``; raw), ``buffer_ms`` (jitter buffer
#: target, 60) and ``max_buffer_ms`` (its maximum, 300), ``ws`` (a path on the
#: page's own host and port, or a full ``ws://`` / ``wss://`` URL; ``/``),
#: ``token`` (passed on as ``?token=``), ``stamp=1`` (protobuf only: each frame's
#: capture time in ``pts``), ``echo_cancellation=0`` (the browser's echo canceller
#: off; it is on by default, so an echo played by speakers is not captured again) and
#: ``autostart=1`` (start the microphone at once).
AUDIO_PAGE = Page.from_package(
    __name__,
    "audio.html",
    {
        "/wskit/audio.js": "audio.js",
        "/wskit/pcm.js": "pcm.js",
        "/wskit/capture-worklet.js": "capture-worklet.js",
        "/wskit/playback-worklet.js": "playback-worklet.js",
    },
)
