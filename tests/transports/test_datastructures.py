"""wskit.transports.datastructures: query parameters, URLs and cookies in Starlette's vocabulary."""

from __future__ import annotations

import pytest

from wskit.transports.datastructures import URL, Address, QueryParams, WebSocketState, parse_cookies


class TestQueryParams:
    def test_last_value_wins(self) -> None:
        params = QueryParams("a=1&b=2&a=3")
        assert params["a"] == "3"
        assert params["b"] == "2"
        assert dict(params) == {"a": "3", "b": "2"}

    def test_getlist_gives_every_value_in_order(self) -> None:
        params = QueryParams("a=1&b=2&a=3")
        assert params.getlist("a") == ["1", "3"]
        assert params.getlist("b") == ["2"]
        assert params.getlist("missing") == []

    def test_multi_items(self) -> None:
        assert QueryParams("a=1&b=2&a=3").multi_items() == [("a", "1"), ("b", "2"), ("a", "3")]

    def test_len_counts_distinct_keys(self) -> None:
        assert len(QueryParams("a=1&b=2&a=3")) == 2

    def test_iteration_in_first_seen_order(self) -> None:
        assert list(QueryParams("b=1&a=2&b=3")) == ["b", "a"]

    def test_blank_values_are_kept(self) -> None:
        params = QueryParams("flag&empty=")
        assert params["flag"] == ""
        assert params["empty"] == ""

    def test_percent_and_plus_decoding(self) -> None:
        params = QueryParams("q=x+y%20z&check=%E2%9C%93&amp=%26")
        assert (params["q"], params["check"], params["amp"]) == ("x y z", "✓", "&")

    def test_empty(self) -> None:
        params = QueryParams()
        assert len(params) == 0
        assert "a" not in params
        assert params.get("a") is None
        with pytest.raises(KeyError):
            params["a"]

    def test_mapping_api(self) -> None:
        params = QueryParams("token=abc")
        assert "token" in params
        assert params.get("token") == "abc"
        assert params.get("other", "default") == "default"

    def test_str_and_repr_re_encode(self) -> None:
        params = QueryParams("a=1&q=x%20y&a=2&flag")
        assert str(params) == "a=1&q=x+y&a=2&flag="
        assert repr(params) == "QueryParams('a=1&q=x+y&a=2&flag=')"


class TestURL:
    URL_STRING = "ws://user@Example.com:8765/chat/room?x=1&y=2#frag"

    def test_parts(self) -> None:
        url = URL(self.URL_STRING)
        assert url.scheme == "ws"
        assert url.netloc == "user@Example.com:8765"
        assert url.hostname == "example.com"
        assert url.port == 8765
        assert url.path == "/chat/room"
        assert url.query == "x=1&y=2"

    def test_is_the_string(self) -> None:
        url = URL(self.URL_STRING)
        assert isinstance(url, str)
        assert url == self.URL_STRING

    def test_no_port_no_query_no_path(self) -> None:
        url = URL("wss://example.com")
        assert (url.port, url.query, url.path) == (None, "", "/")

    def test_ipv6_host(self) -> None:
        url = URL("ws://[::1]:9000/ws")
        assert (url.hostname, url.port, url.path) == ("::1", 9000, "/ws")

    def test_percent_escapes_stay_in_the_path(self) -> None:
        assert URL("ws://h/a%20b").path == "/a%20b"


class TestParseCookies:
    def test_simple(self) -> None:
        assert parse_cookies("session=abc; theme=dark") == {"session": "abc", "theme": "dark"}

    def test_empty_header(self) -> None:
        assert parse_cookies("") == {}

    def test_whitespace_and_empty_chunks(self) -> None:
        assert parse_cookies(" ; a = 1 ;; b=2 ; ") == {"a": "1", "b": "2"}

    def test_quoted_value_is_unquoted(self) -> None:
        assert parse_cookies('a="x y"; b=""') == {"a": "x y", "b": ""}

    def test_lone_quote_is_kept(self) -> None:
        assert parse_cookies('a="; b=x"') == {"a": '"', "b": 'x"'}

    def test_value_may_contain_equals(self) -> None:
        assert parse_cookies("token=a=b==") == {"token": "a=b=="}

    def test_missing_equals_is_a_nameless_cookie(self) -> None:
        # RFC 6265 §5.2: a cookie without '=' has an empty name; Starlette does the same.
        assert parse_cookies("a=1; lone; b=2") == {"a": "1", "": "lone", "b": "2"}

    def test_empty_value(self) -> None:
        assert parse_cookies("k=") == {"k": ""}

    def test_last_duplicate_wins(self) -> None:
        assert parse_cookies("a=1; a=2") == {"a": "2"}

    def test_characters_simple_cookie_rejects(self) -> None:
        # http.cookies.SimpleCookie drops the whole header on these; browsers send them.
        assert parse_cookies('json={"k":1}; tz=Europe/Paris; x=a,b') == {
            "json": '{"k":1}',
            "tz": "Europe/Paris",
            "x": "a,b",
        }


def test_websocket_state_values_match_starlette() -> None:
    assert [(s.name, s.value) for s in WebSocketState] == [
        ("CONNECTING", 0),
        ("CONNECTED", 1),
        ("DISCONNECTED", 2),
        ("RESPONSE", 3),
    ]


def test_address_is_host_port() -> None:
    address = Address("127.0.0.1", 50_000)
    assert address == ("127.0.0.1", 50_000)
    assert (address.host, address.port) == ("127.0.0.1", 50_000)
