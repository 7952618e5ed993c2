"""Session timelines from recorded events, and static audio plots."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Annotation

import wskit
from wskit import Event, EventKind
from wskit.events import Direction
from wskit.plot import plot_audio, timeline
from wskit.plot._static import as_samples

RATE = 16_000


async def echo_session(messages: int) -> list[Event]:
    """A server echoing ``messages`` texts to one client; both buses recorded."""
    server = wskit.WebsocketServerTransport(port=0)

    @server.event_handler("on_frame")
    async def echo(transport: Any, conn: Any, frame: Any) -> None:
        await conn.send(frame)

    log: list[Event] = []
    server.events.subscribe(log.append)
    await server.start()
    client = wskit.WebsocketClientTransport(server.url)
    client.events.subscribe(log.append)
    replies = client.frames()
    await client.start()
    for i in range(messages):
        await client.send_text(f"message {i}")
        await replies.get(timeout=2)
    await client.stop()
    for _ in range(100):
        if sum(e.kind is EventKind.DISCONNECTED for e in log) == 2:
            break
        await asyncio.sleep(0.01)
    await server.stop()
    return log


def export_row(seq: int, event: Event) -> dict[str, Any]:
    """An event as the event log exports it (the schema timeline accepts)."""
    role = "server" if isinstance(event.source, wskit.WebsocketServerTransport) else "client"
    opcode = (event.info or {}).get("opcode")
    if event.kind is EventKind.MESSAGE:
        opcode = "TEXT" if isinstance(event.raw, str) else "BINARY"
    return {
        "seq": seq,
        "time": event.wall_time,
        "monotonic": event.time,
        "kind": event.kind.value,
        "direction": event.direction.value if event.direction else None,
        "role": role,
        "connection": getattr(event.connection, "id", None),
        "opcode": opcode,
        "size": event.size,
        "code": event.code,
        "reason": event.reason,
        "summary": str(event),
        "payload": event.raw if isinstance(event.raw, str) else None,
        "payload_encoding": "text" if isinstance(event.raw, str) else None,
        "truncated": False,
    }


def arrows_drawn(figure: Figure) -> int:
    return sum(isinstance(t, Annotation) for ax in figure.axes for t in ax.texts)


async def test_echo_session_draws_one_arrow_per_message() -> None:
    log = await echo_session(3)
    result = timeline(log)
    kinds = [a.kind for a in result.arrows]
    assert kinds.count("handshake") == 2
    assert kinds.count("message") == 6  # 3 out and 3 back: each seen by both ends, drawn once
    assert len(result.arrows) == 8 == arrows_drawn(result.figure)
    senders = [a.sender for a in result.arrows if a.kind == "message"]
    assert senders == ["client", "server"] * 3
    assert all(a.end >= a.start and a.label == "TEXT 9 B" for a in result.arrows if a.kind == "message")
    assert [(n.lane, n.label) for n in sorted(result.notes, key=lambda n: n.lane)] == [
        ("client", "closed 1000 'client stopping'"),
        ("server", "closed 1000 'client stopping'"),
    ]
    assert result._repr_png_().startswith(b"\x89PNG")
    assert timeline(log, scale="time").arrows == result.arrows


async def test_export_rows_draw_the_same_diagram() -> None:
    log = await echo_session(2)
    rows = [export_row(i, e) for i, e in enumerate(log)]
    from_rows = timeline(rows)
    from_events = timeline(log)
    assert [(a.kind, a.sender, a.label) for a in from_rows.arrows] == [
        (a.kind, a.sender, a.label) for a in from_events.arrows
    ]
    assert len(from_rows.notes) == 2


async def test_one_side_recorded_gives_level_arrows() -> None:
    log = await echo_session(2)
    server_only = [e for e in log if isinstance(e.source, wskit.WebsocketServerTransport)]
    result = timeline(server_only)
    messages = [a for a in result.arrows if a.kind == "message"]
    assert len(messages) == 4
    assert all(a.start == a.end for a in messages)
    assert len(result.notes) == 1


async def test_ends_without_a_common_address_still_pair() -> None:
    import dataclasses

    from wskit.plot import _sequence as sequence

    rows = sequence._rows(await echo_session(1))
    assert {r.peer for r in rows if r.role == "server"} & {r.peer for r in rows if r.role == "client"}
    # the server's end lost its address: still one arrow per message, not one per end
    broken = [dataclasses.replace(r, peer=None) if r.role == "server" else r for r in rows]
    arrows, _ = sequence._build(sequence._unify_peers(broken))
    assert [a.start < a.end for a in arrows if a.kind == "message"] == [True, True]


def wire(source: Any, direction: str, opcode: str, size: int, at: float, code: int | None = None) -> Event:
    return Event(
        EventKind.WIRE,
        source,
        None,
        Direction(direction),
        b"",
        size,
        code=code,
        info={"opcode": opcode, "fin": True, "rsv1": False, "length": size},
        time=at,
    )


def test_wire_control_frames_are_drawn_and_data_frames_not_twice() -> None:
    server = wskit.WebsocketServerTransport(port=0)
    client = wskit.WebsocketClientTransport("ws://127.0.0.1:1/")
    events = [
        Event(EventKind.CONNECTED, server, time=1.0),
        Event(EventKind.CONNECTED, client, time=1.001),
        Event(EventKind.MESSAGE, client, None, Direction.OUT, "hi", 2, time=1.01),
        wire(client, "out", "TEXT", 2, 1.01),
        wire(server, "in", "TEXT", 2, 1.011),
        Event(EventKind.MESSAGE, server, None, Direction.IN, "hi", 2, time=1.011),
        wire(server, "out", "PING", 4, 1.02),
        wire(client, "in", "PING", 4, 1.021),
        wire(client, "out", "PONG", 4, 1.022),
        wire(server, "in", "PONG", 4, 1.023),
        wire(client, "out", "CLOSE", 2, 1.03, code=1000),
        wire(server, "in", "CLOSE", 2, 1.031, code=1000),
        wire(server, "out", "CLOSE", 2, 1.032, code=1000),
        wire(client, "in", "CLOSE", 2, 1.033, code=1000),
        Event(EventKind.DISCONNECTED, server, code=1000, time=1.04),
        Event(EventKind.ERROR, "runtime", time=1.05),  # not on a lane: ignored
    ]
    result = timeline(events)
    labels = [(a.kind, a.sender, a.label) for a in result.arrows]
    assert labels == [
        ("handshake", "client", "GET Upgrade: websocket"),
        ("handshake", "server", "101 Switching Protocols"),
        ("message", "client", "TEXT 2 B"),
        ("control", "server", "PING 4 B"),
        ("control", "client", "PONG 4 B"),
        ("control", "client", "CLOSE 1000"),
        ("control", "server", "CLOSE 1000"),
    ]
    assert arrows_drawn(result.figure) == 7
    # without MESSAGE events the wire's data frames are the messages
    only_wire = [e for e in events if e.kind is not EventKind.MESSAGE]
    assert [a.label for a in timeline(only_wire).arrows if a.kind == "message"] == ["TEXT 2 B"]


def test_rejections_and_empty_input() -> None:
    server = wskit.WebsocketServerTransport(port=0)
    result = timeline([Event(EventKind.REJECTED, server, code=401, reason="no token", time=2.0)])
    assert [(a.kind, a.label, a.code) for a in result.arrows] == [("rejected", "rejected 401 no token", 401)]
    assert timeline([]).arrows == []
    with pytest.raises(ValueError, match="scale"):
        timeline([], scale="log")  # type: ignore[arg-type]


def test_many_messages_label_only_the_ends() -> None:
    server = wskit.WebsocketServerTransport(port=0)
    events = [Event(EventKind.MESSAGE, server, None, Direction.IN, b"x" * 640, 640, time=i * 0.02) for i in range(100)]
    result = timeline(events, max_labels=10)
    assert len(result.arrows) == 100
    labels = [t.get_text() for t in result.figure.axes[0].texts if not isinstance(t, Annotation)]
    assert labels.count("BINARY 640 B") == 2


class TestPlotAudio:
    def tone(self, seconds: float = 1.0) -> np.ndarray:
        t = np.arange(int(RATE * seconds)) / RATE
        return (16384 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)

    def test_array_frames_and_recorder_give_the_same_samples(self) -> None:
        tone = self.tone()
        frames = [wskit.AudioFrame.from_samples(tone[i : i + 320], RATE) for i in range(0, len(tone), 320)]

        class Recorder:
            sample_rate = RATE

            def to_numpy(self) -> np.ndarray:
                return tone[:, None]

        for source in (tone, frames, Recorder(), frames[0]):
            samples, rate = as_samples(source, RATE if source is tone else None)
            assert rate == RATE and samples.shape[1] == 1
        assert as_samples(frames)[0].shape == (RATE, 1)

    def test_draws_waveform_and_spectrogram(self) -> None:
        figure = plot_audio(self.tone(), RATE)
        assert isinstance(figure, Figure)
        assert len(figure.axes) == 3  # waveform, spectrogram, colour bar
        assert "-6.0 dBFS" in figure.get_suptitle()
        stereo = np.stack([self.tone(0.5), np.zeros(RATE // 2, dtype=np.int16)], axis=1)
        assert len(plot_audio(stereo, RATE).axes[0].collections) == 2  # one trace per channel
        plot_audio(self.tone(0.01), RATE)  # shorter than one FFT: waveform only

    def test_bad_input(self) -> None:
        with pytest.raises(ValueError, match="sample_rate"):
            plot_audio(self.tone())
        with pytest.raises(ValueError, match="differ"):
            as_samples(
                [
                    wskit.AudioFrame.from_samples(self.tone(0.01), RATE),
                    wskit.AudioFrame.from_samples(self.tone(0.01), 8000),
                ]
            )
        with pytest.raises(TypeError):
            plot_audio("not audio", RATE)
        with pytest.raises(ValueError):
            plot_audio([], RATE)


def test_importing_the_package_does_not_draw() -> None:
    import subprocess
    import sys

    code = "import sys, wskit.plot; print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
