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
(``from wskit.load import AudioStreamUser`` in a locustfile), while the pure
parts here (stamps, trackers, metrics, reports) import neither Locust nor
gevent. ``import wskit`` imports none of this package. Install with
``pip install "wskit[load]"``.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from .metrics import Histogram, Second, VoiceMetrics
from .plan import SOURCES, StreamPlan, make_source, plan_stream
from .report import THRESHOLD_EXIT_CODE, Threshold, VoiceReport, read_report
from .stamp import STAMP, Stamp, read_stamp, stamp_size, write_stamp
from .tracker import Arrival, SequenceTracker

if TYPE_CHECKING:
    from .users import AudioStreamUser, WebSocketUser

#: the locustfile ``wskit load`` runs (one :class:`AudioStreamUser` set from the command line).
LOCUSTFILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locustfile.py")

_LOCUST_NAMES = {"AudioStreamUser": ".users", "WebSocketUser": ".users"}


def __getattr__(name: str) -> Any:
    """The user classes, imported (with Locust, and gevent's monkeypatching) on first use."""
    module = _LOCUST_NAMES.get(name)
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
    "Histogram",
    "Second",
    "SequenceTracker",
    "Stamp",
    "StreamPlan",
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
