"""``wskit load URL``: real-time audio streams against a WebSocket service, on Locust.

Runs Locust headless (``python -m locust``, in a child process: Locust's
gevent monkeypatching stays out of this one) with ``wskit.load``'s
locustfile, whose users each stream ``--source`` through ``--serializer`` as
20 ms sequence-stamped frames, with ``--workers N`` local worker processes
(Locust's ``--processes``). At the end Locust prints its statistics, then
the voice-metrics table (echo round trip p50/p99, RFC 3550 jitter, gaps,
lost / duplicated / reordered, per worker), and ``--report-dir`` holds
Locust's CSV and HTML reports with ``locust_voice.json``, ``.md`` and
``_history.csv`` beside them.

Exit codes: 0 all well; 1 some requests failed (Locust's rule: a refused
connect, a close code from the server …); 2 a bad command line or Locust
could not run; 3 a threshold given here was missed (``--max-p99-ms``,
``--max-lost``, ``--max-jitter-ms``): so the command can gate a CI job.

The same locustfile runs across machines with Locust's own flags: see the
README ("Load tests").
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
from typing import Any

from ..load import LOCUSTFILE, SOURCES
from ..serializers import serializer_names

__all__ = ["add_arguments", "locust_command", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``load`` command's options."""
    parser.add_argument("url", help="the WebSocket URL to load, e.g. ws://127.0.0.1:8765/")
    parser.add_argument("-u", "--users", type=int, default=10, help="streams at the peak (default: 10)")
    parser.add_argument("-r", "--spawn-rate", type=float, default=10, help="streams started per second (default: 10)")
    parser.add_argument("-t", "--run-time", default="30s", help="how long to run: 30s, 5m, 1h30m (default: 30s)")
    parser.add_argument(
        "--source", default="chirp", help=f"audio to stream: {', '.join(SOURCES)} or a .wav path (default: chirp)"
    )
    parser.add_argument(
        "--serializer",
        default="raw",
        metavar="NAME",
        help=f"frame serializer: {', '.join(serializer_names())} (default: raw)",
    )
    parser.add_argument("--frame-ms", type=float, default=20.0, help="frame duration in ms (default: 20)")
    parser.add_argument(
        "--workers", type=int, default=0, metavar="N", help="local worker processes (default: 0, one process)"
    )
    parser.add_argument("--max-p99-ms", type=float, help="exit 3 when the echo round trip p99 is above this")
    parser.add_argument("--max-lost", type=int, help="exit 3 when more frames than this are lost")
    parser.add_argument("--max-jitter-ms", type=float, help="exit 3 when the RFC 3550 jitter p99 is above this")
    parser.add_argument(
        "--report-dir", default="wskit-load-report", help="where the reports go (default: ./wskit-load-report)"
    )
    parser.add_argument("-f", "--locustfile", default=LOCUSTFILE, help="a locustfile of your own (default: wskit's)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show Locust's log (INFO) as it runs")


def locust_command(args: argparse.Namespace) -> list[str]:
    """The ``python -m locust`` command line that ``args`` stand for."""
    prefix = os.path.join(args.report_dir, "locust")
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        args.locustfile,
        "--headless",
        "--host",
        args.url,
        "--users",
        str(args.users),
        "--spawn-rate",
        f"{args.spawn_rate:g}",
        "--run-time",
        args.run_time,
        "--source",
        args.source,
        "--serializer",
        args.serializer,
        "--frame-ms",
        f"{args.frame_ms:g}",
        "--csv",
        prefix,
        "--html",
        prefix + ".html",
        "--only-summary",
        "--loglevel",
        "INFO" if args.verbose else "WARNING",
    ]
    if args.workers:
        command += ["--processes", str(args.workers)]
    for option, value in (
        ("--max-p99-ms", args.max_p99_ms),
        ("--max-lost", args.max_lost),
        ("--max-jitter-ms", args.max_jitter_ms),
    ):
        if value is not None:
            command += [option, f"{value:g}"]
    return command


def _problem(args: argparse.Namespace) -> str | None:
    if importlib.util.find_spec("locust") is None:
        return 'wskit load needs Locust: pip install "wskit[load]"'
    if not args.url.startswith(("ws://", "wss://")):
        return f"the URL must start with ws:// or wss://, not {args.url!r}"
    if args.serializer.lower() not in serializer_names():
        return f"no serializer named {args.serializer!r}; known: {', '.join(serializer_names())}"
    if args.source.lower() not in SOURCES and not (args.source.endswith(".wav") and os.path.exists(args.source)):
        return f"unknown source {args.source!r}: use {', '.join(SOURCES)} or the path of a .wav file"
    if args.users < 1 or args.spawn_rate <= 0 or args.workers < 0:
        return "--users must be at least 1, --spawn-rate above 0 and --workers at least 0"
    return None


def main(args: argparse.Namespace) -> int:
    """Run Locust as ``args`` say; returns its exit code (see the module's docstring)."""
    problem = _problem(args)
    if problem:
        print(f"wskit load: {problem}", file=sys.stderr)
        return 2
    os.makedirs(args.report_dir, exist_ok=True)
    child = subprocess.Popen(locust_command(args))

    def forward(signum: int, _frame: Any) -> None:
        child.send_signal(signum)  # Locust shuts down cleanly on SIGTERM, printing and writing its reports

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:  # the terminal sent SIGINT to Locust too: wait for its clean stop
                continue
    finally:
        signal.signal(signal.SIGTERM, previous)
