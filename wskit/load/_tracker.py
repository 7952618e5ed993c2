"""One stream's bookkeeping: what it sent, what came back, in which order and how late.

Pure and clock-free (callers pass the times), so ``bench/soak.py``'s asyncio
generator and the Locust users keep the same books. Per echo it works out:

* the round trip: arrival time minus the send time in the stamp;
* RFC 3550's interarrival jitter (§6.4.1, https://www.rfc-editor.org/rfc/rfc3550#section-6.4.1):
  with transit ``R - S`` of each packet, ``D = (R_j - R_i) - (S_j - S_i)``
  between consecutive arrivals ``i`` and ``j``, and the running estimate
  ``J += (|D| - J) / 16``;
* a gap: an arrival interval longer than two frame durations, the definition
  :class:`wskit.audio.Recorder` uses (a player with one frame buffered runs dry);
* duplicated (a sequence number already seen), reordered (lower than the
  highest seen) and, when the stream ends, lost (sent, never echoed).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Arrival", "SequenceTracker"]

_UNSENT, _SENT, _BACK = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Arrival:
    """One echo of a stamped frame, as :meth:`SequenceTracker.arrived` judged it.

    Attributes:
        rtt: round trip in seconds.
        transit_delta: ``|D|`` of RFC 3550 against the previous arrival (0 for the first).
        jitter: the running RFC 3550 estimate ``J`` after this arrival, in seconds.
        reordered: its sequence number is below the highest seen before it.
        gap: the time since the previous arrival exceeded two frame durations.
    """

    rtt: float
    transit_delta: float
    jitter: float
    reordered: bool
    gap: bool


class SequenceTracker:
    """Counts for one stream of sequence-numbered frames.

    Args:
        stream: the stream id its stamps carry; echoes with another id are ``foreign``.
        frame_seconds: the frame duration, for gaps.
    """

    def __init__(self, stream: int, frame_seconds: float = 0.020) -> None:
        self.stream = stream
        self.frame_seconds = frame_seconds
        self._state = bytearray()  # per sequence number: unsent, sent, back
        self.sent = 0
        self.received = 0
        self.duplicated = 0
        self.reordered = 0
        self.foreign = 0  # another stream's id, or a number this stream never sent
        self.gaps = 0
        self.jitter = 0.0
        self._highest = -1
        self._last_transit: float | None = None
        self._last_arrival: float | None = None

    def sending(self, seq: int) -> None:
        """Note that frame ``seq`` went out."""
        state = self._state
        if seq >= len(state):
            state.extend(bytes(seq + 1 - len(state) + 256))  # grow in steps, not per frame
        if state[seq] == _UNSENT:
            state[seq] = _SENT
            self.sent += 1

    def cancel(self, seq: int) -> None:
        """Take back :meth:`sending` for a frame whose send failed (the sender knows it never left)."""
        if seq < len(self._state) and self._state[seq] == _SENT:
            self._state[seq] = _UNSENT
            self.sent -= 1

    @property
    def outstanding(self) -> int:
        """Frames sent and not (yet) echoed."""
        return self.sent - self.received

    def arrived(self, stream: int, seq: int, sent_at: float, now: float) -> Arrival | None:
        """Book one echo received at ``now``; ``None`` when it is a duplicate or foreign."""
        state = self._state
        if stream != self.stream or seq >= len(state) or state[seq] == _UNSENT:
            self.foreign += 1
            return None
        if state[seq] == _BACK:
            self.duplicated += 1
            return None
        state[seq] = _BACK
        self.received += 1
        reordered = seq < self._highest
        if reordered:
            self.reordered += 1
        else:
            self._highest = seq
        transit = now - sent_at
        delta = 0.0 if self._last_transit is None else abs(transit - self._last_transit)
        self._last_transit = transit
        self.jitter += (delta - self.jitter) / 16
        gap = self._last_arrival is not None and now - self._last_arrival > 2 * self.frame_seconds
        if gap:
            self.gaps += 1
        self._last_arrival = now
        return Arrival(transit, delta, self.jitter, reordered, gap)

    def missing(self) -> list[int]:
        """Sequence numbers sent and never echoed (so far)."""
        return [seq for seq, state in enumerate(self._state) if state == _SENT]
