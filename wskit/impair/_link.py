"""``Link``: a TCP relay on ``127.0.0.1`` that makes the network bad on demand.

A client connects to ``link.url`` instead of the server's URL; the link opens
its own connection to the server and forwards bytes both ways, after
applying what :class:`~wskit.impair.Conditions` say: latency, jitter
without reordering, a bandwidth limit per direction. Faults come on demand:
a stall (a frozen peer: nothing forwarded, sockets kept), a drop (TCP reset
on both sides), a half-open connection (one way held), a byte limit. It
relays bytes and parses nothing, so it works for any protocol on TCP.

It runs on the running asyncio loop like a transport: ``await link.start()``
returns at once, the link is tracked by the runtime and stopped by
:func:`wskit.stop_all`, and a link started again on a fixed port replaces the
one there. Settings and faults are plain method calls, safe from a widget
callback or a cell while traffic flows (call them from the loop's thread).

Loopback hides a slow link behind megabytes of kernel buffers; the link
takes three of them away, as a real path would:

* It advertises Ethernet-sized TCP segments (MSS 1460). With loopback's
  64 KiB segments a sending kernel starts with a 3.9 MB send buffer
  (measured on Linux); with these, 69 KB.
* Its sockets have a fixed receive buffer (16 KiB, ``receive_buffer``),
  which the kernel's autotuning would grow to megabytes.
* It holds at most about ``queue_bytes`` per direction of each connection
  (a router's queue; one more read may come in), then stops reading, so TCP
  flow control pushes back on the sender as a real bottleneck does.

What it cannot change is the sender's own socket: Linux grows a blocked
sender's send buffer by itself (measured: to 950 KB within seconds, 4 MB at
most), so a sender notices a slow link only once that is full. A program
that wants to notice sooner fixes ``SO_SNDBUF`` on its socket, as notebook
11 does.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from .. import runtime
from ._presets import preset as find_preset
from ._relay import RECEIVE_BUFFER, Relay, Way, ways
from ._script import parse as parse_script
from ._script import run as run_script
from ._shaping import MSS, Conditions

__all__ = ["Link", "LinkStats"]

_DEFAULT_PORTS = {"ws": 80, "http": 80, "wss": 443, "https": 443}


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


class Link:
    """A bad network between a client and a server, inside this process.

    Args:
        target: where to forward: a ``ws://`` (or ``wss://``, ``http://``)
            URL, anything with a ``.url`` (a server transport), or a
            ``(host, port)`` pair for any TCP service.
        latency_ms, jitter_ms, bandwidth_kbps: the conditions of both
            directions (see :class:`~wskit.impair.Conditions`): each
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
        receive_buffer: the receive buffer (``SO_RCVBUF``) of the link's
            sockets; ``None`` leaves it to the kernel's autotuning.
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
        receive_buffer: int | None = RECEIVE_BUFFER,
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
        if mss is not None and not 88 <= mss <= 65495:
            raise ValueError("mss must be between 88 and 65495 bytes, or None")
        self.mss = mss
        self.host = host
        self.port = port
        self._relay = Relay(
            self.target_address, self.up, self.down, queue_bytes, mss, random.Random(seed), receive_buffer
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._address: tuple[str, int] | None = None
        self._scripts: set[asyncio.Task[None]] = set()

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

    @property
    def queue_bytes(self) -> int:
        """Bytes the link holds per direction and connection before it stops reading."""
        return self._relay.queue_bytes

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

    async def start(self) -> None:
        """Listen and return; relaying goes on in the background.

        An earlier wskit server or link on the same ``host:port`` is stopped first.

        Raises:
            OSError: the address is taken by something else.
        """
        if self._server is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._relay.loop = self._loop
        await runtime.release_address(self.host, self.port, self)
        infos = await self._loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._relay.tune(sock)
            sock.bind(address)
            sock.setblocking(False)
            self._server = await self._loop.create_server(self._relay.accept, sock=sock)
        except BaseException:
            sock.close()
            raise
        name = sock.getsockname()
        self._address = (name[0], name[1])
        runtime.register(self)
        self._relay.notify()

    async def stop(self, *, timeout: float = 5.0) -> None:
        """Stop listening and close every relayed connection (what is still queued is lost)."""
        server, self._server = self._server, None
        if server is None:
            return
        try:
            server.close()
            for task in list(self._scripts):
                task.cancel()
            self._relay.cancel_timers()
            self._relay.close_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), timeout)
        finally:
            runtime.unregister(self)
            self._relay.notify()

    def abandon(self) -> None:
        """Release the sockets of a link whose loop is gone."""
        server, self._server = self._server, None
        if server is not None:
            with contextlib.suppress(RuntimeError):  # closes the listening socket; the loop may refuse the rest
                server.close()
        self._relay.abandon_all()
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
        chosen = ways(direction)
        for way in chosen:  # validate everything before changing anything
            probe = self.conditions(way).copy()
            if latency_ms is not None:
                probe.latency_ms = latency_ms
            if jitter_ms is not None:
                probe.jitter_ms = jitter_ms
            if bandwidth_kbps != "keep":
                probe.bandwidth_kbps = bandwidth_kbps
        for way in chosen:
            target = self.conditions(way)
            if latency_ms is not None:
                target.latency_ms = latency_ms
            if jitter_ms is not None:
                target.jitter_ms = jitter_ms
            if bandwidth_kbps != "keep":
                target.bandwidth_kbps = bandwidth_kbps
        self._relay.reschedule()

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
        self._relay.reschedule()

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
        self._relay.hold(ways(direction), seconds)

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
        self._relay.release()

    def drop(self) -> None:
        """Reset every relayed connection now (TCP RST both ways): an abrupt loss.

        Both peers see the connection reset; a WebSocket peer reports 1006.
        New connections are relayed as before.
        """
        self._relay.close_all(reset=True)

    def limit(self, nbytes: int | None, direction: Way = "both") -> None:
        """Close each connection once ``nbytes`` have passed one way (``None`` lifts it).

        Counted per connection and direction from the connection's start, as
        Toxiproxy's ``limit_data``: exactly ``nbytes`` are delivered, then both
        sockets are closed (FIN). Connections already past it close now.
        """
        if nbytes is not None and (isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < 0):
            raise ValueError(f"limit takes a number of bytes >= 0 or None, not {nbytes!r}")
        self._relay.set_limit(nbytes, ways(direction))

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
        parsed = parse_script(steps)
        task = runtime.spawn(run_script(self, parsed), name="wskit.impair script")
        self._scripts.add(task)
        task.add_done_callback(self._scripts.discard)
        return task

    # -- what it does --------------------------------------------------------------------

    @property
    def stats(self) -> LinkStats:
        relay = self._relay
        now = relay.time() if self._loop is not None else 0.0
        return LinkStats(
            connections=len(relay.splices),
            accepted=relay.accepted,
            bytes_up=relay.bytes["up"],
            bytes_down=relay.bytes["down"],
            queued_up=relay.queued("up"),
            queued_down=relay.queued("down"),
            delay_up_ms=relay.last_delay["up"] * 1000,
            delay_down_ms=relay.last_delay["down"] * 1000,
            held=tuple(way for way in ("up", "down") if relay.held(way, now)),
            stall_left_s=relay.hold_left(now),
            limit=relay.limit,
        )

    def subscribe(self, callback: Callable[[], object]) -> Callable[[], None]:
        """Call ``callback()`` after anything changes (bytes forwarded, settings, faults).

        Called on the data path: keep it as cheap as a flag (a panel asks for
        a throttled redraw). Returns a function that unsubscribes.
        """
        return self._relay.subscribe(callback)

    def __repr__(self) -> str:
        where = f"{self._address[0]}:{self._address[1]}" if self._server is not None and self._address else "stopped"
        target = f"{self.target_address[0]}:{self.target_address[1]}"
        return f"<Link {where} -> {target}: up {self.up}, down {self.down}, {len(self._relay.splices)} connection(s)>"
