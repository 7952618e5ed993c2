"""The pytest plugin, tested as pytest plugins are: ``pytester`` runs small test projects."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.timeout(120)

INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
asyncio_default_test_loop_scope = function
"""

# A service under test (a wskit server whose reply format an environment variable changes),
# and a test that records its own conversation with it against a cassette.
CHAT_TEST = """
import os
import pytest
import wskit

STYLE = os.environ.get("REPLY_STYLE", "text")


@pytest.fixture
def wskit_server_params():
    return wskit.WebsocketServerParams(max_clients=5)


@pytest.mark.wskit_cassette("sessions/chat.jsonl")
async def test_chat(wskit_server, wskit_client, wskit_session):
    @wskit_server.event_handler("on_frame")
    async def reply(transport, conn, frame):
        if STYLE == "text":
            await conn.send_text(f"you said {frame.text}")
        else:
            await conn.send_json({"you said": frame.text})

    client = await wskit_client(wskit_server.url + "chat?token=s3cret")
    wskit_session.record(client)
    for text in CONVERSATION:
        await client.send_text(text)
        await client.expect_text()
    await client.stop(1000, "done")

CONVERSATION = os.environ.get("CONVERSATION", "hello,bye").split(",")
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("REPLY_STYLE", raising=False)
    monkeypatch.delenv("CONVERSATION", raising=False)
    pytester.makeini(INI)
    pytester.makepyfile(test_chat=CHAT_TEST)
    return pytester


def cassette(project: pytest.Pytester) -> Path:
    return project.path / "sessions" / "chat.jsonl"


def test_once_records_a_missing_cassette_then_compares(project: pytest.Pytester) -> None:
    result = project.runpytest("--wskit-record=once")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "wskit: cassette record mode once",
            "*wskit cassettes*",
            "recorded */sessions/chat.jsonl (1 connection(s), 4 message(s))",
        ]
    )
    lines = [json.loads(line) for line in cassette(project).read_text().splitlines()]
    assert lines[1]["path"] == "/chat" and lines[1]["query"] == "token=***"
    assert [m["data"] for m in lines if m.get("type") == "message"] == [
        "hello",
        "you said hello",
        "bye",
        "you said bye",
    ]
    assert lines[-1] == {**lines[-1], "type": "close", "code": 1000, "initiator": "client"}
    again = project.runpytest("--wskit-record=none")
    again.assert_outcomes(passed=1)
    assert "wskit cassettes" not in again.stdout.str()  # nothing written: it matched


def test_a_changed_service_fails_with_the_diff(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    project.runpytest("--wskit-record=once").assert_outcomes(passed=1)
    before = cassette(project).read_text()
    monkeypatch.setenv("REPLY_STYLE", "json")
    result = project.runpytest("--wskit-record=none")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*sessions/chat.jsonl:4: connection 1 (/chat?token=***), message 2 of 4, from the server:",
            "  expected: TEXT 'you said hello' [14 bytes]",
            """  got:      TEXT '{"you said":"hello"}' [20 bytes]""",
            "  - you said hello",
            """  + {"you said":"hello"}""",
        ]
    )
    assert "Traceback" not in result.stdout.str()  # the diff, not the plugin's insides
    assert cassette(project).read_text() == before  # a failing test writes nothing
    project.runpytest("--wskit-record=once").assert_outcomes(failed=1)  # once compares an existing cassette


def test_none_fails_on_a_missing_cassette_and_is_the_default_under_ci(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "wskit: cassette record mode none",
            "*cassette */sessions/chat.jsonl does not exist: there is nothing to compare with or replay "
            "(run once with --wskit-record=once to record it); --wskit-record is none",
        ]
    )
    assert not cassette(project).exists()  # never silently recorded
    monkeypatch.setenv("CI", "")
    project.runpytest().stdout.fnmatch_lines(["wskit: cassette record mode once"])


def test_new_adds_what_the_cassette_lacks_and_all_rewrites(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVERSATION", "hello")
    project.runpytest("--wskit-record=once").assert_outcomes(passed=1)
    monkeypatch.setenv("CONVERSATION", "hello,more")
    project.runpytest("--wskit-record=none").assert_outcomes(failed=1)  # an extra message
    result = project.runpytest("--wskit-record=new")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["added 2 to */sessions/chat.jsonl (1 connection(s), 4 message(s))"])
    project.runpytest("--wskit-record=none").assert_outcomes(passed=1)
    monkeypatch.setenv("REPLY_STYLE", "json")
    project.runpytest("--wskit-record=new").assert_outcomes(failed=1)  # new still compares what it has
    result = project.runpytest("--wskit-record=all")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["recorded */sessions/chat.jsonl (1 connection(s), 4 message(s))"])
    assert '"data": "{\\"you said\\":\\"hello\\"}"' in cassette(project).read_text()
    project.runpytest("--wskit-record=none").assert_outcomes(passed=1)


REPLAY_TESTS = """
import asyncio
import pytest
import wskit
import wskit.testing


async def echo(transport, conn, frame):
    await conn.send_text(frame.text.upper())


@pytest.mark.wskit_cassette("sessions/upper.jsonl", secrets={"token": "t"})
async def test_replay_the_cassette(wskit_server, wskit_session):
    wskit_server.add_event_handler("on_frame", echo)
    result = await wskit_session.replay(wskit_server.url)
    assert result.ok


@pytest.mark.wskit_cassette("sessions/upper.jsonl")
async def test_a_client_against_the_cassette(wskit_session):
    async with wskit_session.serve() as url:
        client = wskit.WebsocketClientTransport(url + "/shout?token=whatever")
        await client.start()
        await client.send_text("hi")
        assert await client.expect_text() == "HI"
        await client.stop()


