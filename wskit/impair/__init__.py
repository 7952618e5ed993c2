"""A bad network on demand, between a wskit client and a server in this process.

:class:`Link` is a TCP relay on ``127.0.0.1``: connect a client to
``link.url`` instead of the server's URL and the bytes between them get
latency, jitter (variable delay, order kept), a bandwidth limit per
direction, and faults on demand: ``stall`` (a frozen peer), ``drop`` (TCP
reset both ways), ``half_open`` (one way held), ``limit`` (close after N
bytes) and ``script`` (a schedule of those). Presets (:data:`PRESETS`) are
named after conditions people know, each with the source of its numbers.

Unlike ``tc netem`` (root and a network namespace), Toxiproxy (a separate Go
server) or a browser's DevTools throttling (which skips WebSocket traffic),
the link lives in the notebook's own event loop, is stopped by
:func:`wskit.stop_all`, and can be changed from a cell or a widget while a
stream runs. It relays bytes and parses nothing; it imports no transport.
"""

from ._link import Link, LinkStats
from ._presets import PRESETS, Preset, preset
from ._relay import Way
from ._script import Step
from ._shaping import MSS, Conditions, DelayLine, TokenBucket

__all__ = [
    "MSS",
    "PRESETS",
    "Conditions",
    "DelayLine",
    "Link",
    "LinkStats",
    "Preset",
    "Step",
    "TokenBucket",
    "Way",
    "preset",
]
