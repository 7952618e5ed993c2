"""The relay engine behind :class:`~wskit.impair.Link`: sockets, queues and timers.

:class:`Relay` holds what every relayed connection shares (the conditions of
each direction, the holds of a stall, the byte limit, the counters) and
makes one :class:`Splice` per accepted connection: the client's socket, the
relay's own socket to the target, and a :class:`Pipe` each way.

A pipe gives each chunk its release time from a
:class:`~wskit.impair.DelayLine`, passes it through a
:class:`~wskit.impair.TokenBucket` when the bandwidth is limited,
and writes it out from a loop timer; with no impairment a chunk is written
straight from ``data_received``, so an idle link costs one write per chunk.
The end of a stream (EOF or reset) is queued behind the data before it and
takes the same delay. Backpressure is passed on both ways: a pipe holding
more than ``queue_bytes`` pauses reading its source, and a destination whose
write buffer is full (``pause_writing``) holds its pipe.
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
from collections.abc import Callable
from typing import Any, Literal

from .. import runtime
from ._shaping import Conditions, DelayLine, TokenBucket

__all__ = ["RECEIVE_BUFFER", "OneWay", "Pipe", "Relay", "Side", "Splice", "Way", "ways"]

logger = logging.getLogger("wskit")

#: A direction: ``"up"`` is client to target, ``"down"`` target to client.
OneWay = Literal["up", "down"]

#: One direction or ``"both"``: what a setting or a fault applies to.
Way = Literal["up", "down", "both"]

#: The receive buffer of the relay's sockets (Linux doubles it for its bookkeeping).
RECEIVE_BUFFER = 16_384

EOF = b"<eof>"  # end markers queued behind the data they follow (compared by identity)
RESET = b"<reset>"


def ways(direction: str) -> tuple[OneWay, ...]:
    """``"both"`` -> ``("up", "down")``; ``"up"``/``"down"`` -> themselves."""
    if direction == "both":
        return ("up", "down")
    if direction == "up":
        return ("up",)
    if direction == "down":
        return ("down",)
    raise ValueError(f"direction must be 'up', 'down' or 'both', not {direction!r}")


def reset_on_close(transport: asyncio.BaseTransport) -> None:
    """Make closing ``transport`` send a TCP RST instead of a FIN (``SO_LINGER`` 0)."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class Pipe:
    """One direction of one splice: a delay line, a token bucket, a queue."""

    def __init__(self, relay: Relay, splice: Splice, way: OneWay) -> None:
        self.relay = relay
        self.splice = splice
        self.way = way
        self.conditions = relay.conditions(way)
        self.delay = DelayLine(self.conditions, relay.rng)
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
        self.limit_left = relay.limit_for(way)
        self.eof_queued = False
        self.ended = False
        self.dead = False

    # -- in ----------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Take a chunk that just arrived from the source."""
        if self.dead or self.eof_queued:
            return
        now = self.relay.time()
        release = self.delay.release_time(now)
        if not self.queue and release <= now and self._ready(now, len(data)):
            self._deliver(memoryview(data), now, now)
            return
        self.queue.append([release, now, data, 0])
        self.queued += len(data)
        if self.queued > self.relay.queue_bytes and not self.reading_paused and self.src is not None:
            self.reading_paused = True
            self.src.pause_reading()
        self.schedule()

    def feed_end(self, marker: bytes) -> None:
        """Queue the end of the stream (:data:`EOF` or :data:`RESET`) behind the data before it."""
        if self.dead or self.eof_queued:
            return
        self.eof_queued = True
        now = self.relay.time()
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
        return self.dead or self.dst is None or self.dst_paused or self.relay.held(self.way, now)

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
        now = self.relay.time() if now is None else now
        if self._blocked(now):
            return  # resumed by resume_writing, the end of a hold, or the target connecting
        release, _, data, offset = self.queue[0]
        when = release
        bucket = self._bucket(now)
        if bucket is not None and data is not EOF and data is not RESET:
            when = max(when, now + bucket.wait(len(data) - offset, now))
        self.timer = self.relay.call_at(when, self._release)

    def reschedule(self) -> None:
        """Settings changed: recompute when the head may go."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.schedule()

    def _release(self) -> None:
        self.timer = None
        now = self.relay.time()
        while self.queue and not self._blocked(now):
            head = self.queue[0]
            release, arrival, data, offset = head
            if release > now:
                break
            if data is EOF or data is RESET:
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
            if self.splice.closed:
                return
        if self.reading_paused and self.queued <= self.relay.queue_bytes // 2 and self.src is not None:
            self.reading_paused = False
            self.src.resume_reading()
        self.schedule(now)

    def _deliver(self, data: memoryview, arrival: float, now: float) -> None:
        assert self.dst is not None
        limit = self.limit_left
        if limit is not None and len(data) >= limit:
            data = data[:limit]
        if self.bucket is not None:
            self.bucket.take(len(data), now)
        if data:
            self.dst.write(data)
        self.forwarded += len(data)
        self.relay.forwarded(self.way, len(data), now - arrival)
        if limit is not None:
            self.limit_left = limit - len(data)
            if self.limit_left <= 0:
                self.splice.close()  # Toxiproxy's limit_data: the connection ends after N bytes

    def _end(self, marker: bytes) -> None:
        self.ended = True
        if marker is RESET:
            self.splice.close(reset=True)
            return
        dst = self.dst
        if dst is not None and dst.can_write_eof() and not dst.is_closing():
            try:
                dst.write_eof()  # a half-close travels as it came: the other way may still carry data
            except OSError:  # that socket is gone already (reset by its peer)
                self.splice.close()
                return
        self.splice.check_done()

    def clear(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.queue.clear()
        self.queued = 0


class Side(asyncio.Protocol):
    """The protocol of one of a splice's two sockets (``"client"`` or ``"target"``)."""

    def __init__(self, splice: Splice, side: Literal["client", "target"]) -> None:
        self.splice = splice
        self.side = side
        self.out = splice.up if side == "client" else splice.down  # what this socket's bytes feed
        self.back = splice.down if side == "client" else splice.up  # what writes to this socket

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.splice.attached(self.side, transport)

    def data_received(self, data: bytes) -> None:
        self.out.feed(data)

    def eof_received(self) -> bool:
        self.out.feed_end(EOF)
        return True  # keep writing the other way (TCP half-close)

    def connection_lost(self, exc: Exception | None) -> None:
        self.splice.lost(self.side, exc)

    def pause_writing(self) -> None:
        self.back.dst_paused = True

    def resume_writing(self) -> None:
        self.back.dst_paused = False
        self.back.schedule()


