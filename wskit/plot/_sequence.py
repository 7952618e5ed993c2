"""A sequence diagram of a WebSocket session, drawn from wskit's own events.

Two lanes, client and server, and time going down: the opening handshake
(RFC 6455 §4), one arrow per message or control frame, and the close
(§7). It is the picture Wireshark's flow graph gives, from the events a
transport emits — a list of :class:`~wskit.Event` or the event log's export
rows.

How events become arrows (one rule, so nothing is drawn twice):

* **Data messages come from MESSAGE events.** A message recorded by both
  ends (``out`` on the sender, ``in`` on the receiver) is one arrow from the
  sending time to the receiving time; the k-th message sent one way is the
  k-th received that way (TCP keeps order). A message seen by only one end
  is a level arrow at that time. WIRE data frames (TEXT, BINARY, CONT) are
  used instead only for an end that recorded no MESSAGE event at all.
* **Control frames come from WIRE events** (PING, PONG, CLOSE), paired the
  same way per opcode; a CLOSE arrow carries its code and reason.
* **The handshake** is two arrows drawn from CONNECTED events: the client's
  upgrade request, ending when the server accepted, and the server's
  ``101 Switching Protocols``, ending when the client saw it. A REJECTED
  event is an arrow with its HTTP status or close code.
* **DISCONNECTED** events are notes on their lane with the close code, so the
  close shows even without a wire tap.
"""

from __future__ import annotations

import dataclasses
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .._targets import role_of
from ..events import Event, EventKind
from ._draw import displayable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Arrow", "Note", "Timeline", "timeline"]

Lane = Literal["client", "server"]
_DATA_OPCODES = {"TEXT", "BINARY", "CONT"}
_CONTROL_OPCODES = {"PING", "PONG", "CLOSE"}
_COLOURS = {"handshake": "#7f7f7f", "client": "#1f77b4", "server": "#2ca02c", "control": "#ff7f0e", "close": "#d62728"}


@dataclass(frozen=True, slots=True)
class Arrow:
    """One arrow of the diagram.

    Attributes:
        kind: ``"handshake"``, ``"message"``, ``"control"`` or ``"rejected"``.
        sender: the lane it leaves (``"client"`` or ``"server"``).
        start, end: seconds since the first event, when it left and arrived
            (equal when only one end recorded it).
        label: the text drawn on it (opcode, size, close code).
        opcode: ``"TEXT"``, ``"BINARY"``, ``"PING"``, ``"CLOSE"`` …, or ``None`` for the handshake.
        size: payload bytes.
        code: close code or HTTP status, if any.
    """

    kind: str
    sender: Lane
    start: float
    end: float
    label: str
    opcode: str | None = None
    size: int = 0
    code: int | None = None


@dataclass(frozen=True, slots=True)
class Note:
    """A mark on one lane (a disconnection)."""

    lane: Lane
    time: float
    label: str
    kind: str = "disconnected"


@dataclass
class Timeline:
    """What :func:`timeline` drew: the figure and the arrows and notes on it."""

    figure: Figure
    arrows: list[Arrow] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def _repr_png_(self) -> bytes:
        out = io.BytesIO()
        self.figure.savefig(out, format="png")
        return out.getvalue()

    def __repr__(self) -> str:
        return f"<Timeline {len(self.arrows)} arrows, {len(self.notes)} notes>"


@dataclass(frozen=True, slots=True)
class _Row:
    """One event reduced to what the diagram needs."""

    time: float
    kind: str
    role: Lane
    direction: str | None
    opcode: str | None
    size: int
    code: int | None
    reason: str
    peer: Any  # pairs the two ends of one connection when known


def _peer_of(connection: Any, role: Lane) -> Any:
    """The client's (host, port): the remote end on the server, the local end on the client."""
    websocket = getattr(connection, "websocket", None)
    if websocket is None:
        return None
    try:
        address = websocket.remote_address if role == "server" else websocket.local_address
    except Exception:  # a closed socket may not know it any more
        return None
    return tuple(address[:2]) if address else None


def _from_event(event: Event, peers: dict[int, Any]) -> _Row | None:
    role = role_of(event.source)
    if role is None:
        return None
    opcode = None
    if event.kind is EventKind.WIRE:
        opcode = (event.info or {}).get("opcode")
    elif event.kind is EventKind.MESSAGE:
        opcode = "TEXT" if isinstance(event.raw, str) else "BINARY"
    peer = None
    if event.connection is not None:
        key = id(event.connection)
        if key not in peers:
            peers[key] = _peer_of(event.connection, role)
        peer = peers[key]
    direction = event.direction.value if event.direction is not None else None
    return _Row(event.time, event.kind.value, role, direction, opcode, event.size, event.code, event.reason, peer)


