"""Locust user classes: a WebSocket user, and a user streaming real-time audio.

Importing this module imports Locust, which monkeypatches the standard
library for gevent at once: import it in a locustfile, never in a process
that also runs asyncio code (``import wskit`` and ``wskit.load``'s other
names do not import it).

Each exchange is reported to Locust's ``request`` event, so it shows in
Locust's statistics, charts, CSV and HTML reports: ``connect`` (the opening
handshake), ``send``, ``recv``, ``expect`` (a request and its reply: the
round trip), and for audio streams ``echo`` (one frame's round trip) and
``stream`` (a stream the peer ended: its close code as the failure).
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from typing import Any, ClassVar

import gevent  # type: ignore[import-untyped]
from gevent.event import Event as GeventEvent  # type: ignore[import-untyped]
from locust import User, constant, events, task
from locust.exception import RescheduleTask, StopUser
from locust.runners import MasterRunner

from .. import audio as _audio  # noqa: F401 - numpy and the sources, imported before Locust forks its workers
from ..frames import AudioFrame, Frame
from ..serializers import FrameSerializer, SerializerError
from . import _aggregate as aggregate
from ._client import Closed, ConnectFailed, SyncConnection, resolve_serializer
from ._plan import StreamPlan, plan_stream
from ._stamp import Stamp, read_stamp, write_stamp
from ._tracker import SequenceTracker

__all__ = ["AudioStreamUser", "WebSocketUser"]

Reply = Frame | str | bytes | Callable[[Frame], bool] | None


def _name(message: Frame | str | bytes) -> str:
    if isinstance(message, str):
        return "text"
    if isinstance(message, bytes):
        return "binary"
    return type(message).__name__


def _matches(frame: Frame | None, reply: Reply) -> bool:
    if reply is None:
        return frame is not None
    if callable(reply) and not isinstance(reply, Frame):
        return frame is not None and bool(reply(frame))
    if isinstance(reply, str):
        return getattr(frame, "text", None) == reply
    if isinstance(reply, bytes):
        return getattr(frame, "data", None) == reply or getattr(frame, "audio", None) == reply
    return frame == reply


class WebSocketUser(User):
    """A Locust user with one WebSocket connection, framed by a wskit serializer.

    Class attributes (set them in a subclass):
        path: appended to Locust's ``--host`` (``ws://host:port``); or
        url: the whole URL instead.
        headers, subprotocols: for the opening handshake.
        token: sent as ``Authorization: Bearer``, or as ``?<token_param>=`` when set.
        serializer: a registry name or a synchronous serializer object;
            ``None`` takes ``--serializer`` (default ``raw``).
        timeout: seconds for the handshake and for ``receive``/``expect``.
        connect_on_start: connect in ``on_start`` (a failed connect is
            reported; the next ``send`` tries again).

    ``send``, ``receive`` and ``expect`` connect first when needed. When the
    connection fails or the peer closes, the failure is reported (with its
    HTTP status or close code) and Locust's ``RescheduleTask`` ends the task,
    so the user tries again after its ``wait_time``.
    """

    abstract = True
    path: ClassVar[str] = ""
    url: ClassVar[str | None] = None
    headers: ClassVar[dict[str, str]] = {}
    subprotocols: ClassVar[list[str]] = []
    token: ClassVar[str | None] = None
    token_param: ClassVar[str | None] = None
    serializer: ClassVar[str | FrameSerializer | None] = None
    timeout: ClassVar[float] = 10.0
    connect_on_start: ClassVar[bool] = True

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.connection: SyncConnection | None = None

    # -- where and how ----------------------------------------------------------

    def target_url(self) -> str:
        """``url``, or Locust's host followed by ``path``."""
        if self.url:
            return self.url
        host = self.host or self.environment.host or ""
        if not host:
            raise ValueError("no URL: set --host (or the user's url or host)")
        if not self.path:
            return host
        return host.rstrip("/") + "/" + self.path.lstrip("/")

    def serializer_spec(self) -> str | FrameSerializer:
        """The class's serializer, else ``--serializer``, else ``"raw"``."""
        if self.serializer is not None:
            return self.serializer
        return getattr(self.environment.parsed_options, "serializer", None) or "raw"

    def _fire(self, kind: str, name: str, began: float, size: int = 0, exception: Exception | None = None) -> None:
        self.environment.events.request.fire(
            request_type=kind,
            name=name,
            response_time=(time.perf_counter() - began) * 1000,
            response_length=size,
            exception=exception,
            context=self.context(),
        )

    # -- the connection -----------------------------------------------------------

    def on_start(self) -> None:
        if self.connect_on_start:
            with contextlib.suppress(RescheduleTask):
                self.connect()

    def on_stop(self) -> None:
        self.close()

    def make_connection(self, sample_rate: int = 16_000, channels: int = 1) -> SyncConnection:
        return SyncConnection(
            self.target_url(),
            serializer=self.serializer_spec(),
            headers=self.headers,
            subprotocols=self.subprotocols,
            token=self.token,
            token_param=self.token_param,
            timeout=self.timeout,
            sample_rate=sample_rate,
            channels=channels,
        )

    def connect(self, connection: SyncConnection | None = None) -> SyncConnection:
        """Open the connection, reported as ``connect`` with the handshake time.

        Raises:
            RescheduleTask: it failed (reported with its cause, such as ``HTTP 403``).
        """
        self.close()
        conn = connection or self.make_connection()
        name = self.path or "/"
        began = time.perf_counter()
        try:
            conn.connect()
        except ConnectFailed as exc:
            self._fire("connect", name, began, exception=exc)
            self.connect_failed(exc)
            raise RescheduleTask() from exc
        self._fire("connect", name, began)
        self.connection = conn
        return conn

    def connect_failed(self, error: ConnectFailed) -> None:
        """Called after a failed connect has been reported; a hook for subclasses."""

    def _open(self) -> SyncConnection:
        return self.connection if self.connection is not None else self.connect()

    def _closed(self, exc: Closed, kind: str, name: str, began: float) -> RescheduleTask:
        self._fire(kind, name, began, exception=exc)
        self.connection = None
        return RescheduleTask()

    def close(self, code: int = 1000) -> None:
        """Close the connection, if open (the closing handshake, bounded)."""
        conn, self.connection = self.connection, None
        if conn is not None:
            conn.close(code)

    # -- messages -------------------------------------------------------------------

    def send(self, message: Frame | str | bytes, name: str | None = None) -> int:
        """Send a frame (through the serializer) or a raw ``str``/``bytes`` message; reported as ``send``."""
        conn = self._open()
        label = name or _name(message)
        began = time.perf_counter()
        try:
            size = conn.send(message)
        except Closed as exc:
            raise self._closed(exc, "send", label, began) from exc
        self._fire("send", label, began, size)
        return size

    def receive(self, timeout: float | None = None, name: str = "message") -> Frame | None:
        """The next frame (``None`` when the serializer skipped it); reported as ``recv`` with the wait."""
        conn = self._open()
        began = time.perf_counter()
        try:
            frame, size = conn.recv(self.timeout if timeout is None else timeout)
        except Closed as exc:
            raise self._closed(exc, "recv", name, began) from exc
        except TimeoutError as exc:
            self._fire("recv", name, began, exception=exc)
            raise RescheduleTask() from exc
        self._fire("recv", name, began, size)
        return frame

    def expect(
        self,
        message: Frame | str | bytes,
        reply: Reply = None,
        *,
        timeout: float | None = None,
        name: str | None = None,
    ) -> Frame:
        """Send ``message`` and wait for a matching reply; the round trip is one ``expect`` request.

        Args:
            reply: what counts as the answer: ``None`` (any frame), a frame to
                equal, a ``str`` (a text frame's text), ``bytes`` (binary or
                audio data), or a predicate on the frame. Frames that do not
                match are skipped.
            timeout: seconds to wait for it (the user's ``timeout`` by default).
        """
        conn = self._open()
        label = name or _name(message)
        limit = self.timeout if timeout is None else timeout
        began = time.perf_counter()
        try:
            size = conn.send(message)
            deadline = time.monotonic() + limit
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching reply within {limit} s")
                frame, _ = conn.recv(left)
                if _matches(frame, reply):
                    assert frame is not None
                    break
        except Closed as exc:
            raise self._closed(exc, "expect", label, began) from exc
        except TimeoutError as exc:
            self._fire("expect", label, began, exception=exc)
            raise RescheduleTask() from exc
        self._fire("expect", label, began, size)
        return frame


