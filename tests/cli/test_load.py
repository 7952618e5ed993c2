"""``wskit load``: its command line and its checks (the README's examples run in tests/test_readme.py)."""

from __future__ import annotations

import argparse
import sys

import pytest

from wskit.cli import _parser
from wskit.cli._load import locust_command
from wskit.load import LOCUSTFILE


def parse(*argv: str) -> argparse.Namespace:
    return _parser().parse_args(["load", *argv])


def test_the_locust_command_line() -> None:
    args = parse(
        "ws://127.0.0.1:9/x", "--users", "200", "--spawn-rate", "20", "--run-time", "60s", "--source", "chirp",
        "--serializer", "protobuf", "--workers", "4", "--max-p99-ms", "50", "--max-lost", "0", "--report-dir", "out",
    )  # fmt: skip
    command = locust_command(args)
    assert command[:5] == [sys.executable, "-m", "locust", "-f", LOCUSTFILE]
    text = " ".join(command[5:])
    assert text == (
        "--headless --host ws://127.0.0.1:9/x --users 200 --spawn-rate 20 --run-time 60s --source chirp "
        "--serializer protobuf --frame-ms 20 --csv out/locust --html out/locust.html --only-summary "
        "--loglevel WARNING --processes 4 --max-p99-ms 50 --max-lost 0"
    )
    one_process = locust_command(parse("ws://h/", "--verbose"))
    assert "--processes" not in one_process and "INFO" in one_process and "--max-lost" not in one_process


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["http://127.0.0.1:9/"], "the URL must start with ws:// or wss://"),
        (["ws://h/", "--serializer", "xml"], "no serializer named 'xml'; known: json, protobuf, raw, telephony"),
        (["ws://h/", "--source", "opera"], "unknown source 'opera'"),
        (["ws://h/", "--users", "0"], "--users must be at least 1"),
    ],
)
def test_bad_command_lines_exit_2_before_starting_locust(
    argv: list[str], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from wskit.cli import main

    assert main(["load", *argv]) == 2
    assert problem in capsys.readouterr().err
