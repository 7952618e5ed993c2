"""``Link``: a TCP relay on ``127.0.0.1`` that makes the network bad on demand.

A client connects to ``link.url`` instead of the server's URL; the link opens
its own connection to the server and forwards bytes both ways, after
applying what :class:`~wskit.impair.shaping.Conditions` say: latency, jitter
without reordering, a bandwidth limit per direction. Faults come on demand:
a stall (a frozen peer: nothing forwarded, sockets kept), a drop (TCP reset
on both sides), a half-open connection (one way held), a byte limit. It
relays bytes and parses nothing, so it works for any protocol on TCP.

It runs on the running asyncio loop like a transport: ``await link.start()``
returns at once, the link is tracked by the runtime and stopped by
:func:`wskit.stop_all`, and a link started again on a fixed port replaces the
one there. Settings and faults are plain method calls, safe from a widget
callback or a cell while traffic flows (call them from the loop's thread).

Two things make loopback behave like a real path:

* The link advertises Ethernet-sized TCP segments (MSS 1460). Loopback's
  64 KiB segments let the sending kernel reserve megabytes of send buffer at
  once (measured: 3.9 MB on Linux), so a sender over a slow link would only
  notice after minutes; with real segment sizes it is tens of KiB.
* It holds at most ``queue_bytes`` per direction of each connection (a
  router's queue), then stops reading, so TCP flow control pushes back on
  the sender as a real bottleneck does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import socket
import struct
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from .. import runtime
from .presets import preset as find_preset
from .shaping import MSS, Conditions, DelayLine, TokenBucket

__all__ = ["Link", "LinkStats", "Way"]

logger = logging.getLogger("wskit")

#: A direction: ``"up"`` is client to target, ``"down"`` target to client.
Way = Literal["up", "down", "both"]

_EOF = b"<eof>"  # markers queued behind the data they follow (compared by identity)
_RESET = b"<reset>"
_DEFAULT_PORTS = {"ws": 80, "http": 80, "wss": 443, "https": 443}


def _ways(direction: str) -> tuple[Literal["up", "down"], ...]:
    if direction == "both":
        return ("up", "down")
    if direction in ("up", "down"):
        return (direction,)  # type: ignore[return-value]
    raise ValueError(f"direction must be 'up', 'down' or 'both', not {direction!r}")


def _conditions(value: Conditions | Mapping[str, Any] | None, base: Conditions) -> Conditions:
    if value is None:
        return base
    if isinstance(value, Conditions):
        return value.copy()
    if isinstance(value, Mapping):
        unknown = set(value) - {"latency_ms", "jitter_ms", "bandwidth_kbps"}
        if unknown:
            raise ValueError(f"unknown condition(s) {sorted(unknown)}: use latency_ms, jitter_ms, bandwidth_kbps")
        merged = base.copy()
        for key, item in value.items():
            setattr(merged, key, item)
        return merged
    raise TypeError(f"up/down must be Conditions or a mapping, not {type(value).__name__}")


def _reset_on_close(transport: asyncio.BaseTransport) -> None:
    """Make closing ``transport`` send a TCP RST instead of a FIN (SO_LINGER 0)."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@dataclass(frozen=True, slots=True)
class LinkStats:
    """What a :class:`Link` is doing now.

    Attributes:
        connections: relayed connections open now; accepted: all so far.
        bytes_up, bytes_down: bytes forwarded client -> target and back.
        queued_up, queued_down: bytes inside the link, not yet forwarded.
        delay_up_ms, delay_down_ms: how long the last chunk forwarded that
            way spent in the link (latency, jitter, bandwidth queueing, stalls).
        held: the directions held now (by a stall or a half-open connection).
        stall_left_s: seconds until a timed stall ends (0 when none).
        limit: the byte limit per connection and direction, if any.
    """

    connections: int
    accepted: int
    bytes_up: int
    bytes_down: int
    queued_up: int
    queued_down: int
    delay_up_ms: float
    delay_down_ms: float
    held: tuple[str, ...]
    stall_left_s: float
    limit: int | None

    def __str__(self) -> str:
        held = f", held: {'+'.join(self.held)}" if self.held else ""
        return (
            f"{self.connections} connection(s); up {self.bytes_up} B ({self.queued_up} queued, "
            f"last delay {self.delay_up_ms:.1f} ms); down {self.bytes_down} B ({self.queued_down} queued, "
            f"last delay {self.delay_down_ms:.1f} ms){held}"
        )


