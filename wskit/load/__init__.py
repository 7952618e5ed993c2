"""Load tests on Locust: WebSocket users, real-time audio streams and voice metrics.

`Locust <https://locust.io>`_ runs many simulated users per process (gevent
greenlets) and many processes, on one machine or several (a master and its
workers). This package gives it what it lacks for voice services:

* :class:`WebSocketUser`: one connection (headers, subprotocol, token) whose
  ``send`` / ``receive`` / ``expect`` are reported to Locust as requests, with
  connects and failures (HTTP status, close code) as their own entries;
* :class:`AudioStreamUser`: streams a wskit audio source as sequence-stamped
  20 ms frames in real time through any wskit serializer and measures the
  echo round trip, RFC 3550 jitter, gaps, lost, duplicated and reordered
  frames (:class:`VoiceMetrics`), carried to the master with Locust's worker
  reports and printed as one table at the end (:class:`VoiceReport`);
* :data:`LOCUSTFILE`, the locustfile ``wskit load`` runs, usable with
  Locust's own ``--master`` / ``--worker`` flags across machines.

The user classes import Locust, which monkeypatches the standard library for
gevent when it is imported: they are loaded on first access
(``from wskit.load import AudioStreamUser`` in a locustfile), as is the
synchronous client they run on (:class:`SyncConnection`, on websocket-client,
and its failures :class:`ConnectFailed` and :class:`Closed`), while the pure
parts here (stamps, trackers, metrics, reports) import neither Locust, gevent
nor websocket-client. ``import wskit`` imports none of this package. Install
with ``pip install "wskit[load]"``.

The modules inside are private (``_name.py``) but one: ``wskit/load/locustfile.py``,
the file Locust's ``-f`` is given (its path is :data:`LOCUSTFILE`), whose
name stays as it is.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from ._metrics import Histogram, Second, VoiceMetrics
from ._plan import SOURCES, StreamPlan, make_source, plan_stream
from ._report import THRESHOLD_EXIT_CODE, Threshold, VoiceReport, read_report
from ._stamp import STAMP, Stamp, read_stamp, stamp_size, write_stamp
from ._tracker import Arrival, SequenceTracker

if TYPE_CHECKING:
    from ._client import Closed, ConnectFailed, SyncConnection
    from ._users import AudioStreamUser, WebSocketUser

#: the locustfile ``wskit load`` runs (one :class:`AudioStreamUser` set from the command line).
LOCUSTFILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locustfile.py")

# loaded on first use: the users bring Locust (and gevent's monkeypatching), the client websocket-client
_LAZY = {
    "AudioStreamUser": "._users",
    "WebSocketUser": "._users",
    "Closed": "._client",
    "ConnectFailed": "._client",
    "SyncConnection": "._client",
}


def __getattr__(name: str) -> Any:
    """The user classes and the client, imported on first use (see the module's docstring)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wskit.load' has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


__all__ = [
    "LOCUSTFILE",
    "SOURCES",
    "STAMP",
    "THRESHOLD_EXIT_CODE",
    "Arrival",
    "AudioStreamUser",
    "Closed",
    "ConnectFailed",
    "Histogram",
    "Second",
    "SequenceTracker",
    "Stamp",
    "StreamPlan",
    "SyncConnection",
    "Threshold",
    "VoiceMetrics",
    "VoiceReport",
    "WebSocketUser",
    "make_source",
    "plan_stream",
    "read_report",
    "read_stamp",
    "stamp_size",
    "write_stamp",
]
