"""``LinkPanel``: the knobs of a :class:`~wskit.impair.Link`, and what it is doing.

Sliders for latency, jitter and bandwidth (both directions, or one), buttons
for a stall, resume and a drop, and the link's live counters: bytes each
way, bytes queued inside the link, and how long the last chunk spent in it.
Moving a slider changes the link at once, while traffic flows. The panel
only calls the link's public methods and redraws from its change
notifications, throttled, so the relay never waits for drawing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import ipywidgets as widgets  # type: ignore[import-untyped]  # no type information

from ..impair import Conditions, Link
from . import _style as st
from ._refresh import Refresher

__all__ = ["LinkPanel"]

_UNLIMITED = "unlimited"


class LinkPanel(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Steer and watch one :class:`~wskit.impair.Link`.

    Args:
        link: the link (started or not).
        hz: the most redraws of the counters per second.

    Controls: ``direction`` (which way the sliders act: ``both``, ``up`` =
    client to server, ``down``), ``latency`` and ``jitter`` (ms, one way),
    ``bandwidth`` (kbit/s, log scale) with ``limit`` (off: no limit),
    ``stall_seconds`` with ``Stall``, ``Resume`` and ``Drop``. The badge is
    ``open`` "forwarding", ``busy`` "stalled" / "half-open", or ``idle``
    "stopped" (the badge states are listed in :mod:`wskit.widgets`).
    """

    def __init__(self, link: Link, *, hz: float = 10.0) -> None:
        if not isinstance(link, Link):
            raise TypeError(f"LinkPanel needs a wskit.impair.Link, not {type(link).__name__}")
        self.link = link
        wide = widgets.Layout(width="min(100%, 460px)")
        label = {"description_width": "90px"}
        self.direction = widgets.ToggleButtons(
            options=[("both ways", "both"), ("up", "up"), ("down", "down")],
            value="both",
            description="direction",
            tooltips=["client <-> server", "client -> server", "server -> client"],
            style={"description_width": "90px", "button_width": "80px"},
        )
        self.latency = widgets.IntSlider(
            min=0, max=1000, step=5, description="latency ms", continuous_update=False, layout=wide, style=label
        )
        self.jitter = widgets.IntSlider(
            min=0, max=300, step=1, description="jitter ± ms", continuous_update=False, layout=wide, style=label
        )
        self.bandwidth = widgets.FloatLogSlider(
            value=1000,
            base=10,
            min=1,
            max=5,
            step=0.05,
            description="kbit/s",
            readout_format=".4g",
            continuous_update=False,
            layout=wide,
            style=label,
        )
        self.limited = widgets.Checkbox(value=False, description="limit", indent=False)
        self.stall_seconds = widgets.BoundedFloatText(
            value=2.0, min=0.0, max=3600.0, step=0.5, description="stall s", layout=widgets.Layout(width="160px")
        )
        self.stall_button = st.button("Stall", "stop forwarding for stall s, keeping the sockets", "warning")
        self.resume_button = st.button("Resume", "end a stall or a half-open hold")
        self.drop_button = st.button("Drop", "reset every connection (TCP RST both ways: peers see 1006)", "danger")
        self.badge = widgets.HTML()
        self.facts = widgets.HTML()
        self.counters = widgets.HTML()
        self.status = widgets.HTML()
        self._showing = False  # True while the sliders are being set from the link
        self._refresher = Refresher(self._render, hz, on_error=lambda e: self._error(e, "drawing"))
        self._show(self.link.up)
        self.direction.observe(lambda _c: self._show(self.link.conditions(self._way())), names="value")
        for control in (self.latency, self.jitter, self.bandwidth, self.limited):
            control.observe(lambda _c: self._apply(), names="value")
        self.stall_button.on_click(lambda _b: self.stall())
        self.resume_button.on_click(lambda _b: self._do(self.link.resume, "Resume", "forwarding again"))
        self.drop_button.on_click(lambda _b: self._do(self.link.drop, "Drop", "every connection was reset"))
        self._unsubscribe = link.subscribe(self._refresher.request)
        super().__init__(
            st.panel(
                st.header("Link", self.badge, self.facts),
                self.direction,
                self.latency,
                self.jitter,
                st.row(self.bandwidth, self.limited),
                st.row(self.stall_seconds, self.stall_button, self.resume_button, self.drop_button),
                self.status,
                self.counters,
            )
        )
        self.add_class("wskit-panel")
        self._render()

    # -- sliders ---------------------------------------------------------------------

    def _way(self) -> Literal["up", "down"]:
        return "down" if self.direction.value == "down" else "up"

    def _show(self, conditions: Conditions) -> None:
        """Put one direction's conditions into the sliders without applying them back."""
        self._showing = True
        try:
            with self.hold_sync():
                self.latency.value = round(conditions.latency_ms)
                self.jitter.value = round(conditions.jitter_ms)
                self.limited.value = conditions.bandwidth_kbps is not None
                if conditions.bandwidth_kbps is not None:
                    self.bandwidth.value = conditions.bandwidth_kbps
        finally:
            self._showing = False

    def _apply(self) -> None:
        """What moving a slider does: set the link's conditions for the chosen direction."""
        if self._showing:
            return
        bandwidth = float(self.bandwidth.value) if self.limited.value else None
        try:
            self.link.set(
                latency_ms=self.latency.value,
                jitter_ms=self.jitter.value,
                bandwidth_kbps=bandwidth,
                direction=self.direction.value,
            )
        except ValueError as exc:
            self._error(exc, "settings")
            return
        shown = "no limit" if bandwidth is None else f"{bandwidth:.4g} kbit/s"
        self.status.value = st.note_html(
            f"{self.direction.value}: {self.latency.value} ms ± {self.jitter.value} ms, {shown}"
        )

    # -- buttons ---------------------------------------------------------------------

    def stall(self) -> None:
        """What ``Stall`` does: hold both directions for ``stall_seconds``."""
        seconds = float(self.stall_seconds.value)
        self._do(lambda: self.link.stall(seconds), "Stall", f"stalled for {seconds:g} s")

    def _do(self, action: Callable[[], object], doing: str, done: str) -> None:
        try:
            action()
        except Exception as exc:
            self._error(exc, doing)
            return
        self.status.value = st.note_html(done)
        self._refresher.flush()

    # -- drawing ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw now."""
        self._refresher.flush()

    def _render(self) -> None:
        link = self.link
        if not link.running:
            badge, facts = st.badge("idle", "stopped"), ""  # idle: nothing running (closed is a closed connection)
        else:
            stats = link.stats
            if stats.held == ("up", "down"):
                left = f" {stats.stall_left_s:.1f} s" if stats.stall_left_s else ""
                badge = st.badge("busy", f"stalled{left}")
            elif stats.held:
                badge = st.badge("busy", f"half-open: {stats.held[0]} held")
            else:
                badge = st.badge("open", "forwarding")
            host, port = link.target_address
            facts = (
                f'<span class="wskit-mono">{st.escape(link.url)}</span> → '
                f'<span class="wskit-mono">{st.escape(f"{host}:{port}")}</span> · {stats.connections} connection(s)'
            )
        rows = []
        stats = link.stats
        for way, arrow, sent, queued, delay in (
            ("up", "client → server", stats.bytes_up, stats.queued_up, stats.delay_up_ms),
            ("down", "server → client", stats.bytes_down, stats.queued_down, stats.delay_down_ms),
        ):
            c = link.up if way == "up" else link.down
            bandwidth = _UNLIMITED if c.bandwidth_kbps is None else f"{c.bandwidth_kbps:.4g} kbit/s"
            css = "wskit-out" if way == "up" else "wskit-in"
            rows.append(
                f'<tr><td class="{css}">{way} ({arrow})</td><td>{c.latency_ms:g} ± {c.jitter_ms:g} ms</td>'
                f"<td>{bandwidth}</td><td>{sent:,} B</td><td>{queued:,} B</td><td>{delay:.1f} ms</td></tr>"
            )
        table = (
            '<table class="wskit-table wskit-mono"><tr class="wskit-dim"><th>direction</th><th>latency</th>'
            "<th>bandwidth</th><th>forwarded</th><th>queued</th><th>current delay</th></tr>"
            + "".join(rows)
            + "</table>"
        )
        with self.hold_sync():
            self.badge.value = badge
            self.facts.value = facts
            self.counters.value = table

    def _error(self, exc: BaseException, doing: str) -> None:
        self.status.value = st.error_html(exc, doing)

    def close(self) -> None:
        """Stop watching the link (the widgets stay as they are)."""
        if hasattr(self, "_unsubscribe"):  # also called by __del__ of a half-built panel
            self._unsubscribe()
            self._refresher.close()
        super().close()
