"""``EventLog``: every event of a transport or connection, live, filterable, exportable.

The rows live in a :class:`wskit.eventlog.LogBuffer` (bounded, pure Python);
this widget only draws its newest ``visible_rows`` into one ``HTML`` widget,
from a throttled task (:class:`~._refresh.Refresher`), so a burst of events
costs one redraw, never one comm message per event or the whole history.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]  # no type information

from .._targets import owner_of
from .._text import clock, hexdump
from ..eventlog import KIB, ExportRow, HarMessage, LogBuffer, LogRow
from ..events import EventKind
from . import _style as st
from ._refresh import Refresher

__all__ = ["EventLog", "render_details"]

ALL = "all"
_ARROWS = {"in": "←", "out": "→", None: ""}


def _bus_owner(target: Any) -> tuple[Any, Any]:
    """``(transport, connection or None)`` for a transport or a connection."""
    try:
        return owner_of(target)
    except TypeError:
        raise TypeError(f"EventLog needs a transport or a connection, not {type(target).__name__}") from None


def _row_html(row: LogRow) -> str:
    classes = []
    if row.kind in ("error", "rejected"):
        classes.append("wskit-err")
    elif row.kind == "wire":
        classes.append("wskit-wire")
    dir_class = f"wskit-{row.direction}" if row.direction else ""
    who = (row.role or "") + (f" #{row.connection}" if row.connection is not None else "")
    what = row.opcode if row.kind in ("message", "wire") and row.opcode else row.kind
    if row.kind == "wire":
        what = f"wire {what}"
    summary = row.summary if len(row.summary) <= 200 else row.summary[:199] + "…"
    return (
        f'<tr class="{" ".join(classes)}"><td class="wskit-dim">{row.seq}</td><td>{clock(row.wall_time)}</td>'
        f'<td class="{dir_class}">{_ARROWS.get(row.direction, "")} {st.escape(row.direction or "")}</td>'
        f"<td>{st.escape(who)}</td><td>{st.escape(what)}</td><td>{row.size}</td>"
        f'<td class="wskit-sum">{st.escape(summary)}</td></tr>'
    )


def render_details(row: LogRow | None) -> str:
    """The details view of one row: its facts, then the payload (JSON pretty-printed,
    binary as a hex dump) and an error's traceback."""
    if row is None:
        return '<span class="wskit-dim">pick a row number to see its payload</span>'
    facts = [
        f"#{row.seq}",
        clock(row.wall_time),
        row.kind,
        row.direction or "",
        row.role or "",
        f"connection #{row.connection}" if row.connection is not None else "",
        row.opcode or "",
        f"{row.size} bytes",
        f"code {row.code}" if row.code is not None else "",
        repr(row.reason) if row.reason else "",
    ]
    parts = [f'<div class="wskit-mono">{st.escape(" · ".join(f for f in facts if f))}</div>']
    parts.append(f'<div class="wskit-mono">{st.escape(row.summary)}</div>')
    payload = row.payload
    if isinstance(payload, str):
        shown, label = payload, "text"
        with contextlib.suppress(ValueError):
            shown, label = json.dumps(json.loads(payload), indent=2, ensure_ascii=False), "JSON"
        parts.append(f'<div class="wskit-dim">payload ({label})</div><pre>{st.escape(shown)}</pre>')
    elif isinstance(payload, bytes):
        parts.append(f'<div class="wskit-dim">payload (binary, hex dump)</div><pre>{st.escape(hexdump(payload))}</pre>')
    if row.truncated:
        kept = f"{row.payload_bytes} of {row.size} bytes kept" if payload is not None else "payload dropped"
        parts.append(f'<div class="wskit-err">truncated: {kept} (the log\'s byte budget)</div>')
    if row.detail:
        parts.append(f"<pre class='wskit-err'>{st.escape(row.detail)}</pre>")
    return "".join(parts)


