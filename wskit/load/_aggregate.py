"""Carrying voice metrics from Locust's workers to its master, and the report at the end.

Importing this module (``wskit.load``'s user classes do) registers Locust
event listeners, the way Locust plugins do:

* ``init_command_line_parser`` adds ``--source``, ``--serializer``,
  ``--frame-ms``, ``--max-p99-ms``, ``--max-lost`` and ``--max-jitter-ms``
  to Locust's own options (Locust forwards them to every worker);
* on a worker, ``report_to_master`` attaches what this process's streams
  recorded since the last report (:meth:`VoiceMetrics.take`) to the regular
  report, under ``"wskit_voice"``; on the master, ``worker_report`` merges it,
  keeping each worker's share;
* when the test stops, the master (``test_stopping``) asks every worker to
  finish its streams: each stops sending, waits a bounded time for the echoes
  still in flight, counts what never came back as lost, and sends the rest
  of its metrics in a ``wskit_voice_final`` message, which the master waits
  for (bounded). Without that step the last frames of every stream would be
  counted as lost, or missing, depending on the report timing;
* at ``quitting`` the master (or a single local process) builds the
  :class:`~wskit.load.VoiceReport`, writes it next to Locust's ``--csv`` /
  ``--html`` reports and, when a threshold is missed, sets the process exit
  code to :data:`THRESHOLD_EXIT_CODE`; at ``quit``, after Locust's own
  statistics, it prints the table.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import gevent  # type: ignore[import-untyped]
from gevent.event import Event as GeventEvent  # type: ignore[import-untyped]
from locust import events as _locust_events
from locust.runners import MasterRunner, WorkerRunner

from ..serializers import serializer_names
from ._metrics import VoiceMetrics
from ._plan import SOURCES
from ._report import THRESHOLD_EXIT_CODE, VoiceReport

__all__ = ["METRICS", "STOPPING", "active_streams", "finish_streams"]

log = logging.getLogger("wskit.load")

#: what the streams of this process recorded since the last report.
METRICS = VoiceMetrics()

#: set once this process's streams must stop (the test is ending): none starts after it.
STOPPING = GeventEvent()

#: the streams running in this process (objects with a ``done`` gevent event).
active_streams: set[Any] = set()

events: Any = _locust_events  # Locust's hooks are untyped: registered through Any
_FINAL = "wskit_voice_final"
_FLUSH = "wskit_voice_flush"
_KEY = "wskit_voice"


def finish_streams(timeout: float) -> None:
    """Stop every stream of this process and wait (at most ``timeout`` s) until each has drained and counted."""
    STOPPING.set()
    deadline = time.monotonic() + timeout
    while active_streams and time.monotonic() < deadline:
        gevent.sleep(0.02)
    if active_streams:
        log.warning("%d stream(s) did not finish within %.1f s", len(active_streams), timeout)


class _Collected:
    """The master's side: the merged metrics and each worker's share."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total = VoiceMetrics()
        self.workers: dict[str, VoiceMetrics] = {}
        self.finals: set[str] = set()
        self.flushed = False
        self.reported: VoiceReport | None = None
        self.paths: list[str] = []

    def add(self, label: str, data: dict[str, Any]) -> None:
        part = VoiceMetrics.from_dict(data)
        self.total.merge(part)
        self.workers.setdefault(label, VoiceMetrics()).merge(part)


_collected = _Collected()
_environment: Any = None  # Locust's Environment, from the init event


def _label(index: Any, client_id: str) -> str:
    return f"worker {index}" if index is not None else f"worker {client_id}"


def _drain_seconds(environment: Any) -> float:
    return float(getattr(environment.parsed_options, "drain_seconds", 1.0) or 1.0)


def _options(parser: Any) -> None:
    group = parser.add_argument_group("wskit voice streams", "options of wskit.load's AudioStreamUser and its report")
    group.add_argument("--source", default="chirp", help=f"audio to stream: {', '.join(SOURCES)} or a .wav path")
    group.add_argument(
        "--serializer", default="raw", help=f"wskit serializer: {', '.join(serializer_names())} (default raw)"
    )
    group.add_argument("--frame-ms", type=float, default=20.0, help="frame duration in ms (default 20)")
    group.add_argument("--drain-seconds", type=float, default=1.0, help="wait for echoes at the end (default 1 s)")
    group.add_argument("--max-p99-ms", type=float, default=None, help="fail (exit 3) when echo RTT p99 is above this")
    group.add_argument("--max-lost", type=int, default=None, help="fail (exit 3) when more frames than this are lost")
    group.add_argument("--max-jitter-ms", type=float, default=None, help="fail (exit 3) when jitter p99 is above this")


