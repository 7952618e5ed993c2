"""Record a WebSocket session and replay it as a regression test.

``session = wskit.testing.record(client)`` records a conversation (handshake,
messages, pings, the close) from a transport's events; ``session.save(path)``
writes it as a cassette, a JSON Lines file one message a line
(:class:`Session`), and ``Session.load(path)`` reads it back (or a
browser's HAR). ``await wskit.testing.replay(session, url)`` plays its client
side against a live server and reports the first difference as a diff;
``async with wskit.testing.serve(session) as url:`` plays its server side for
a client under test. The pytest plugin (:mod:`wskit.testing.plugin`, the only
part that imports pytest) adds fixtures, the ``wskit_cassette`` marker and
record modes. Frame assertions (``await conn.expect_text("hi")``) live on the
connections themselves.
"""

from ._cassette import RECORD_MODES, Cassette, MissingCassette, RecordMode
from ._conversation import CassetteError, Close, Conversation, Handshake, Step
from ._fake import serve
from ._handshake import MissingSecret
from ._matching import Difference, Matcher, Matching, ReplayMismatch, binary_length
from ._recorder import Recording, record
from ._replay import ReplayResult, replay
from ._session import FORMAT_VERSION, Session

# ``pytest -p wskit.testing`` from a checkout where the entry point is not installed:
# pytest registers this package, then loads the plugin module named here.
pytest_plugins = ["wskit.testing.plugin"]

__all__ = [
    "FORMAT_VERSION",
    "RECORD_MODES",
    "Cassette",
    "CassetteError",
    "Close",
    "Conversation",
    "Difference",
    "Handshake",
    "Matcher",
    "Matching",
    "MissingCassette",
    "MissingSecret",
    "RecordMode",
    "Recording",
    "ReplayMismatch",
    "ReplayResult",
    "Session",
    "Step",
    "binary_length",
    "record",
    "replay",
    "serve",
]