class _Pipe:
    """One direction of one relayed connection: a delay line, a bucket, a queue."""

    def __init__(self, link: Link, relay: _Relay, way: Literal["up", "down"]) -> None:
        self.link = link
        self.relay = relay
        self.way = way
        self.conditions = link.up if way == "up" else link.down
        self.delay = DelayLine(self.conditions, link._rng)
        self.bucket: TokenBucket | None = None
        # [release time, arrival time, data, offset]; data may be an end marker
        self.queue: deque[list[Any]] = deque()
        self.queued = 0
        self.src: asyncio.Transport | None = None
        self.dst: asyncio.Transport | None = None
        self.dst_paused = False
        self.reading_paused = False
        self.timer: asyncio.TimerHandle | None = None
        self.forwarded = 0
        self.limit_left: int | None = link._limit_for(way)
        self.eof_queued = False
        self.ended = False
        self.dead = False

    # -- in ----------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        if self.dead or self.eof_queued:
            return
        now = self.link._loop_time()
        release = self.delay.release_time(now)
        if not self.queue and release <= now and self._ready(now, len(data)):
            self._deliver(memoryview(data), now, now)
            return
        self.queue.append([release, now, data, 0])
        self.queued += len(data)
        if self.queued > self.link.queue_bytes and not self.reading_paused and self.src is not None:
            self.reading_paused = True
            self.src.pause_reading()
        self.schedule()

    def feed_end(self, marker: bytes) -> None:
        """Queue the end of the stream (EOF or reset) behind the data before it."""
        if self.dead or self.eof_queued:
            return
        self.eof_queued = True
        now = self.link._loop_time()
        self.queue.append([self.delay.release_time(now), now, marker, 0])
        self.schedule()

    # -- out ---------------------------------------------------------------------

    def _bucket(self, now: float) -> TokenBucket | None:
        rate = self.conditions.rate
        if rate is None:
            self.bucket = None
        elif self.bucket is None:
            self.bucket = TokenBucket(rate, TokenBucket.burst_for(rate), now)
        elif self.bucket.rate != rate:
            self.bucket.set_rate(rate, now)
        return self.bucket

    def _blocked(self, now: float) -> bool:
        return self.dead or self.dst is None or self.dst_paused or self.link._held_at(self.way, now)

    def _ready(self, now: float, size: int) -> bool:
        """True when ``size`` bytes arriving now may be written at once (the fast path)."""
        if self._blocked(now):
            return False
        bucket = self._bucket(now)
        return bucket is None or bucket.available(now) >= size

    def schedule(self, now: float | None = None) -> None:
        """Arm the timer for the queue's head, unless it is armed or the pipe is blocked."""
        if self.timer is not None or not self.queue:
            return
        now = self.link._loop_time() if now is None else now
        if self._blocked(now):
            return  # resumed by resume_writing, the end of a hold, or the target connecting
        release, _, data, offset = self.queue[0]
        when = release
        bucket = self._bucket(now)
        if bucket is not None and data is not _EOF and data is not _RESET:
            when = max(when, now + bucket.wait(len(data) - offset, now))
        self.timer = self.link._call_at(when, self._release)

    def reschedule(self) -> None:
        """Settings changed: recompute when the head may go."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.schedule()

    def _release(self) -> None:
        self.timer = None
        now = self.link._loop_time()
        while self.queue and not self._blocked(now):
            head = self.queue[0]
            release, arrival, data, offset = head
            if release > now:
                break
            if data is _EOF or data is _RESET:
                self.queue.popleft()
                self._end(data)
                return
            size = len(data) - offset
            bucket = self._bucket(now)
            if bucket is not None:
                tokens = int(bucket.available(now))
                if tokens < min(size, bucket.burst):
                    break
                size = min(size, tokens)
            view = memoryview(data)[offset : offset + size]
            if offset + size >= len(data):
                self.queue.popleft()
            else:
                head[3] = offset + size
            self.queued -= size
            self._deliver(view, arrival, now)
            if self.relay.closed:
                return
        if self.reading_paused and self.queued <= self.link.queue_bytes // 2 and self.src is not None:
            self.reading_paused = False
            self.src.resume_reading()
        self.schedule(now)

    def _deliver(self, data: memoryview, arrival: float, now: float) -> None:
        assert self.dst is not None
        limit = self.limit_left
        if limit is not None and len(data) >= limit:
            data = data[:limit]
        bucket = self.bucket
        if bucket is not None:
            bucket.take(len(data), now)
        if data:
            self.dst.write(data)
        self.forwarded += len(data)
        self.link._forwarded(self.way, len(data), now - arrival)
        if limit is not None:
            self.limit_left = limit - len(data)
            if self.limit_left <= 0:
                self.relay.close()  # Toxiproxy's limit_data: the connection ends after N bytes

    def _end(self, marker: bytes) -> None:
        self.ended = True
        if marker is _RESET:
            self.relay.close(reset=True)
            return
        dst = self.dst
        if dst is not None and dst.can_write_eof() and not dst.is_closing():
            try:
                dst.write_eof()  # a half-close travels as it came: the other way may still carry data
            except OSError:  # that socket is gone already (reset by its peer)
                self.relay.close()
                return
        self.relay.check_done()

    def clear(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.queue.clear()
        self.queued = 0


class _Side(asyncio.Protocol):
    """The protocol of one of a relay's two sockets (``"client"`` or ``"target"``)."""

    def __init__(self, relay: _Relay, side: Literal["client", "target"]) -> None:
        self.relay = relay
        self.side = side
        self.out = relay.up if side == "client" else relay.down  # what this socket's bytes feed
        self.back = relay.down if side == "client" else relay.up  # what writes to this socket

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.relay.attached(self.side, transport)

    def data_received(self, data: bytes) -> None:
        self.out.feed(data)

    def eof_received(self) -> bool:
        self.out.feed_end(_EOF)
        return True  # keep writing the other way (TCP half-close)

    def connection_lost(self, exc: Exception | None) -> None:
        self.relay.lost(self.side, exc)

    def pause_writing(self) -> None:
        self.back.dst_paused = True

    def resume_writing(self) -> None:
        self.back.dst_paused = False
        self.back.schedule()


