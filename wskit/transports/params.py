"""Transport parameters, with Pipecat's names where Pipecat has one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ..pages import Page
    from ..serializers import FrameSerializer
    from ..tls import ClientTLS, ServerTLS
    from .connection import Connection

__all__ = ["AuthHook", "TransportParams", "WebsocketClientParams", "WebsocketServerParams"]

#: ``auth(websocket) -> value``, sync or async. Raise :class:`~wskit.HTTPReject`
#: to refuse before the upgrade (HTTP 401/403), or
#: :class:`~wskit.WebSocketException` to accept and close at once (e.g. 1008).
#: The value it returns is ``websocket.auth``.
AuthHook = Callable[["Connection"], Any | Awaitable[Any]]


@dataclass(kw_only=True)
class TransportParams:
    """What server and client share.

    Attributes:
        serializer: frames <-> messages; ``None`` means :class:`~wskit.serializers.RawSerializer`.
        add_wav_header: wrap outgoing audio frames in a WAV header.
        audio_in_enabled: with the raw serializer, binary messages are audio.
        audio_in_sample_rate, audio_in_channels: format of incoming raw PCM.
        max_message_size: larger incoming messages close the connection
            with 1009 (RFC 6455 §7.4.1); ``None`` for no limit.
        compression: ``"deflate"`` or ``None``. Off by default: PCM and random
            payloads do not compress, and deflate costs throughput and memory.
        max_queue: incoming frames buffered before reading pauses (backpressure).
        ping_interval, ping_timeout: keepalive pings (RFC 6455 §5.5.2); ``None`` disables.
        open_timeout, close_timeout: bounds on the opening and closing handshakes.
        write_limit: bytes a connection may buffer before ``send`` waits for
            the peer to read (websockets' high-water mark).
        send_timeout: seconds one ``send`` may wait for a peer that does not
            read before the slow-consumer policy applies; ``None`` waits forever.
        max_send_buffer: bytes that may wait in one connection's write buffer;
            past it the slow-consumer policy applies before anything more is
            written (this is what bounds ``broadcast``); ``None`` for no limit.
        slow_consumer: what happens to a peer that does not keep up with what
            we send: ``"close"`` (default) closes it with 1008 (policy
            violation: the peer broke the rule "read what you asked for";
            1013 "try again later" is kept for a full server, so the two read
            apart in logs) and aborts the TCP connection, since a close frame
            queued behind megabytes it does not read would never arrive;
            ``"drop"`` keeps the connection and drops what does not fit,
            counting it in ``connection.messages_dropped``. Either way one
            ``slow_consumer`` event says so. Keepalive cannot catch such a
            peer: websockets' ping waits for the write buffer to drain first.
    """

    serializer: FrameSerializer | None = None
    add_wav_header: bool = False
    audio_in_enabled: bool = False
    audio_in_sample_rate: int = 16_000
    audio_in_channels: int = 1
    max_message_size: int | None = 2**20
    compression: Literal["deflate"] | None = None
    max_queue: int = 16
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    open_timeout: float | None = 10.0
    close_timeout: float | None = 10.0
    write_limit: int = 2**15
    send_timeout: float | None = 10.0
    max_send_buffer: int | None = 4 * 2**20
    slow_consumer: Literal["close", "drop"] = "close"

    def websockets_options(self) -> dict[str, Any]:
        """The keyword arguments these map to in websockets' ``serve``/``connect``."""
        return {
            "compression": self.compression,
            "max_size": self.max_message_size,
            "max_queue": self.max_queue,
            "ping_interval": self.ping_interval,
            "ping_timeout": self.ping_timeout,
            "open_timeout": self.open_timeout,
            "close_timeout": self.close_timeout,
            "write_limit": self.write_limit,
        }


@dataclass(kw_only=True)
class WebsocketServerParams(TransportParams):
    """Server parameters.

    Attributes:
        session_timeout: seconds after which each client's session times out
            (``on_session_timeout`` fires for every client, not only the first).
        close_on_session_timeout: also close the session (code 1000) when it times out.
        max_clients: how many clients may be connected at once; ``None`` for no limit.
        when_full: what happens to one more client: ``"reject"`` closes it with
            ``reject_code`` (1013, try again later), ``"replace_oldest"`` closes
            the oldest client (code 1000) and admits the new one.
        reject_code: close code for rejected clients.
        auth: a hook run before the upgrade for every route without its own.
        origins: allowed ``Origin`` headers (``None`` in the list allows no header).
        subprotocols: subprotocols the server supports, in order of preference.
        html: a page to answer a plain HTTP ``GET /`` with (a browser opening
            the server's URL), e.g. :data:`wskit.CHAT_PAGE`; ``None`` (default)
            answers it with 426 Upgrade Required as websockets does. WebSocket
            upgrades on ``/`` work either way. A :class:`wskit.Page` (such as
            :data:`wskit.AUDIO_PAGE`) also serves its scripts at their own paths.
        ssl: serve TLS (``wss://``, and the page on ``https://``): an
            ``ssl.SSLContext``, a ``(cert_file, key_file)`` pair, a
            :class:`wskit.tls.Certificate`, or ``"self-signed"`` (made once and
            kept, needs ``wskit[tls]``; see ``server.certificate`` for its fingerprint).
    """

    session_timeout: float | None = None
    close_on_session_timeout: bool = False
    max_clients: int | None = None
    when_full: Literal["reject", "replace_oldest"] = "reject"
    reject_code: int = 1013
    auth: AuthHook | None = None
    origins: Sequence[str | None] | None = None
    subprotocols: Sequence[str] | None = None
    html: str | Page | None = None
    ssl: ServerTLS | None = None

    def __post_init__(self) -> None:
        if self.when_full not in ("reject", "replace_oldest"):
            raise ValueError(f"when_full must be 'reject' or 'replace_oldest', not {self.when_full!r}")
        if self.max_clients is not None and self.max_clients < 1:
            raise ValueError("max_clients must be at least 1 (or None for no limit)")


@dataclass(kw_only=True, repr=False)
class WebsocketClientParams(TransportParams):
    """Client parameters.

    Attributes:
        add_wav_header: on by default, as in Pipecat's client.
        additional_headers: extra HTTP headers for the opening handshake.
        subprotocols: subprotocols to offer.
        reconnect: reconnect with exponential backoff when the connection
            fails or drops (the server restarting, say).
        max_reconnect_attempts: failed attempts in a row before giving up.
        reconnect_min_delay, reconnect_max_delay, reconnect_factor: the backoff:
            ``min_delay * factor**(attempt - 1)``, capped at ``max_delay``.
        ssl: for ``wss://``: an ``ssl.SSLContext``, or the server's
            :class:`wskit.tls.Certificate` (or its PEM file) to trust; ``None``
            trusts the system's certificate authorities.
    """

    add_wav_header: bool = True
    additional_headers: dict[str, str] | None = None
    subprotocols: Sequence[str] | None = None
    reconnect: bool = False
    max_reconnect_attempts: int = 5
    reconnect_min_delay: float = 0.5
    reconnect_max_delay: float = 10.0
    reconnect_factor: float = 2.0
    ssl: ClientTLS | None = None

    def __repr__(self) -> str:  # header values such as Authorization are masked
        from ..redact import mask_headers

        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.additional_headers:
            shown["additional_headers"] = dict(mask_headers(self.additional_headers))
        return f"WebsocketClientParams({', '.join(f'{k}={v!r}' for k, v in shown.items())})"