def _new_stream_id() -> int:
    """32 random bits from the OS: worker processes forked from one master share any seeded state."""
    return secrets.randbits(32)


class _Stream:
    """One connection's audio stream: the sender's schedule, the reader greenlet, the books."""

    def __init__(self, user: AudioStreamUser, conn: SyncConnection, plan: StreamPlan) -> None:
        self.user = user
        self.conn = conn
        self.plan = plan
        self.id = _new_stream_id()
        self.tracker = SequenceTracker(self.id, plan.frame_seconds)
        self.done = GeventEvent()
        self.ended = GeventEvent()  # the peer closed, or the connection dropped
        self.all_back = GeventEvent()
        self.closing = False
        self.draining = False
        self.reader = gevent.spawn(self._read)

    def run(self) -> None:
        """Send frames on absolute deadlines until the test stops, the peer closes, or Locust kills the user."""
        plan, tracker, metrics = self.plan, self.tracker, aggregate.METRICS
        frames, count, codec = plan.frames, len(plan.frames), plan.codec
        step = plan.frame_seconds
        start = time.monotonic()
        seq = 0
        while not aggregate.STOPPING.is_set() and not self.ended.is_set():
            deadline = start + seq * step
            delay = deadline - time.monotonic()
            if delay > 0:
                gevent.sleep(delay)
                if aggregate.STOPPING.is_set() or self.ended.is_set():
                    break
            now = time.monotonic()
            pcm = write_stamp(frames[seq % count], Stamp(self.id, seq, now), codec)
            tracker.sending(seq)
            try:
                self.conn.send(AudioFrame(pcm, plan.sample_rate, plan.channels))
            except Closed as exc:
                tracker.cancel(seq)
                self._peer_closed(exc)
                break
            late = max(0.0, now - deadline)
            metrics.sent += 1
            metrics.lateness.add(late)
            second = metrics.second(time.time())
            second.sent += 1
            second.lateness.add(late)
            second.streams.add(self.id)
            seq += 1

    def _read(self) -> None:
        plan, tracker, metrics = self.plan, self.tracker, aggregate.METRICS
        size, codec = plan.frame_bytes, plan.codec
        buffer = bytearray()
        report = self.user.report_echoes
        fire = self.user.environment.events.request.fire
        while True:
            try:
                frame, _ = self.conn.recv()
            except Closed as exc:
                self._peer_closed(exc)
                return
            except Exception as exc:  # a message the serializer cannot decode: count it, keep reading
                why = exc.__cause__ if isinstance(exc, SerializerError) and exc.__cause__ is not None else exc
                metrics.failed(f"decode {type(why).__name__}")
                continue
            if not isinstance(frame, AudioFrame):
                continue  # a telephony mark, a text reply ...: not part of the audio stream
            now = time.monotonic()
            buffer += frame.audio  # servers may re-chunk audio (Pipecat sends 40 ms pieces): cut it again
            while len(buffer) >= size:
                chunk = bytes(buffer[:size])
                del buffer[:size]
                stamp = read_stamp(chunk, codec)
                arrival = tracker.arrived(*stamp, now) if stamp is not None else None
                if stamp is None:
                    tracker.foreign += 1
                if arrival is None:
                    continue
                metrics.received += 1
                metrics.rtt.add(arrival.rtt)
                metrics.jitter.add(arrival.jitter)
                second = metrics.second(time.time())
                second.received += 1
                second.rtt.add(arrival.rtt)
                second.jitter.add(arrival.jitter)
                if report:
                    fire(
                        request_type="echo",
                        name=plan.name,
                        response_time=arrival.rtt * 1000,
                        response_length=size,
                        exception=None,
                        context={},
                    )
                if self.draining and not tracker.outstanding:
                    self.all_back.set()

    def _peer_closed(self, exc: Closed) -> None:
        if self.closing or self.ended.is_set():
            return
        self.ended.set()
        aggregate.METRICS.failed(exc.cause)
        began = time.perf_counter()
        self.user.environment.events.request.fire(
            request_type="stream",
            name=self.plan.name,
            response_time=(time.perf_counter() - began) * 1000,
            response_length=0,
            exception=exc,
            context={},
        )

    def finish(self) -> None:
        """Wait (bounded) for the echoes still in flight, close, and count what never came back."""
        tracker, metrics = self.tracker, aggregate.METRICS
        try:
            if not self.ended.is_set() and tracker.outstanding:
                self.draining = True
                if tracker.outstanding:
                    self.all_back.wait(self.user.drain_seconds())
            self.closing = True
            self.conn.close()
            self.reader.join(1.0)
            self.reader.kill(block=False)
        finally:
            metrics.finished += 1
            metrics.lost += len(tracker.missing())
            metrics.duplicated += tracker.duplicated
            metrics.reordered += tracker.reordered
            metrics.foreign += tracker.foreign
            metrics.gaps += tracker.gaps
            self.done.set()