class Splice:
    """One relayed connection: the client's socket, the relay's socket to the target, two pipes."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.up = Pipe(relay, self, "up")
        self.down = Pipe(relay, self, "down")
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
            self.up.schedule()  # what the client sent while the relay was connecting

    async def _connect(self) -> None:
        host, port = self.relay.target
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            family, kind, proto, _, address = infos[0]
            sock = socket.socket(family, kind, proto)
            try:
                sock.setblocking(False)
                self.relay.tune(sock)
                await loop.sock_connect(sock, address)
                await loop.create_connection(lambda: Side(self, "target"), sock=sock)
            except BaseException:
                sock.close()
                raise
        except OSError as exc:
            logger.info("wskit.impair: cannot reach %s:%s (%s); resetting the client", host, port, exc)
            self.close(reset=True)  # what a path to a closed port looks like: the connection is refused

    def lost(self, side: str, exc: Exception | None) -> None:
        """One socket is gone: what it sent still travels; what was going to it is dropped."""
        if self.closed:
            return
        if side == "client":
            self.client = None
            gone, onward = self.down, self.up
        else:
            self.target = None
            gone, onward = self.up, self.down
        onward.src = None
        gone.dead = True
        gone.clear()
        onward.feed_end(EOF if exc is None else RESET)
        self.check_done()

    def check_done(self) -> None:
        """Close when nothing more can travel either way."""
        if (self.up.ended or self.up.dead) and (self.down.ended or self.down.dead):
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
                reset_on_close(transport)
                transport.abort()
            else:
                transport.close()
        self.relay.closed(self)

    def abandon(self) -> None:
        """Forget the sockets of a relay whose loop is gone (they close when collected)."""
        self.closed = True
        for transport in (self.client, self.target):
            if transport is not None:
                with contextlib.suppress(RuntimeError):  # a closed loop refuses the callback
                    transport.abort()


class Relay:
    """What every splice of one link shares: conditions, holds, the limit, counters.

    Args:
        target: ``(host, port)`` to connect each client to.
        up, down: the live conditions of each direction.
        queue_bytes: bytes a pipe holds before it pauses reading its source.
        mss: TCP segment size set on the relay's sockets (``None``: the system's).
        receive_buffer: ``SO_RCVBUF`` of the relay's sockets (``None``: the kernel's autotuning).
        rng: the jitter's random source.
    """

    def __init__(
        self,
        target: tuple[str, int],
        up: Conditions,
        down: Conditions,
        queue_bytes: int,
        mss: int | None,
        rng: random.Random,
        receive_buffer: int | None = RECEIVE_BUFFER,
    ) -> None:
        self.target = target
        self.up = up
        self.down = down
        self.queue_bytes = queue_bytes
        self.mss = mss
        self.receive_buffer = receive_buffer
        self.rng = rng
        self.loop: asyncio.AbstractEventLoop | None = None
        self.splices: set[Splice] = set()
        self.accepted = 0
        self.bytes: dict[str, int] = {"up": 0, "down": 0}
        self.last_delay: dict[str, float] = {"up": 0.0, "down": 0.0}
        self.holds: dict[str, float] = {}  # direction -> until (inf: until released)
        self._hold_timer: asyncio.TimerHandle | None = None
        self.limit: int | None = None
        self.limit_ways: tuple[str, ...] = ()
        self._subscribers: tuple[Callable[[], object], ...] = ()

    def conditions(self, way: OneWay) -> Conditions:
        return self.up if way == "up" else self.down

    # -- time ----------------------------------------------------------------------

    def time(self) -> float:
        loop = self.loop if self.loop is not None else asyncio.get_running_loop()
        return loop.time()

    def call_at(self, when: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        loop = self.loop if self.loop is not None else asyncio.get_running_loop()
        return loop.call_at(when, callback)

    # -- sockets ---------------------------------------------------------------------

    def tune(self, sock: socket.socket) -> None:
        """Set a socket up before it listens or connects (see :class:`~wskit.impair.Link`).

        The segment size, and a fixed receive buffer (:data:`RECEIVE_BUFFER`
        bytes by default): with the kernel's autotuning it grows to megabytes,
        and a sender over a slow link would fill that before the link's own queue.
        """
        if self.receive_buffer is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
        if self.mss is not None and hasattr(socket, "TCP_MAXSEG"):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, self.mss)

    def accept(self) -> Side:
        """The protocol for a socket the listener accepted (``create_server``'s factory)."""
        splice = Splice(self)
        self.splices.add(splice)
        self.accepted += 1
        return Side(splice, "client")

    def closed(self, splice: Splice) -> None:
        self.splices.discard(splice)
        self.notify()

    def close_all(self, reset: bool = False) -> None:
        for splice in list(self.splices):
            splice.close(reset=reset)

    def abandon_all(self) -> None:
        for splice in list(self.splices):
            splice.abandon()
        self.splices.clear()

    # -- holds (stalls, half-open) ----------------------------------------------------------

    def held(self, way: str, now: float) -> bool:
        until = self.holds.get(way)
        return until is not None and now < until

    def hold(self, directions: tuple[OneWay, ...], seconds: float | None) -> None:
        """Hold ``directions`` for ``seconds`` (``None``: until :meth:`release`)."""
        until = math.inf if seconds is None else self.time() + seconds
        for way in directions:
            self.holds[way] = until
        self._arm_hold_timer()
        self.notify()

    def release(self) -> None:
        """End every hold now."""
        self.holds.clear()
        self._arm_hold_timer()
        self.reschedule()

    def hold_left(self, now: float) -> float:
        """Seconds until the last timed hold ends (0 when none)."""
        left = [t - now for t in self.holds.values() if math.isfinite(t) and t > now]
        return max(left) if left else 0.0

    def _arm_hold_timer(self) -> None:
        if self._hold_timer is not None:
            self._hold_timer.cancel()
            self._hold_timer = None
        finite = [t for t in self.holds.values() if math.isfinite(t)]
        if finite:
            self._hold_timer = self.call_at(min(finite), self._hold_over)

    def _hold_over(self) -> None:
        self._hold_timer = None
        now = self.time()
        for way, until in list(self.holds.items()):
            if until <= now:
                del self.holds[way]
        self._arm_hold_timer()
        self.reschedule()

    def cancel_timers(self) -> None:
        if self._hold_timer is not None:
            self._hold_timer.cancel()
            self._hold_timer = None

    # -- the byte limit --------------------------------------------------------------------

    def set_limit(self, nbytes: int | None, directions: tuple[OneWay, ...]) -> None:
        self.limit = nbytes
        self.limit_ways = directions
        for splice in list(self.splices):
            for pipe in (splice.up, splice.down):
                pipe.limit_left = self.limit_for(pipe.way, pipe.forwarded)
            if splice.up.limit_left == 0 or splice.down.limit_left == 0:
                splice.close()
        self.notify()

    def limit_for(self, way: str, forwarded: int = 0) -> int | None:
        """Bytes a pipe that has forwarded ``forwarded`` may still carry (``None``: no limit)."""
        if self.limit is None or way not in self.limit_ways:
            return None
        return max(0, self.limit - forwarded)

    # -- counters and observers ----------------------------------------------------------

    def queued(self, way: OneWay) -> int:
        return sum((s.up if way == "up" else s.down).queued for s in self.splices)

    def forwarded(self, way: str, size: int, delay: float) -> None:
        self.bytes[way] += size
        self.last_delay[way] = delay
        if self._subscribers:
            self.notify()

    def reschedule(self) -> None:
        """Conditions or holds changed: every pipe recomputes its next release."""
        for splice in list(self.splices):
            splice.up.reschedule()
            splice.down.reschedule()
        self.notify()

    def subscribe(self, callback: Callable[[], object]) -> Callable[[], None]:
        self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            self._subscribers = tuple(s for s in self._subscribers if s is not callback)

        return unsubscribe

    def notify(self) -> None:
        for callback in self._subscribers:
            try:
                callback()
            except Exception:
                logger.exception("a Link subscriber failed")
