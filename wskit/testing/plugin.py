"""The pytest plugin: fixtures, the ``wskit_cassette`` marker and ``--wskit-record``.

Registered through the ``pytest11`` entry point as ``wskit.testing``, so it
loads wherever wskit is installed; ``-p wskit.testing`` loads it by name when
plugin autoloading is off, ``-p no:wskit.testing`` turns it off. This is the
only module of wskit that imports pytest.

Fixtures:

* ``wskit_server``: a started :class:`~wskit.WebsocketServerTransport` on
  ``127.0.0.1`` and a free port, stopped after the test (override
  ``wskit_server_params`` to give it parameters);
* ``wskit_client``: ``await wskit_client(url, params=None)`` starts a client,
  stopped after the test; its ``expect_*`` calls read from the first message
  the server sent (``expect_from_start=False``: from the first call, as other
  clients do);
* ``wskit_session``: the test's :class:`~wskit.testing.Cassette`:
  ``wskit_session.record(client)`` records the test's own conversation, which
  is compared with the cassette when the test ends (or written, as the record
  mode says); ``await wskit_session.replay(url)`` replays the cassette;
  ``async with wskit_session.serve() as url:`` serves it.

The two async fixtures need pytest-asyncio (they work in its ``strict`` and
``auto`` modes); ``wskit_session`` is synchronous and also serves tests that
run their own ``asyncio.run(...)``.

``@pytest.mark.wskit_cassette("sessions/chat.jsonl", ignore=["$.ts"])`` names
the cassette (relative to the test file) and the matching options; without
the marker it is ``cassettes/<module>/<test>.jsonl`` beside the test file.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ..transports import (
    WebsocketClientParams,
    WebsocketClientTransport,
    WebsocketServerParams,
    WebsocketServerTransport,
)
from ._cassette import RECORD_MODES, Cassette, MissingCassette, RecordMode, mode_of
from ._conversation import CassetteError
from ._matching import ReplayMismatch

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_report_header",
    "pytest_runtest_call",
    "pytest_terminal_summary",
    "wskit_client",
    "wskit_server",
    "wskit_server_params",
    "wskit_session",
]

try:  # the async fixtures go through pytest-asyncio when it is there (strict mode needs its decorator)
    import pytest_asyncio

    _async_fixture: Callable[[Any], Any] = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - pytest then says the async fixture has no plugin to run it
    _async_fixture = pytest.fixture

_WRITTEN = pytest.StashKey[list[str]]()
_MODE = pytest.StashKey[RecordMode]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wskit", "wskit: WebSocket sessions recorded and replayed")
    group.addoption(
        "--wskit-record",
        choices=RECORD_MODES,
        default=None,
        help="record mode for wskit cassettes: none (compare; a missing cassette fails), once (record "
        "missing cassettes), new (also add new connections and messages), all (re-record). "
        "Default: none when CI is set, else once.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "wskit_cassette(path=None, *, ignore=(), patterns=(), match=(), ordered=True, secrets=None, record=None): "
        "the wskit cassette of this test (relative to the test file) and how to compare with it",
    )
    config.stash[_WRITTEN] = []
    config.stash[_MODE] = mode_of(config.getoption("wskit_record"), os.environ)


def pytest_report_header(config: pytest.Config) -> str:
    return f"wskit: cassette record mode {config.stash[_MODE]}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a passing test, compare its recorded session with its cassette (or write it)."""
    funcargs = getattr(item, "funcargs", {})
    cassette = funcargs.get("wskit_session")
    try:
        result = yield  # a failing test raises here: nothing is compared or written
    except ReplayMismatch as exc:
        if not isinstance(cassette, Cassette):
            raise
        # wskit_session.replay() / serve() found a difference: the diff is the whole report
        pytest.fail(str(exc), pytrace=False)
    if isinstance(cassette, Cassette):
        try:
            written = cassette.finish()
        except (ReplayMismatch, MissingCassette, CassetteError) as exc:
            pytest.fail(str(exc), pytrace=False)
        if written:
            item.config.stash[_WRITTEN].append(written)
    return result


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    written = config.stash.get(_WRITTEN, [])
    if written:
        terminalreporter.section("wskit cassettes")
        for line in written:
            terminalreporter.write_line(line)


def _default_path(item: pytest.Item) -> Path:
    module = Path(str(item.path)).stem
    name = re.sub(r"[^\w.-]+", "_", item.name).strip("_")
    return Path(str(item.path)).parent / "cassettes" / module / f"{name}.jsonl"


@pytest.fixture
def wskit_session(request: pytest.FixtureRequest) -> Cassette:
    """The test's cassette (see the module docstring): record, replay, serve."""
    marker = request.node.get_closest_marker("wskit_cassette")
    args: tuple[Any, ...] = marker.args if marker is not None else ()
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    path_arg = options.pop("path", args[0] if args else None)
    base = Path(str(request.node.path)).parent
    path = base / path_arg if path_arg is not None else _default_path(request.node)
    try:
        mode = mode_of(options.pop("record", None) or request.config.stash[_MODE], os.environ)
        cassette = Cassette(path, mode, **options)
    except (TypeError, ValueError) as exc:
        pytest.fail(f"@pytest.mark.wskit_cassette: {exc}", pytrace=False)
    try:
        cassette.check_available()
    except MissingCassette as exc:
        pytest.fail(str(exc), pytrace=False)
    return cassette


@pytest.fixture
def wskit_server_params() -> WebsocketServerParams | None:
    """Parameters for ``wskit_server``; override this fixture to set them."""
    return None


@_async_fixture
async def wskit_server(wskit_server_params: WebsocketServerParams | None) -> AsyncIterator[Any]:
    """A started server on 127.0.0.1 and a free port, stopped after the test."""
    server = WebsocketServerTransport(wskit_server_params, port=0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@_async_fixture
async def wskit_client() -> AsyncIterator[Callable[..., Awaitable[WebsocketClientTransport]]]:
    """``await wskit_client(url, params=None, *, expect_from_start=True)``: a started client, stopped after the test.

    With ``expect_from_start`` (the default), its messages are buffered for
    ``expect_*`` from the connection's start, so a greeting the server sends at
    once is the first message ``expect_*`` reads.
    """
    clients: list[WebsocketClientTransport] = []

    async def connect(
        url: str, params: WebsocketClientParams | None = None, *, expect_from_start: bool = True
    ) -> WebsocketClientTransport:
        client = WebsocketClientTransport(url, params)
        clients.append(client)
        if expect_from_start:  # expect_* reads from the first message the server sends, however early
            client.expect_from_start()
        await client.start()
        return client

    try:
        yield connect
    finally:
        for client in reversed(clients):
            await client.stop()
