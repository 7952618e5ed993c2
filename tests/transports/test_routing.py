"""wskit.transports.routing: path templates and FastAPI-style handler parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import pytest

from wskit import WebSocket
from wskit.transports.datastructures import QueryParams
from wskit.transports.routing import ParameterError, Route, _convert, compile_template


@dataclass
class FakeConnection:
    """What Route.arguments reads from a connection, and nothing else."""

    path_params: dict[str, str] = field(default_factory=dict)
    query_params: QueryParams = field(default_factory=QueryParams)
    auth: Any = None


def arguments(handler: Any, query: str = "", **path_params: str) -> dict[str, Any]:
    conn = FakeConnection(path_params=path_params, query_params=QueryParams(query))
    return Route("/", handler).arguments(conn)  # type: ignore[arg-type]


class TestCompileTemplate:
    def test_plain_path(self) -> None:
        pattern = compile_template("/ws")
        assert pattern.match("/ws") is not None
        assert pattern.match("/ws/") is None
        assert pattern.match("/wsx") is None
        assert pattern.match("/other") is None

    def test_parameter_matches_one_segment(self) -> None:
        pattern = compile_template("/items/{item_id}/ws")
        assert pattern.pattern == r"/items/(?P<item_id>[^/]+)/ws\Z"
        found = pattern.match("/items/foo/ws")
        assert found is not None
        assert found.groupdict() == {"item_id": "foo"}

    @pytest.mark.parametrize("path", ["/items/a/b/ws", "/items//ws", "/items/foo/ws/", "/items/foo", "/x/items/foo/ws"])
    def test_parameter_does_not_cross_slashes(self, path: str) -> None:
        assert compile_template("/items/{item_id}/ws").match(path) is None

    def test_str_converter_is_the_default(self) -> None:
        assert compile_template("/items/{item_id:str}/ws").pattern == r"/items/(?P<item_id>[^/]+)/ws\Z"

    def test_path_converter_crosses_slashes(self) -> None:
        pattern = compile_template("/files/{p:path}")
        assert pattern.pattern == r"/files/(?P<p>.+)\Z"
        found = pattern.match("/files/a/b/c.txt")
        assert found is not None
        assert found.groupdict() == {"p": "a/b/c.txt"}
        assert pattern.match("/files/") is None

    def test_path_in_the_middle(self) -> None:
        found = compile_template("/repo/{p:path}/ws").match("/repo/a/b/ws")
        assert found is not None
        assert found.groupdict() == {"p": "a/b"}

    def test_several_parameters(self) -> None:
        found = compile_template("/rooms/{room}/users/{user}").match("/rooms/r1/users/u2")
        assert found is not None
        assert found.groupdict() == {"room": "r1", "user": "u2"}

    @pytest.mark.parametrize(
        ("template", "matching", "not_matching"),
        [
            ("/v1.0/{x}", "/v1.0/a", "/v1x0/a"),
            ("/a+b/{x}", "/a+b/1", "/aab/1"),
            ("/(group)/{x}", "/(group)/1", "/group/1"),
            ("/[abc]/{x}", "/[abc]/1", "/a/1"),
            ("/a*/{x}", "/a*/1", "/aaa/1"),
            ("/what?/{x}", "/what?/1", "/wha/1"),
            ("/$^|\\/{x}", "/$^|\\/1", "/1"),
        ],
    )
    def test_regex_metacharacters_are_literal(self, template: str, matching: str, not_matching: str) -> None:
        pattern = compile_template(template)
        assert pattern.match(matching) is not None
        assert pattern.match(not_matching) is None

    def test_must_start_with_a_slash(self) -> None:
        with pytest.raises(ValueError, match=r"^route path must start with '/': 'ws'$"):
            compile_template("ws")


class TestRouteMatch:
    async def handler(self, websocket: WebSocket) -> None: ...

    def test_match_gives_path_params(self) -> None:
        route = Route("/items/{item_id}/ws", self.handler)
        assert route.match("/items/foo/ws") == {"item_id": "foo"}
        assert route.match("/items/a/b/ws") is None

    def test_match_without_parameters(self) -> None:
        assert Route("/ws", self.handler).match("/ws") == {}

    def test_repr(self) -> None:
        route = Route("/items/{item_id}/ws", self.handler)
        assert repr(route) == "<Route /items/{item_id}/ws -> TestRouteMatch.handler>"


class TestArguments:
    def test_websocket_gets_the_connection(self) -> None:
        async def handler(websocket): ...  # type: ignore[no-untyped-def]

        conn = FakeConnection()
        assert Route("/", handler).arguments(conn) == {"websocket": conn}  # type: ignore[arg-type]

    def test_connection_annotation_under_another_name(self) -> None:
        async def handler(ws: WebSocket) -> None: ...

        conn = FakeConnection()
        assert Route("/", handler).arguments(conn) == {"ws": conn}  # type: ignore[arg-type]

    def test_auth_gets_what_the_hook_returned(self) -> None:
        async def handler(websocket: WebSocket, auth: dict[str, str]) -> None: ...

        conn = FakeConnection(auth={"user": "ada"})
        assert Route("/", handler).arguments(conn) == {"websocket": conn, "auth": {"user": "ada"}}  # type: ignore[arg-type]

    def test_auth_is_none_without_a_hook(self) -> None:
        async def handler(auth: Any) -> None: ...

        assert arguments(handler) == {"auth": None}

    def test_path_parameter(self) -> None:
        async def handler(item_id: str) -> None: ...

        assert arguments(handler, item_id="foo") == {"item_id": "foo"}

    def test_path_parameter_wins_over_query(self) -> None:
        async def handler(item_id: str) -> None: ...

        assert arguments(handler, "item_id=query", item_id="path") == {"item_id": "path"}

    def test_query_parameter_last_value_wins(self) -> None:
        async def handler(q: str) -> None: ...

        assert arguments(handler, "q=a&q=b") == {"q": "b"}

    def test_unannotated_is_str(self) -> None:
        async def handler(q):  # type: ignore[no-untyped-def]
            ...

        assert arguments(handler, "q=42") == {"q": "42"}

    def test_int(self) -> None:
        async def handler(item_id: int, n: int) -> None: ...

        assert arguments(handler, "n=-3", item_id="42") == {"item_id": 42, "n": -3}

    def test_float(self) -> None:
        async def handler(x: float) -> None: ...

        assert arguments(handler, "x=1e3") == {"x": 1000.0}

    @pytest.mark.parametrize(
        ("value", "expected"),
        [("1", True), ("true", True), ("Yes", True), ("ON", True), ("0", False), ("false", False), ("no", False)],
    )
    def test_bool(self, value: str, expected: bool) -> None:
        async def handler(flag: bool) -> None: ...

        assert arguments(handler, f"flag={value}") == {"flag": expected}
        assert type(arguments(handler, f"flag={value}")["flag"]) is bool

    def test_optional_converts_to_the_inner_type(self) -> None:
        async def handler(a: int | None = None, b: Optional[float] = None, c: bool | None = None) -> None:  # noqa: UP045
            ...

        assert arguments(handler, "a=5&b=0.5&c=off") == {"a": 5, "b": 0.5, "c": False}

    def test_union_of_several_types_stays_str(self) -> None:
        async def handler(v: int | float) -> None: ...

        assert arguments(handler, "v=5") == {"v": "5"}

    def test_defaults_are_left_to_the_handler(self) -> None:
        async def handler(websocket: WebSocket, q: int | None = None, limit: int = 10) -> None: ...

        conn = FakeConnection()
        assert Route("/", handler).arguments(conn) == {"websocket": conn}  # type: ignore[arg-type]

    def test_given_value_replaces_default(self) -> None:
        async def handler(limit: int = 10) -> None: ...

        assert arguments(handler, "limit=20") == {"limit": 20}

    def test_missing_required(self) -> None:
        async def handler(websocket: WebSocket, token: str) -> None: ...

        with pytest.raises(ParameterError, match=r"^missing required query parameter 'token'$"):
            arguments(handler, "other=1")

    @pytest.mark.parametrize(
        ("annotation", "value", "kind"), [(int, "abc", "int"), (int, "1.5", "int"), (float, "x", "float")]
    )
    def test_invalid_number(self, annotation: type, value: str, kind: str) -> None:
        async def handler(n: Any) -> None: ...

        handler.__annotations__["n"] = annotation
        with pytest.raises(ParameterError, match=rf"^parameter 'n': '{value}' is not a valid {kind}$"):
            arguments(handler, f"n={value}")

    def test_invalid_path_int(self) -> None:
        async def handler(item_id: int) -> None: ...

        with pytest.raises(ParameterError, match=r"^parameter 'item_id': 'foo' is not a valid int$"):
            arguments(handler, item_id="foo")

    def test_invalid_optional_int(self) -> None:
        async def handler(q: int | None = None) -> None: ...

        with pytest.raises(ParameterError, match=r"^parameter 'q': '' is not a valid int$"):
            arguments(handler, "q=")

    def test_invalid_bool(self) -> None:
        async def handler(flag: bool) -> None: ...

        with pytest.raises(ParameterError, match=r"^parameter 'flag': 'maybe' is not a valid bool$"):
            arguments(handler, "flag=maybe")

    def test_parameter_error_is_a_value_error(self) -> None:
        assert issubclass(ParameterError, ValueError)

    def test_var_args_are_skipped(self) -> None:
        async def handler(websocket: WebSocket, *args: Any, **kwargs: Any) -> None: ...

        conn = FakeConnection(query_params=QueryParams("args=1&kwargs=2"))
        assert Route("/", handler).arguments(conn) == {"websocket": conn}  # type: ignore[arg-type]

    def test_unresolvable_annotations_are_treated_as_str(self) -> None:
        async def handler(n: int) -> None: ...

        handler.__annotations__["n"] = "NoSuchType"
        assert arguments(handler, "n=5") == {"n": "5"}

    def test_fastapi_example(self) -> None:
        # The handler of FastAPI's "Using Depends and others" WebSocket example, minus Depends.
        async def websocket_endpoint(websocket: WebSocket, item_id: str, q: int | None = None) -> None: ...

        route = Route("/items/{item_id}/ws", websocket_endpoint)
        path_params = route.match("/items/foo/ws")
        assert path_params == {"item_id": "foo"}
        conn = FakeConnection(path_params=path_params, query_params=QueryParams("q=3&token=t"))
        assert route.arguments(conn) == {"websocket": conn, "item_id": "foo", "q": 3}  # type: ignore[arg-type]


class TestTemplateErrors:
    def test_unknown_converter(self) -> None:
        with pytest.raises(ValueError, match="unknown converter 'int'"):
            compile_template("/items/{x:int}")

    def test_repeated_name(self) -> None:
        with pytest.raises(ValueError, match="parameter 'x' appears twice"):
            compile_template("/{x}/{x}")

    @pytest.mark.parametrize("value", ["1_000", " 5 ", "0x10"])
    def test_int_is_strict(self, value: str) -> None:
        with pytest.raises(ParameterError, match="is not a valid int"):
            _convert(value, int, "n")