def _from_export(row: Mapping[str, Any]) -> _Row | None:
    role = row.get("role")
    if role not in ("client", "server"):
        return None
    when = row.get("monotonic")
    if when is None:
        when = row.get("time", 0.0)
    return _Row(
        float(when),
        str(row.get("kind", "")),
        role,
        row.get("direction"),
        row.get("opcode"),
        int(row.get("size") or 0),
        row.get("code"),
        str(row.get("reason") or ""),
        None,
    )


def _rows(events: Iterable[Event | Mapping[str, Any]]) -> list[_Row]:
    peers: dict[int, Any] = {}
    rows = []
    for item in events:
        row = _from_event(item, peers) if isinstance(item, Event) else _from_export(item)
        if row is not None:
            rows.append(row)
    rows.sort(key=lambda r: r.time)
    return _unify_peers(rows)


def _unify_peers(rows: list[_Row]) -> list[_Row]:
    """Forget the peer keys when no key is seen on both ends.

    Keys pair the two ends of each connection; when they cannot (an end's
    address was unknown), one group is better than two ends never paired.
    """
    server_peers = {r.peer for r in rows if r.role == "server"} - {None}
    client_peers = {r.peer for r in rows if r.role == "client"} - {None}
    if server_peers & client_peers:
        return rows
    return [dataclasses.replace(r, peer=None) if r.peer is not None else r for r in rows]


def _other(lane: Lane) -> Lane:
    return "server" if lane == "client" else "client"


def _label(opcode: str, size: int, code: int | None, reason: str) -> str:
    if opcode == "CLOSE":
        text = f"CLOSE {code}" if code is not None else "CLOSE"
        return f"{text} {reason!r}" if reason else text
    return f"{opcode} {size} B"


def _pair(items: list[_Row], kind: str, t0: float) -> list[Arrow]:
    """One arrow per item that went out, paired with the k-th matching arrival; lone arrivals too."""
    queues: dict[tuple[Any, Lane, str], tuple[list[_Row], list[_Row]]] = defaultdict(lambda: ([], []))
    for row in items:
        sender = row.role if row.direction == "out" else _other(row.role)
        category = row.opcode if kind == "control" else "data"
        outs, ins = queues[(row.peer, sender, category or "")]
        (outs if row.direction == "out" else ins).append(row)
    arrows = []
    for (_, sender, _), (outs, ins) in queues.items():
        for i in range(max(len(outs), len(ins))):
            sent = outs[i] if i < len(outs) else None
            got = ins[i] if i < len(ins) else None
            base = sent or got
            assert base is not None
            start = (sent or base).time - t0
            end = (got or base).time - t0
            opcode = base.opcode or "?"
            arrows.append(
                Arrow(
                    kind,
                    sender,
                    start,
                    end,
                    _label(opcode, base.size, base.code, base.reason),
                    opcode,
                    base.size,
                    base.code,
                )
            )
    return arrows


def _build(rows: list[_Row]) -> tuple[list[Arrow], list[Note]]:
    if not rows:
        return [], []
    drawn = {EventKind.CONNECTED, EventKind.MESSAGE, EventKind.WIRE, EventKind.REJECTED, EventKind.DISCONNECTED}
    t0 = min((r.time for r in rows if r.kind in drawn), default=rows[0].time)
    with_messages = {r.role for r in rows if r.kind == EventKind.MESSAGE.value}
    data = [
        r
        for r in rows
        if (r.kind == EventKind.MESSAGE.value and r.direction in ("in", "out"))
        or (
            r.kind == EventKind.WIRE.value
            and r.opcode in _DATA_OPCODES
            and r.role not in with_messages
            and r.direction in ("in", "out")
        )
    ]
    controls = [
        r
        for r in rows
        if r.kind == EventKind.WIRE.value and r.opcode in _CONTROL_OPCODES and r.direction in ("in", "out")
    ]
    arrows: list[Arrow] = []
    # the opening handshake, per connection
    connected: dict[Any, dict[Lane, float]] = defaultdict(dict)
    for r in rows:
        if r.kind == EventKind.CONNECTED.value:
            connected[r.peer].setdefault(r.role, r.time - t0)
    for times in connected.values():
        accepted = times.get("server", times.get("client", 0.0))
        seen = times.get("client", accepted)
        arrows.append(Arrow("handshake", "client", accepted, accepted, "GET Upgrade: websocket"))
        arrows.append(Arrow("handshake", "server", accepted, seen, "101 Switching Protocols", code=101))
    for r in rows:
        if r.kind == EventKind.REJECTED.value and r.role == "server":
            arrows.append(
                Arrow(
                    "rejected", "server", r.time - t0, r.time - t0, f"rejected {r.code} {r.reason}".strip(), code=r.code
                )
            )
    arrows += _pair(data, "message", t0)
    arrows += _pair(controls, "control", t0)
    arrows.sort(key=lambda a: (a.start, a.end))
    notes = [
        Note(r.role, r.time - t0, f"closed {r.code}" + (f" {r.reason!r}" if r.reason else ""))
        for r in rows
        if r.kind == EventKind.DISCONNECTED.value
    ]
    return arrows, notes