@pytest.mark.wskit_cassette("sessions/upper.jsonl", secrets={"token": "t"})
def test_plain_asyncio_run(wskit_session):
    async def main():
        server = wskit.WebsocketServerTransport(port=0)
        server.add_event_handler("on_frame", echo)
        await server.start()
        try:
            client = wskit.WebsocketClientTransport(server.url + "shout?token=t")
            await client.start()
            wskit_session.record(client)
            await client.send_text("hi")
            await client.expect_text("HI")
            await client.stop()
        finally:
            await server.stop()

    asyncio.run(main())
"""

UPPER = """\
{"wskit_session": 1, "created": "2025-01-01T00:00:00.000Z", "by": "hand", "connections": 1, "messages": 2}
{"type": "connect", "conn": 1, "t": 0.0, "path": "/shout", "query": "token=***"}
{"type": "message", "conn": 1, "t": 0.01, "from": "client", "opcode": "text", "data": "hi"}
{"type": "message", "conn": 1, "t": 0.02, "from": "server", "opcode": "text", "data": "HI"}
{"type": "close", "conn": 1, "t": 0.03, "code": 1000, "reason": "client stopping", "initiator": "client"}
"""


def test_replay_serve_and_asyncio_run_styles(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_styles=REPLAY_TESTS)
    (pytester.path / "sessions").mkdir()
    (pytester.path / "sessions" / "upper.jsonl").write_text(UPPER)
    result = pytester.runpytest("--wskit-record=none", "-v")
    result.assert_outcomes(passed=3)


def test_strict_mode_of_pytest_asyncio(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.replace("asyncio_mode = auto", "asyncio_mode = strict"))
    pytester.makepyfile(
        test_strict="""
        import pytest

        @pytest.mark.asyncio
        async def test_server_and_client(wskit_server, wskit_client):
            @wskit_server.event_handler("on_frame")
            async def echo(transport, conn, frame):
                await conn.send(frame)

            client = await wskit_client(wskit_server.url)
            await client.send_text("strict")
            assert await client.expect_text("strict") == "strict"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_wskit_client_reads_from_the_first_message(pytester: pytest.Pytester) -> None:
    """A greeting sent the moment the client connects is what the fixture's client expects first."""
    pytester.makeini(INI)
    pytester.makepyfile(
        test_greeting="""
        import asyncio

        import pytest


        @pytest.fixture
        async def greeter(wskit_server):
            @wskit_server.event_handler("on_client_connected")
            async def greet(transport, conn):
                await conn.send_text("welcome")

            return wskit_server


        async def arrived(client, n):
            for _ in range(300):
                if client.connection is not None and client.connection.messages_in >= n:
                    return
                await asyncio.sleep(0.01)


        async def test_from_the_start(greeter, wskit_client):
            client = await wskit_client(greeter.url)
            await arrived(client, 1)
            assert await client.expect_text("welcome") == "welcome"


        async def test_opted_out(greeter, wskit_client):
            client = await wskit_client(greeter.url, expect_from_start=False)
            await arrived(client, 1)
            assert not client.events.active  # nothing listens until the first expect_* call
            with pytest.raises(AssertionError, match="1 message[(]s[)] had arrived before the first expect_"):
                await client.expect_text("welcome", timeout=0.05)
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (
            '{"wskit_session": 1}\n{"type": "connect", "conn": 1\n',
            "bad.jsonl:2: not valid JSON: Expecting ',' delimiter (column 30)",
        ),
        ('{"wskit_session": 7}\n', "bad.jsonl:1: unknown format version 7 (this wskit reads version 1)"),
        (
            '{"wskit_session": 1}\n{"type": "connect", "conn": 1}\n'
            '{"type": "message", "conn": 1, "from": "server", "opcode": "binary", "data": "not base64!"}\n',
            "bad.jsonl:3: 'data' is not valid base64",
        ),
    ],
)
def test_a_bad_cassette_fails_with_its_file_and_line(pytester: pytest.Pytester, content: str, where: str) -> None:
    pytester.makeini(INI)
    (pytester.path / "bad.jsonl").write_text(content)
    pytester.makepyfile(
        test_bad=textwrap.dedent(
            """
            import pytest

            @pytest.mark.wskit_cassette("bad.jsonl")
            async def test_replay(wskit_server, wskit_session):
                await wskit_session.replay(wskit_server.url)

            @pytest.mark.wskit_cassette("bad.jsonl")
            def test_compare(wskit_session):
                wskit_session.session
            """
        )
    )
    result = pytester.runpytest("--wskit-record=none")
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert output.count(f"{pytester.path / where}") == 2 if where.startswith("/") else output.count(where) >= 2
    assert "wskit/testing/_session.py" not in output  # the parser's frames are hidden


def test_a_bad_marker_says_so(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_marker="""
        import pytest

        @pytest.mark.wskit_cassette("x.jsonl", ignore=["no dollar"], record="once")
        def test_it(wskit_session):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.wskit_cassette: a JSON path starts with '$'*"])


def test_the_default_cassette_path(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_default="""
        import pytest

        @pytest.mark.parametrize("n", [1])
        def test_where(wskit_session, n):
            assert wskit_session.path.relative_to(wskit_session.path.parents[2]).as_posix() == (
                "cassettes/test_default/test_where_1.jsonl"
            )
        """
    )
    pytester.runpytest("--wskit-record=once").assert_outcomes(passed=1)