class _Relay:
    """One relayed connection: the client's socket, the link's socket to the target, two pipes."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self.up = _Pipe(link, self, "up")
        self.down = _Pipe(link, self, "down")
        self.client: asyncio.Transport | None = None
        self.target: asyncio.Transport | None = None
        self.closed = False
        self.connecting: asyncio.Task[None] | None = None

    def attached(self, side: str, transport: asyncio.Transport) -> None:
        if self.closed:
            transport.abort()
            return
        if side == "client":
            self.client = transport
            self.up.src = transport
            self.down.dst = transport
            self.connecting = runtime.spawn(self._connect(), name="wskit.impair connect")
        else:
            self.target = transport
            self.down.src = transport
            self.up.dst = transport
            self.up.schedule()  # what the client sent while the link was connecting

    async def _connect(self) -> None:
        host, port = self.link.target_address
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            family, kind, proto, _, address = infos[0]
            sock = socket.socket(family, kind, proto)
            try:
                sock.setblocking(False)
                self.link._tune(sock)
                await loop.sock_connect(sock, address)
                await loop.create_connection(lambda: _Side(self, "target"), sock=sock)
            except BaseException:
                sock.close()
                raise
        except OSError as exc:
            logger.info("wskit.impair: cannot reach %s:%s (%s); resetting the client", host, port, exc)
            self.close(reset=True)  # what a path to a closed port looks like: the connection is refused

    def lost(self, side: str, exc: Exception | None) -> None:
        if self.closed:
            return
        if side == "client":
            self.client = None
            self.up.src = None
            self.down.dead = True
            self.down.clear()
            self.up.feed_end(_EOF if exc is None else _RESET)
        else:
            self.target = None
            self.down.src = None
            self.up.dead = True
            self.up.clear()
            self.down.feed_end(_EOF if exc is None else _RESET)
        self.check_done()

    def check_done(self) -> None:
        """Close when nothing more can travel either way."""
        up_over = self.up.ended or self.up.dead
        down_over = self.down.ended or self.down.dead
        if up_over and down_over:
            self.close()

    def close(self, reset: bool = False) -> None:
        """End both sockets: a FIN after what was written, or a TCP reset (``reset``)."""
        if self.closed:
            return
        self.closed = True
        self.up.clear()
        self.down.clear()
        if self.connecting is not None and not self.connecting.done():
            self.connecting.cancel()
        for transport in (self.client, self.target):
            if transport is None:
                continue
            if reset:
                _reset_on_close(transport)
                transport.abort()
            else:
                transport.close()
        self.link._closed(self)

    def abandon(self) -> None:
        """Forget the sockets of a link whose loop is gone (they close when collected)."""
        self.closed = True
        for transport in (self.client, self.target):
            if transport is not None:
                with contextlib.suppress(RuntimeError):  # a closed loop refuses the callback
                    transport.abort()


class Link:
    """A bad network between a client and a server, inside this process.

    Args:
        target: where to forward: a ``ws://`` (or ``wss://``, ``http://``)
            URL, anything with a ``.url`` (a server transport), or a
            ``(host, port)`` pair for any TCP service.
        latency_ms, jitter_ms, bandwidth_kbps: the conditions of both
            directions (see :class:`~wskit.impair.shaping.Conditions`): each
            chunk waits ``latency ± jitter`` ms each way, so an echo's round
            trip grows by twice the latency.
        up, down: conditions for one direction only (``Conditions`` or a
            mapping of the same names), overriding the three above.
        preset: start from a named preset (:data:`~wskit.impair.PRESETS`)
            instead of the three numbers.
        host, port: where the link listens (``127.0.0.1``, a free port).
        queue_bytes: bytes the link holds per direction and connection
            before it stops reading (its "router queue").
        mss: TCP segment size the link advertises on both its sockets;
            ``None`` keeps loopback's.
        seed: seeds the jitter, for repeatable runs.

    Example::

        link = wskit.impair.Link(server.url, latency_ms=50, jitter_ms=20)
        await link.start()
        client = wskit.WebsocketClientTransport(link.url)
        link.stall(2.0)           # a frozen network for 2 s
        link.set(bandwidth_kbps=64, direction="up")
    """

    def __init__(
        self,
        target: str | tuple[str, int] | Any,
        latency_ms: float = 0.0,
        jitter_ms: float = 0.0,
        bandwidth_kbps: float | None = None,
        *,
        up: Conditions | Mapping[str, Any] | None = None,
        down: Conditions | Mapping[str, Any] | None = None,
        preset: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        queue_bytes: int = 2**16,
        mss: int | None = MSS,
        seed: int | None = None,
    ) -> None:
        self._scheme, self.target_address, self._path = self._parse_target(target)
        if preset is not None:
            if latency_ms or jitter_ms or bandwidth_kbps is not None:
                raise ValueError("give a preset or latency_ms/jitter_ms/bandwidth_kbps, not both (then use up=/down=)")
            chosen = find_preset(preset)
            base_up, base_down = chosen.up.copy(), chosen.down.copy()
        else:
            base_up = Conditions(latency_ms, jitter_ms, bandwidth_kbps)
            base_down = base_up.copy()
        #: conditions client -> target (live: set attributes or call :meth:`set`)
        self.up = _conditions(up, base_up)
        #: conditions target -> client
        self.down = _conditions(down, base_down)
        if isinstance(queue_bytes, bool) or not isinstance(queue_bytes, int) or queue_bytes < MSS:
            raise ValueError(f"queue_bytes must be an int of at least {MSS}")
        self.queue_bytes = queue_bytes
        if mss is not None and not 88 <= mss <= 65495:
            raise ValueError("mss must be between 88 and 65495 bytes, or None")
        self.mss = mss
        self.host = host
        self.port = port
        self._rng = random.Random(seed)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._address: tuple[str, int] | None = None
        self._relays: set[_Relay] = set()
        self._accepted = 0
        self._bytes = {"up": 0, "down": 0}
        self._last_delay = {"up": 0.0, "down": 0.0}
        self._held: dict[str, float] = {}  # direction -> until (inf: until resume())
        self._stall_timer: asyncio.TimerHandle | None = None
        self._limit: int | None = None
        self._limit_ways: tuple[str, ...] = ()
        self._scripts: set[asyncio.Task[None]] = set()
        self._subscribers: tuple[Callable[[], object], ...] = ()

    @staticmethod
    def _parse_target(target: Any) -> tuple[str, tuple[str, int], str]:
        if isinstance(target, tuple):
            host, port = target
            return "tcp", (str(host), int(port)), ""
        url = target if isinstance(target, str) else getattr(target, "url", None)
        if not isinstance(url, str):
            raise TypeError(f"Link target must be a URL, a (host, port) pair or a server, not {type(target).__name__}")
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"Link target must be a ws://, wss://, http:// or https:// URL, not {url!r}")
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
        rest = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        return parts.scheme, (parts.hostname, port), rest

    # -- where ---------------------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop the link runs on, once started."""
        return self._loop

    @property
    def listen_address(self) -> tuple[str, int] | None:
        """``(host, port)`` the link listens on while it runs."""
        return self._address if self._server is not None else None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` to connect to instead of the target.

        Raises:
            RuntimeError: the link is not started.
        """
        if self._address is None or self._server is None:
            raise RuntimeError("the link is not running: await link.start() first")
        return self._address

    @property
    def url(self) -> str:
        """The target's URL with the link's address: what a client connects to."""
        host, port = self.address
        shown = f"[{host}]" if ":" in host else host
        return f"{self._scheme}://{shown}:{port}{self._path}"

    # -- lifetime --------------------------------------------------------------------

    def _tune(self, sock: socket.socket) -> None:
        """Ethernet-sized segments (see the module docstring)."""
        if self.mss is not None and hasattr(socket, "TCP_MAXSEG"):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, self.mss)

    async def start(self) -> None:
        """Listen and return; relaying goes on in the background.

        An earlier wskit server or link on the same ``host:port`` is stopped first.

        Raises:
            OSError: the address is taken by something else.
        """
        if self._server is not None:
            return
        self._loop = asyncio.get_running_loop()
        await runtime.release_address(self.host, self.port, self)
        infos = await self._loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._tune(sock)
            sock.bind(address)
            sock.setblocking(False)
            self._server = await self._loop.create_server(self._accept, sock=sock)
        except BaseException:
            sock.close()
            raise
        name = sock.getsockname()
        self._address = (name[0], name[1])
        runtime.register(self)
        self._changed()

    def _accept(self) -> _Side:
        relay = _Relay(self)
        self._relays.add(relay)
        self._accepted += 1
        return _Side(relay, "client")

    async def stop(self, *, timeout: float = 5.0) -> None:
        """Stop listening and close every relayed connection (what is still queued is lost)."""
        server, self._server = self._server, None
        if server is None:
            return
        try:
            server.close()
            for task in list(self._scripts):
                task.cancel()
            self._cancel_stall()
            for relay in list(self._relays):
                relay.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), timeout)
        finally:
            runtime.unregister(self)
            self._changed()

    def abandon(self) -> None:
        """Release the sockets of a link whose loop is gone."""
        server, self._server = self._server, None
        if server is not None:
            with contextlib.suppress(RuntimeError):  # closes the listening socket; the loop may refuse the rest
                server.close()
        for relay in list(self._relays):
            relay.abandon()
        self._relays.clear()
        runtime.unregister(self)

    async def __aenter__(self) -> Link:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- conditions ---------------------------------------------------------------------

    def set(
        self,
        *,
        latency_ms: float | None = None,
        jitter_ms: float | None = None,
        bandwidth_kbps: float | Literal["keep"] | None = "keep",
        direction: Way = "both",
    ) -> None:
        """Change conditions while traffic flows (``bandwidth_kbps=None`` lifts the limit)."""
        ways = _ways(direction)
        for way in ways:  # validate everything before changing anything
            probe = self.conditions(way).copy()
            if latency_ms is not None:
                probe.latency_ms = latency_ms
            if jitter_ms is not None:
                probe.jitter_ms = jitter_ms
            if bandwidth_kbps != "keep":
                probe.bandwidth_kbps = bandwidth_kbps
        for way in ways:
            target = self.conditions(way)
            if latency_ms is not None:
                target.latency_ms = latency_ms
            if jitter_ms is not None:
                target.jitter_ms = jitter_ms
            if bandwidth_kbps != "keep":
                target.bandwidth_kbps = bandwidth_kbps
        self._reschedule()

    def conditions(self, way: Literal["up", "down"]) -> Conditions:
        """The live conditions of one direction (``link.up`` or ``link.down``)."""
        if way == "up":
            return self.up
        if way == "down":
            return self.down
        raise ValueError(f"way must be 'up' or 'down', not {way!r}")

    def apply(self, name: str) -> None:
        """Take both directions' conditions from the preset called ``name``."""
        chosen = find_preset(name)
        for mine, theirs in ((self.up, chosen.up), (self.down, chosen.down)):
            mine.latency_ms = theirs.latency_ms
            mine.jitter_ms = theirs.jitter_ms
            mine.bandwidth_kbps = theirs.bandwidth_kbps
        self._reschedule()

    def clear(self) -> None:
        """No latency, jitter or bandwidth limit either way (faults are left as they are)."""
        self.set(latency_ms=0, jitter_ms=0, bandwidth_kbps=None)

    # -- faults ---------------------------------------------------------------------------

    def stall(self, seconds: float | None = None, direction: Way = "both") -> None:
        """Stop forwarding for ``seconds`` (``None``: until :meth:`resume`), keeping the sockets.

        A frozen peer or network: nothing is lost, nothing moves. Data keeps
        arriving into the link's queue until ``queue_bytes``, then TCP
        pushes back on the sender; when the stall ends, everything queued
        goes on, in order.
        """
        if seconds is not None and (isinstance(seconds, bool) or not seconds >= 0 or not math.isfinite(seconds)):
            raise ValueError(f"seconds must be a finite number >= 0 or None, not {seconds!r}")
        ways = _ways(direction)
        now = self._loop_time()
        until = math.inf if seconds is None else now + seconds
        for way in ways:
            self._held[way] = until
        self._cancel_stall()
        finite = [t for t in self._held.values() if math.isfinite(t)]
        if finite:
            self._stall_timer = self._call_at(min(finite), self._stall_over)
        self._changed()

    def half_open(self, direction: Literal["up", "down"] = "up") -> None:
        """Hold one direction until :meth:`resume`: one side's bytes stop arriving, the other's flow.

        What a peer whose machine vanished looks like from the other side:
        with ``"up"`` the server hears nothing more from the client (its
        keepalive pings go out, the pongs never come back) while the client
        still receives.
        """
        if direction not in ("up", "down"):
            raise ValueError(f"half_open takes 'up' or 'down', not {direction!r}")
        self.stall(None, direction)

    def resume(self) -> None:
        """End every stall and half-open hold: forwarding goes on with what is queued."""
        self._held.clear()
        self._cancel_stall()
        self._reschedule()

    def drop(self) -> None:
        """Reset every relayed connection now (TCP RST both ways): an abrupt loss.

        Both peers see the connection reset; a WebSocket peer reports 1006.
        New connections are relayed as before.
        """
        for relay in list(self._relays):
            relay.close(reset=True)

    def limit(self, nbytes: int | None, direction: Way = "both") -> None:
        """Close each connection once ``nbytes`` have passed one way (``None`` lifts it).

        Counted per connection and direction from the connection's start, as
        Toxiproxy's ``limit_data``: exactly ``nbytes`` are delivered, then both
        sockets are closed (FIN). Connections already past it close now.
        """
        if nbytes is not None and (isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < 0):
            raise ValueError(f"limit takes a number of bytes >= 0 or None, not {nbytes!r}")
        self._limit = nbytes
        self._limit_ways = _ways(direction)
        for relay in list(self._relays):
            for pipe in (relay.up, relay.down):
                pipe.limit_left = self._limit_for(pipe.way, pipe.forwarded)
            if any(p.limit_left == 0 for p in (relay.up, relay.down)):
                relay.close()
        self._changed()

    def _limit_for(self, way: str, forwarded: int = 0) -> int | None:
        """Bytes a pipe that has forwarded ``forwarded`` may still carry (``None``: no limit)."""
        if self._limit is None or way not in self._limit_ways:
            return None
        return max(0, self._limit - forwarded)

    def script(self, steps: Sequence[Sequence[Any]]) -> asyncio.Task[None]:
        """Run a schedule of changes and faults in the background; returns its task.

        Each step is ``(seconds_from_now, action, *args)``, in time order:
        ``("stall", seconds)``, ``("drop",)``, ``("half_open", "up")``,
        ``("resume",)``, ``("limit", nbytes)``, ``("latency", ms[, direction])``,
        ``("jitter", ms[, direction])``, ``("bandwidth", kbps_or_None[, direction])``,
        ``("preset", name)``. The steps are checked before anything runs.
        Stopping the link cancels the script.

        Example::

            link.script([(2.0, "stall", 1.5), (5.0, "latency", 200)])
        """
        from .script import parse, run

        parsed = parse(steps)
        task = runtime.spawn(run(self, parsed), name="wskit.impair script")
        self._scripts.add(task)
        task.add_done_callback(self._scripts.discard)
        return task

    # -- what it does --------------------------------------------------------------------

    @property
    def stats(self) -> LinkStats:
        now = self._loop_time()
        held = tuple(way for way in ("up", "down") if self._held_at(way, now))
        finite = [t - now for t in self._held.values() if math.isfinite(t) and t > now]
        return LinkStats(
            connections=len(self._relays),
            accepted=self._accepted,
            bytes_up=self._bytes["up"],
            bytes_down=self._bytes["down"],
            queued_up=sum(r.up.queued for r in self._relays),
            queued_down=sum(r.down.queued for r in self._relays),
            delay_up_ms=self._last_delay["up"] * 1000,
            delay_down_ms=self._last_delay["down"] * 1000,
            held=held,
            stall_left_s=max(finite) if finite else 0.0,
            limit=self._limit,
        )

    def subscribe(self, callback: Callable[[], object]) -> Callable[[], None]:
        """Call ``callback()`` after anything changes (bytes forwarded, settings, faults).

        Called on the data path: keep it as cheap as a flag (a panel asks for
        a throttled redraw). Returns a function that unsubscribes.
        """
        self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            self._subscribers = tuple(s for s in self._subscribers if s is not callback)

        return unsubscribe

    def __repr__(self) -> str:
        where = f"{self._address[0]}:{self._address[1]}" if self._server is not None and self._address else "stopped"
        target = f"{self.target_address[0]}:{self.target_address[1]}"
        return f"<Link {where} -> {target}: up {self.up}, down {self.down}, {len(self._relays)} connection(s)>"

    # -- inside ----------------------------------------------------------------------------

    def _loop_time(self) -> float:
        loop = self._loop
        if loop is None:
            loop = asyncio.get_running_loop()
        return loop.time()

    def _call_at(self, when: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        loop = self._loop
        assert loop is not None
        return loop.call_at(when, callback)

    def _held_at(self, way: str, now: float) -> bool:
        until = self._held.get(way)
        return until is not None and now < until

    def _stall_over(self) -> None:
        self._stall_timer = None
        now = self._loop_time()
        for way, until in list(self._held.items()):
            if until <= now:
                del self._held[way]
        finite = [t for t in self._held.values() if math.isfinite(t)]
        if finite:
            self._stall_timer = self._call_at(min(finite), self._stall_over)
        self._reschedule()

    def _cancel_stall(self) -> None:
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def _reschedule(self) -> None:
        for relay in list(self._relays):
            relay.up.reschedule()
            relay.down.reschedule()
        self._changed()

    def _forwarded(self, way: str, size: int, delay: float) -> None:
        self._bytes[way] += size
        self._last_delay[way] = delay
        if self._subscribers:
            self._changed()

    def _closed(self, relay: _Relay) -> None:
        self._relays.discard(relay)
        self._changed()

    def _changed(self) -> None:
        for callback in self._subscribers:
            try:
                callback()
            except Exception:
                logger.exception("a Link subscriber failed")