class EventLog(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """A live log of a transport's (or one connection's) events.

    Args:
        target: a transport, a connection, a list of them, or ``None`` (use
            :meth:`attach`); ``wskit.runtime`` logs background tasks' failures.
        title: the panel's title.
        max_rows: rows kept (a ring buffer); older rows fall off.
        max_payload, max_bytes: payload bytes kept per row and for the whole log.
        visible_rows: rows drawn (the newest that match the filters).
        hz: the most redraws per second.

    Controls: ``kind`` and ``direction`` filters, ``search`` text, ``row``
    (a row number whose details appear below the table), and the buttons
    ``Clear``, ``Export JSON`` and ``Export HAR`` (files written to
    ``export_dir``; :meth:`export_json` / :meth:`export_har` return the data).
    """

    def __init__(
        self,
        target: Any = None,
        *,
        title: str = "Event log",
        max_rows: int = 10_000,
        max_payload: int = 64 * KIB,
        max_bytes: int = 32 * KIB * KIB,
        visible_rows: int = 200,
        hz: float = 15.0,
        export_dir: str | Path = ".",
    ) -> None:
        self.visible_rows = visible_rows
        self.export_dir = Path(export_dir)
        targets = list(target) if isinstance(target, (list, tuple)) else [] if target is None else [target]
        connection = None
        if len(targets) == 1:
            _, connection = _bus_owner(targets[0])
        self.buffer = LogBuffer(max_rows, max_payload=max_payload, max_bytes=max_bytes, connection=connection)
        self._refresher = Refresher(self._render, hz, on_error=self._show_error)
        self.buffer.on_change = self._refresher.request
        self._cache: dict[int, str] = {}

        kinds = [ALL, *(k.value for k in EventKind)]
        self.kind = widgets.Dropdown(options=kinds, value=ALL, description="kind", layout=widgets.Layout(width="190px"))
        self.direction = widgets.Dropdown(
            options=[ALL, "in", "out"], value=ALL, description="direction", layout=widgets.Layout(width="170px")
        )
        self.search = widgets.Text(placeholder="search", description="search", layout=widgets.Layout(width="220px"))
        self.clear_button = st.button("Clear", "forget every row")
        self.export_json_button = st.button("Export JSON", "write every row to a .json file")
        self.export_har_button = st.button("Export HAR", "write the messages as a HAR _webSocketMessages list")
        self.counts = widgets.HTML()
        self.status = widgets.HTML()
        self.table = widgets.HTML()
        self.table.add_class("wskit-log")
        self.row = widgets.BoundedIntText(
            value=0, min=0, max=2**62, description="row #", layout=widgets.Layout(width="170px")
        )
        self.details = widgets.HTML(render_details(None))
        for control in (self.kind, self.direction, self.search):
            control.observe(lambda _change: self._refresher.flush(), names="value")
        self.row.observe(lambda _change: self._show_row(), names="value")
        self.clear_button.on_click(lambda _b: self.clear())
        self.export_json_button.on_click(lambda _b: self._export("json"))
        self.export_har_button.on_click(lambda _b: self._export("har"))
        super().__init__(
            st.panel(
                st.header(title, self.counts),
                st.row(self.kind, self.direction, self.search),
                st.row(self.clear_button, self.export_json_button, self.export_har_button),
                self.status,
                self.table,
                st.row(self.row),
                self.details,
            )
        )
        self.add_class("wskit-panel")
        for t in targets:
            self.attach(t)
        self._render()

    # -- sources ----------------------------------------------------------------

    def attach(self, target: Any) -> None:
        """Log the events of another transport (or connection) too."""
        transport, _connection = _bus_owner(target)
        self.buffer.attach(transport)

    def detach(self) -> None:
        """Stop logging; the rows stay."""
        self.buffer.detach()
        self._refresher.close()

    def close(self) -> None:
        """Stop logging and close the widget."""
        if hasattr(self, "buffer"):  # also called by __del__ of a half-built log
            self.detach()
        super().close()

    # -- actions ----------------------------------------------------------------

    def clear(self) -> None:
        """Forget every row."""
        self.buffer.clear()
        self._cache.clear()
        self.status.value = st.note_html("cleared")
        self._refresher.flush()

    def export_json(self) -> list[ExportRow]:
        """Every row, as JSON-able dicts (see :class:`wskit.eventlog.ExportRow`)."""
        return self.buffer.export_json()

    def export_har(self) -> list[HarMessage]:
        """The messages as a HAR ``_webSocketMessages`` list."""
        return self.buffer.export_har()

    def _export(self, fmt: str) -> Path | None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        try:
            self.export_dir.mkdir(parents=True, exist_ok=True)
            if fmt == "json":
                path = self.export_dir / f"wskit-log-{stamp}.json"
                data: Any = self.export_json()
            else:
                path = self.export_dir / f"wskit-log-{stamp}.har"
                entry = {"_resourceType": "websocket", "_webSocketMessages": self.export_har()}
                data = {"log": {"version": "1.2", "creator": {"name": "wskit", "version": "0.1"}, "entries": [entry]}}
            path.write_text(json.dumps(data, ensure_ascii=False, indent=1))
        except Exception as exc:
            self._show_error(exc, f"export {fmt.upper()}")
            return None
        self.status.value = st.note_html(f"exported {len(self.buffer)} rows to {path}")
        return path

    # -- drawing ----------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw now (the log redraws by itself when events arrive in a running loop)."""
        self._refresher.flush()

    def _filters(self) -> tuple[Iterable[str] | None, Iterable[str | None] | None]:
        kinds = None if self.kind.value == ALL else [self.kind.value]
        directions = None if self.direction.value == ALL else [self.direction.value]
        return kinds, directions

    def _render(self) -> None:
        kinds, directions = self._filters()
        rows = self.buffer.rows(kinds, directions, self.search.value, last=self.visible_rows)
        cache = self._cache
        fresh: dict[int, str] = {}
        for r in rows:
            fresh[r.seq] = cache.get(r.seq) or _row_html(r)
        self._cache = fresh
        body = "".join(fresh.values())
        table = (
            '<div class="wskit-scroll"><table><tr class="wskit-dim"><td>#</td><td>time</td><td>dir</td>'
            f"<td>who</td><td>what</td><td>bytes</td><td>summary</td></tr>{body}</table></div>"
        )
        held = self.buffer.payload_bytes
        counts = (
            f'<span class="wskit-dim">{self.buffer.seq} events · {len(self.buffer)} kept · '
            f"{len(rows)} shown · {held / KIB:.1f} KiB payload held</span>"
        )
        with self.hold_sync():
            self.table.value = table
            self.counts.value = counts

    def _show_row(self) -> None:
        seq = self.row.value
        self.details.value = render_details(self.buffer.get(seq) if seq else None)

    def _show_error(self, exc: BaseException, doing: str = "drawing the log") -> None:
        self.status.value = st.error_html(exc, doing)

    @property
    def rows_shown(self) -> list[LogRow]:
        """The rows the table shows now (after filters)."""
        kinds, directions = self._filters()
        return self.buffer.rows(kinds, directions, self.search.value, last=self.visible_rows)