class AudioStreamUser(WebSocketUser):
    """Streams a wskit audio source in real time and measures what comes back.

    Each user opens one connection and sends sequence-stamped frames
    (:func:`~wskit.load.write_stamp`) of ``frame_ms`` on absolute deadlines, looping
    over the source, through the serializer (raw PCM, Pipecat protobuf,
    telephony μ-law …), until the test stops. A reader greenlet receives the
    echoes, cuts the audio back into frames (so a server that re-chunks is
    fine) and books round trip, RFC 3550 jitter, gaps, lost, duplicated and
    reordered frames into this process's :class:`~wskit.load.VoiceMetrics`,
    which reach the master with Locust's worker reports.

    Class attributes, besides :class:`WebSocketUser`'s:
        source: a name (``chirp``, ``sine``, ``noise``, ``silence``), a WAV
            path or an :class:`~wskit.audio.AudioSource`; ``None`` takes ``--source``.
        frame_ms: frame duration; ``None`` takes ``--frame-ms`` (20).
        source_seconds: length of a named source (the stream loops over it).
        report_echoes: also report each echo to Locust as an ``echo`` request
            (its round trip), so Locust's charts show it; costs a few µs a frame.

    When the peer closes mid-stream the close code is reported as a failure
    and the user reconnects after ``wait_time`` (1 s).
    """

    abstract = True
    source: ClassVar[Any] = None
    frame_ms: ClassVar[float | None] = None
    source_seconds: ClassVar[float] = 2.0
    report_echoes: ClassVar[bool] = True
    connect_on_start = False
    wait_time = constant(1)

    _plans: ClassVar[dict[tuple[Any, ...], StreamPlan]] = {}

    def drain_seconds(self) -> float:
        return float(getattr(self.environment.parsed_options, "drain_seconds", None) or 1.0)

    def plan(self) -> StreamPlan:
        """The frames to send (see :meth:`plan_for`)."""
        return self.plan_for(self.environment)

    @classmethod
    def plan_for(cls, environment: Any) -> StreamPlan:
        """The frames this class sends, cut once per process for each source, serializer kind and frame length.

        Cutting them takes a few hundred ms the first time (numpy, the
        signal, resampling for telephony): it happens when the test starts,
        before any user streams (a listener on ``test_start``), since in a
        gevent process it would stall every stream already running.
        """
        options = environment.parsed_options
        source = cls.source if cls.source is not None else getattr(options, "source", None) or "chirp"
        frame_ms = cls.frame_ms or getattr(options, "frame_ms", None) or 20.0
        spec = cls.serializer if cls.serializer is not None else getattr(options, "serializer", None) or "raw"
        serializer = resolve_serializer(spec)
        key = (id(source) if not isinstance(source, str) else source, type(serializer), frame_ms, cls.source_seconds)
        plan = cls._plans.get(key)
        if plan is None:
            plan = cls._plans[key] = plan_stream(source, serializer, frame_ms, cls.source_seconds)
        return plan

    def connect_failed(self, error: ConnectFailed) -> None:
        aggregate.METRICS.failed(error.cause)

    @task
    def stream(self) -> None:
        """One stream: connect, send until the test stops or the peer closes, drain, count."""
        if aggregate.STOPPING.is_set():
            raise StopUser()
        plan = self.plan()
        conn = self.connect(self.make_connection(plan.sample_rate, plan.channels))
        aggregate.METRICS.connects += 1
        aggregate.METRICS.streams += 1
        stream = _Stream(self, conn, plan)
        aggregate.active_streams.add(stream)
        try:
            stream.run()
        finally:
            try:
                stream.finish()
            finally:
                aggregate.active_streams.discard(stream)
                self.connection = None
        if aggregate.STOPPING.is_set():
            raise StopUser()


def _plan_before_streaming(environment: Any, **_kw: Any) -> None:
    """Cut every stream class's frames when the test starts, not while other streams run."""
    if isinstance(environment.runner, MasterRunner):
        return  # the master runs no users
    for user_class in environment.user_classes:
        if issubclass(user_class, AudioStreamUser):
            user_class.plan_for(environment)


_events: Any = events
_events.test_start.add_listener(_plan_before_streaming)
