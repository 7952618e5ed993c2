"""wskit.auth and the server's security defaults: token checks, origins, the exposed-bind warning."""

from __future__ import annotations

import warnings

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

import wskit
from tests.conftest import eventually
from tests.transports.test_server import kinds, recorder
from wskit import EventKind
from wskit.auth import bearer_token, same_secret, token_auth
from wskit.transports.server import InsecureServerWarning

TOKEN = "t0ken-abc"


def test_same_secret() -> None:
    assert same_secret("abc", "abc") and same_secret(b"abc", "abc")
    assert not same_secret("abd", "abc") and not same_secret(None, "abc") and not same_secret("", "abc")


def test_bearer_token() -> None:
    assert bearer_token("Bearer xyz") == "xyz" and bearer_token("bearer  xyz ") == "xyz"
    assert bearer_token("Basic xyz") is None and bearer_token(None) is None and bearer_token("Bearer") is None


def test_token_auth_needs_a_token() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        token_auth("")


async def guarded(**auth: object) -> wskit.WebsocketServerTransport:
    hook = token_auth([TOKEN, "other"], cookie="sid", **auth)  # type: ignore[arg-type]
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(auth=hook), port=0)
    await server.start()
    return server


class TestTokenAuth:
    @pytest.mark.parametrize(
        ("suffix", "headers", "source"),
        [
            (f"?token={TOKEN}", None, "query"),
            ("", {"Authorization": f"Bearer {TOKEN}"}, "header"),
            ("", {"Cookie": f"sid={TOKEN}; theme=dark"}, "cookie"),
        ],
    )
    async def test_accepts_the_token_wherever_it_is(
        self, suffix: str, headers: dict[str, str] | None, source: str
    ) -> None:
        server = await guarded()
        async with connect(server.url + suffix, additional_headers=headers):
            await eventually(lambda: len(server.clients) == 1)
            assert server.clients[0].auth == source

    async def test_refuses_a_wrong_or_missing_token_with_401(self) -> None:
        server = await guarded()
        events = recorder(server)
        for url in (server.url, server.url + "?token=t0ken-abd"):
            with pytest.raises(InvalidStatus) as info:
                await connect(url)
            assert info.value.response.status_code == 401
        assert [e.code for e in kinds(events, EventKind.REJECTED)] == [401, 401]

    async def test_close_code_variant_for_browsers(self) -> None:
        server = await guarded(close_code=1008)
        async with connect(server.url + "?token=nope") as ws:
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
        assert info.value.rcvd is not None and info.value.rcvd.code == 1008


class TestOrigins:
    async def test_a_page_on_another_origin_is_refused_with_403_and_reported(self) -> None:
        params = wskit.WebsocketServerParams(origins=["https://app.example"])
        server = wskit.WebsocketServerTransport(params, port=0)
        events = recorder(server)
        await server.start()
        with pytest.raises(InvalidStatus) as info:
            await connect(server.url, origin="https://evil.example")  # type: ignore[arg-type]
        assert info.value.response.status_code == 403
        await eventually(lambda: kinds(events, EventKind.REJECTED))
        assert kinds(events, EventKind.REJECTED)[0].code == 403
        async with connect(server.url, origin="https://app.example"):  # type: ignore[arg-type]
            await eventually(lambda: len(server.clients) == 1)


class TestExposedBind:
    def test_warns_when_every_interface_is_bound_without_auth(self) -> None:
        with pytest.warns(InsecureServerWarning, match="without auth"):
            wskit.WebsocketServerTransport(host="0.0.0.0", port=0)._warn_if_exposed()

    def test_quiet_on_loopback_or_with_auth(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            wskit.WebsocketServerTransport(port=0)._warn_if_exposed()
            params = wskit.WebsocketServerParams(auth=token_auth(TOKEN))
            wskit.WebsocketServerTransport(params, host="0.0.0.0", port=0)._warn_if_exposed()