def _init(environment: Any, **_kw: Any) -> None:
    global _environment
    _environment = environment
    runner = environment.runner
    if isinstance(runner, WorkerRunner):

        def flush(environment: Any, msg: Any, **_kw: Any) -> None:
            finish_streams(_drain_seconds(environment) + 1.0)
            runner.send_message(_FINAL, {"index": runner.worker_index, _KEY: METRICS.take()})

        runner.register_message(_FLUSH, flush, concurrent=True)  # concurrent: heartbeats go on meanwhile
    elif isinstance(runner, MasterRunner):

        def final(environment: Any, msg: Any, **_kw: Any) -> None:
            data = msg.data or {}
            label = _label(data.get("index"), msg.node_id)
            _collected.add(label, data[_KEY])
            _collected.finals.add(msg.node_id)

        runner.register_message(_FINAL, final)


def _report_to_master(client_id: str, data: dict[str, Any], **_kw: Any) -> None:
    runner = _runner()
    data[_KEY] = {"index": getattr(runner, "worker_index", None), "metrics": METRICS.take()}


def _worker_report(client_id: str, data: dict[str, Any], **_kw: Any) -> None:
    part = data.get(_KEY)
    if part:
        _collected.add(_label(part.get("index"), client_id), part["metrics"])


def _runner() -> Any:
    return _environment.runner if _environment is not None else None


def _test_start(environment: Any, **_kw: Any) -> None:
    """A new test (the web UI can start several in one process): streams may start again, counts start afresh."""
    STOPPING.clear()
    if not isinstance(environment.runner, WorkerRunner):
        _collected.reset()


def _test_stopping(environment: Any, **_kw: Any) -> None:
    _flush(environment)


def _flush(environment: Any) -> None:
    """Finish every stream (all workers, or this process) and collect what they counted; once per run."""
    runner = environment.runner
    if _collected.flushed or isinstance(runner, WorkerRunner):
        return
    _collected.flushed = True
    drain = _drain_seconds(environment)
    if isinstance(runner, MasterRunner):
        expected = {client.id for client in runner.clients.all}
        runner.send_message(_FLUSH)
        deadline = time.monotonic() + drain + 5.0
        while not expected <= _collected.finals and time.monotonic() < deadline:
            gevent.sleep(0.02)
        if not expected <= _collected.finals:
            log.warning("%d worker(s) sent no final voice metrics", len(expected - _collected.finals))
    else:
        finish_streams(drain + 1.0)
        _collected.add("local", METRICS.take())


def _report(environment: Any) -> VoiceReport:
    options = environment.parsed_options
    settings = {
        "host": environment.host,
        "users": getattr(options, "num_users", None),
        "source": getattr(options, "source", None),
        "serializer": getattr(options, "serializer", None),
        "frame_ms": getattr(options, "frame_ms", None),
        "workers": len(_collected.workers) if isinstance(environment.runner, MasterRunner) else None,
    }
    workers = _collected.workers if isinstance(environment.runner, MasterRunner) else {}
    return VoiceReport(
        _collected.total,
        workers,
        settings,
        max_p99_ms=getattr(options, "max_p99_ms", None),
        max_lost=getattr(options, "max_lost", None),
        max_jitter_ms=getattr(options, "max_jitter_ms", None),
    )


def _prefix(options: Any) -> str | None:
    """Where Locust writes its own reports: the ``--csv`` prefix, else the ``--html`` path without ``.html``."""
    if getattr(options, "csv_prefix", None):
        return str(options.csv_prefix)
    html = getattr(options, "html_file", None)
    if html:
        return os.path.splitext(str(html))[0]
    return None


def _quitting(environment: Any, **_kw: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    _flush(environment)  # when Ctrl-C ends the run, quitting comes before test_stopping
    if not isinstance(environment.runner, MasterRunner):
        _collected.add("local", METRICS.take())  # what users recorded after the flush (their last closes)
    if not _collected.total.streams and not _collected.total.failures:
        return  # no AudioStreamUser ran: nothing to report
    report = _report(environment)
    _collected.reported = report
    prefix = _prefix(environment.parsed_options)
    if prefix:
        _collected.paths = report.write(prefix)
    if not report.passed and not environment.process_exit_code:
        environment.process_exit_code = THRESHOLD_EXIT_CODE


def _quit(exit_code: int, **_kw: Any) -> None:
    report = _collected.reported
    if report is not None:
        # after Locust's own statistics, where a reader looks last
        written = f"\nwritten: {', '.join(_collected.paths)}" if _collected.paths else ""
        print(f"\n{report.table()}{written}", flush=True)


# Registered at import, as Locust plugins are: a locustfile importing wskit.load's users gets them.
events.init_command_line_parser.add_listener(_options)
events.init.add_listener(_init)
events.report_to_master.add_listener(_report_to_master)
events.worker_report.add_listener(_worker_report)
events.test_start.add_listener(_test_start)
events.test_stopping.add_listener(_test_stopping)
events.quitting.add_listener(_quitting)
events.quit.add_listener(_quit)
