"""wskit's command line: ``wskit <command>`` (or ``python -m wskit <command>``).

Commands:

* ``wskit serve``: a server transport that logs every event as a line
  (see :mod:`wskit.cli._serve`).
* ``wskit connect URL``: an interactive client for terminals and scripts,
  with exit codes scripts can rely on (see :mod:`wskit.cli._connect`).
* ``wskit load URL``: real-time audio streams against a service, on Locust
  (``pip install "wskit[load]"``; see :mod:`wskit.cli._load`).
* ``wskit lab [folder]``: JupyterLab on the demo notebooks, as root or not,
  headless or not, with one line giving the URL to open (see :mod:`wskit.lab`).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence

__all__ = ["main", "plain_help"]


# reST in the module docstrings, as a terminal should show it: ``code`` -> code,
# :role:`target` / :role:`text <target>` / :role:`~a.b.c` -> target / text / c, "::" -> ":"
_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`(?:(?P<text>[^`<]+?)\s*<[^`>]*>|(?P<target>[^`]+))`")


def _role(match: re.Match[str]) -> str:
    if match["text"] is not None:
        return match["text"]
    target = match["target"]
    return target[1:].rsplit(".", 1)[-1] if target.startswith("~") else target


def plain_help(doc: str | None) -> str:
    """A module docstring (reST) as plain text for ``--help``."""
    text = _ROLE.sub(_role, doc or "").replace("``", "")
    return re.sub(r"(?<=\S)::$", ":", text, flags=re.MULTILINE)


def _parser() -> argparse.ArgumentParser:
    from .. import lab
    from . import _connect as connect
    from . import _load as load
    from . import _serve as serve

    parser = argparse.ArgumentParser(prog="wskit", description="Experiment with WebSockets, in and out of Jupyter.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve.add_arguments(
        commands.add_parser(
            "serve", help="run a WebSocket server that logs every event", description=plain_help(serve.__doc__)
        ),
    )
    connect.add_arguments(
        commands.add_parser("connect", help="an interactive WebSocket client", description=plain_help(connect.__doc__)),
    )
    load.add_arguments(
        commands.add_parser(
            "load", help="load a service with real-time audio streams (Locust)", description=plain_help(load.__doc__)
        ),
    )
    lab.add_arguments(
        commands.add_parser("lab", help="start JupyterLab on the demo notebooks", description=plain_help(lab.__doc__)),
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "lab":
        from .. import lab

        return lab.run(lab.from_arguments(args, extra))
    if extra:  # only lab passes unknown options on (to Jupyter)
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "serve":
        from . import _serve as serve

        return serve.main(args)
    if args.command == "connect":
        from . import _connect as connect

        return connect.main(args)
    if args.command == "load":
        from . import _load as load

        return load.main(args)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse rejects it first
    return 2  # pragma: no cover
