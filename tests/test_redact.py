"""wskit.redact: secrets masked in URLs, headers and free text, exact vectors."""

from __future__ import annotations

import pytest

from wskit.redact import MASK, is_secret, mask_headers, mask_text, mask_url, mask_value


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("ws://h:1/ws?token=s3cret", "ws://h:1/ws?token=***"),
        ("ws://h:1/ws?room=7&access_token=abc&x=1", "ws://h:1/ws?room=7&access_token=***&x=1"),
        ("wss://bob:hunter2@h/ws", "wss://bob:***@h/ws"),
        ("ws://h:1/ws?room=7", "ws://h:1/ws?room=7"),
        ("ws://h:1/", "ws://h:1/"),
        ("ws://h/?password=p&api_key=k", "ws://h/?password=***&api_key=***"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("could not connect to ws://h/?token=abc: refused", "could not connect to ws://h/?token=***: refused"),
        ("Authorization: Bearer eyJhbGciOi.x.y", "Authorization: ***"),
        ("sent Bearer eyJhbGciOi.x.y upstream", "sent Bearer *** upstream"),
        ("token required", "token required"),  # prose, not a credential
        ("Bearer authentication failed", "Bearer authentication failed"),
        ("Token abcdefghijklmnopqrstuvwxyz", "Token ***"),
        ("cookie: session=abc; theme=dark", "cookie: ***; theme=dark"),
        ("parameter 'room': 'x' is not a valid int", "parameter 'room': 'x' is not a valid int"),
        ("ws://u:pw@h/", "ws://u:***@h/"),
        ("", ""),
    ],
)
def test_mask_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_names() -> None:
    assert all(is_secret(n) for n in ("token", "X-Api-Key", "Authorization", "Cookie", "password", "session_id"))
    assert not any(is_secret(n) for n in ("room", "user", "host", "q", "id"))
    assert mask_value("token", "abc") == MASK and mask_value("room", "abc") == "abc"


def test_mask_headers() -> None:
    headers = {"Authorization": "Bearer x", "Cookie": "a=b", "Host": "h"}
    assert mask_headers(headers) == [("Authorization", MASK), ("Cookie", MASK), ("Host", "h")]


class TestLogRecords:
    """Every record on the ``wskit`` logger leaves with its message and traceback masked."""

    def test_message_and_traceback_are_masked(self, caplog: pytest.LogCaptureFixture) -> None:
        import logging

        logger = logging.getLogger("wskit")
        try:
            raise ValueError("upstream said Authorization: Bearer s3cret-42 for ws://h/?token=s3cret")
        except ValueError:
            with caplog.at_level(logging.ERROR, logger="wskit"):
                logger.exception("handler failed for %s", "ws://h/?token=s3cret")
        formatted = logging.Formatter("%(message)s").format(caplog.records[-1])
        assert "s3cret" not in formatted
        assert "handler failed for ws://h/?token=***" in formatted
        assert "Traceback (most recent call last)" in formatted
        assert "ValueError: upstream said Authorization: ***" in formatted

    def test_the_filter_is_installed_once(self) -> None:
        import importlib
        import logging

        import wskit.redact

        importlib.reload(wskit.redact)
        filters = [f for f in logging.getLogger("wskit").filters if type(f).__name__ == "RedactingFilter"]
        assert len(filters) == 1


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("ws://[::1", "ws://[::1"),
        ("ws://u:pw@[::1/?token=abc&room=1", "ws://u:***@[::1/?token=***&room=1"),
        ("bad Origin http://[x?token=s3cret here", "bad Origin http://[x?token=*** here"),
    ],
)
def test_a_url_too_malformed_to_parse_is_still_masked_and_never_recurses(text: str, masked: str) -> None:
    # it went mask_url -> mask_text -> mask_url ... until RecursionError, e.g. on a peer's "Origin: http://["
    assert mask_text(text) == masked
    if text.startswith("ws"):
        assert mask_url(text) == masked