def timeline(
    events: Iterable[Event | Mapping[str, Any]],
    *,
    scale: Literal["sequence", "time"] = "sequence",
    title: str | None = None,
    max_labels: int = 40,
    width: float = 7.0,
) -> Timeline:
    """Draw a sequence diagram of a session from its events.

    Args:
        events: :class:`~wskit.Event` objects (from the server's and/or the
            client's bus) or the event log's export rows (dicts with
            ``monotonic``, ``kind``, ``direction``, ``role``, ``opcode``,
            ``size``, ``code``, ``reason``). Events of other kinds are ignored.
        scale: ``"sequence"`` gives each arrow its own row, in time order,
            with its time (ms since the first event) on the left, as
            Wireshark's flow graph does; ``"time"`` puts everything at its
            real time (a message in flight slants; bursts crowd together).
        title: figure title.
        max_labels: label every message up to this many; above it only the
            first and the last (control frames are always labelled).
        width: figure width in inches.

    Returns:
        A :class:`Timeline` (shows as its figure in a notebook) whose
        ``arrows`` and ``notes`` list what was drawn, in time order.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if scale not in ("sequence", "time"):
        raise ValueError(f"scale must be 'sequence' or 'time', not {scale!r}")
    arrows, notes = _build(_rows(events))
    items: list[Arrow | Note] = sorted([*arrows, *notes], key=lambda i: i.start if isinstance(i, Arrow) else i.time)
    rows = len(items)
    height = min(20.0, max(3.0, 1.2 + 0.28 * rows)) if scale == "sequence" else 6.0
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    x = {"client": 0.0, "server": 1.0}

    def place(item: Arrow | Note, row: int) -> tuple[float, float]:
        """Vertical position of an item's start and end."""
        if isinstance(item, Note):
            return (row, row) if scale == "sequence" else (item.time, item.time)
        if scale == "time":
            return item.start, item.end
        return row, row + (0.4 if item.end > item.start else 0.0)  # in flight: a slight slant

    spots = [place(item, row) for row, item in enumerate(items)]
    if scale == "sequence":
        ax.set_ylim(rows - 0.3, -0.8)
        step = max(1, rows // 40)
        ticks = list(range(0, rows, step))
        times = [items[i].start if isinstance(items[i], Arrow) else items[i].time for i in ticks]  # type: ignore[union-attr]
        ax.set_yticks(ticks, [f"{t * 1000:.2f}" for t in times], fontsize=7)
        ax.set_ylabel("ms since the first event")
    else:
        end = max([b for _, b in spots] + [0.001])
        ax.set_ylim(end * 1.05, -end * 0.05)  # time goes down
        ax.set_ylabel("seconds since the first event")
    ax.set_xlim(-0.6, 1.6)
    ax.set_xticks([0, 1], ["client", "server"], fontsize=10, fontweight="bold")
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", length=0)
    for lane in (0.0, 1.0):
        ax.axvline(lane, color="#444", lw=1)
    for spine in ("right", "bottom", "top"):
        ax.spines[spine].set_visible(False)

    messages = sum(1 for a in arrows if a.kind == "message")
    index = 0
    for item, (y0, y1) in zip(items, spots, strict=True):
        if isinstance(item, Note):
            side = -1 if item.lane == "client" else 1
            ax.plot([x[item.lane]], [y0], marker="X", color=_COLOURS["close"], ms=7)
            ax.text(
                x[item.lane] + 0.04 * side,
                y0,
                item.label,
                ha="right" if side < 0 else "left",
                va="center",
                fontsize=7,
                color=_COLOURS["close"],
            )
            continue
        if item.kind == "message":
            colour, style = _COLOURS[item.sender], "-"
            show = messages <= max_labels or index in (0, messages - 1)
            index += 1
        elif item.opcode == "CLOSE" or item.kind == "rejected":
            colour, style, show = _COLOURS["close"], "-", True
        elif item.kind == "handshake":
            colour, style, show = _COLOURS["handshake"], "--", True
        else:
            colour, style, show = _COLOURS["control"], "-", True
        ax.annotate(
            "",
            xy=(x[_other(item.sender)], y1),
            xytext=(x[item.sender], y0),
            arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.0, "ls": style, "shrinkA": 0, "shrinkB": 0},
        )
        if show:
            # above arrows going right, below arrows going left: two arrows at one time stay readable
            above = item.sender == "client"
            ax.text(
                0.5, (y0 + y1) / 2, item.label, ha="center", va="bottom" if above else "top", fontsize=7, color=colour
            )
    others = len(arrows) - messages
    default = f"{messages} message{'s' * (messages != 1)}, {others} other arrow{'s' * (others != 1)}"
    if messages > max_labels:  # one title, two lines: a separate caption would sit on top of it
        default += " (first and last messages labelled)"
    ax.set_title(title or default, fontsize=10, pad=18)
    return Timeline(displayable(figure), arrows, notes)
