"""A query's steps on one time axis (a Gantt chart in the terminal, rich): each step activity of
the trace is a bar from its start to its end, measured from the workflow's start, with a pale
lead-in for the time it was scheduled but not yet started (waiting for a worker). Bars that
overlap ran in parallel."""

from __future__ import annotations

import math
from datetime import datetime
from typing import NamedTuple

from rich.table import Table
from rich.text import Text

from models.trace import Trace, TraceRow

STATUS_STYLE = {
    "completed": "green",
    "failed": "red",
    "timed_out": "red",
    "cancelled": "yellow",
    "retrying": "magenta",
    "running": "cyan",
}
"""The colour of a trace row's status, in the trace table and the timeline."""
WAIT, RUN = "░", "█"


class Span(NamedTuple):
    """One activity in milliseconds from the workflow's start."""

    scheduled: float
    started: float
    closed: float


class Cells(NamedTuple):
    """A bar in character cells: blank lead, waiting part, running part."""

    lead: int
    wait: int
    run: int


def _ms(origin: datetime, at: datetime) -> float:
    return (at - origin).total_seconds() * 1000


def spans(trace: Trace) -> list[tuple[TraceRow, Span]]:
    """The rows that started or were scheduled, as spans from the workflow's start; a row still
    open ends where the trace's last known time is."""
    origin = trace.started_at
    if origin is None:
        return []
    known = [t for r in trace.rows for t in (r.scheduled_at, r.started_at, r.closed_at) if t]
    end = trace.closed_at or max(known, default=origin)
    placed: list[tuple[TraceRow, Span]] = []
    for row in trace.rows:
        started = row.started_at or row.scheduled_at
        if started is None:
            continue
        scheduled = row.scheduled_at or started
        closed = max(row.closed_at or end, started)
        span = Span(_ms(origin, scheduled), _ms(origin, started), _ms(origin, closed))
        placed.append((row, span))
    return placed


def cells(span: Span, total_ms: float, width: int) -> Cells:
    """Where ``span`` falls on an axis of ``width`` cells for ``total_ms``: starts round down,
    ends round up, and a run gets at least one cell so that a quick step still shows."""
    scale = width / total_ms if total_ms > 0 else 0.0
    lead = min(math.floor(span.scheduled * scale), width - 1)
    start = max(min(math.floor(span.started * scale), width - 1), lead)
    end = max(min(math.ceil(span.closed * scale), width), start + 1)
    return Cells(lead, start - lead, end - start)


def timeline(trace: Trace, *, width: int = 40) -> Table | None:
    """The trace's step activities as bars on one axis of ``width`` cells, or None when no
    step activity ran."""
    placed = spans(trace)
    origin = trace.started_at
    if not placed or origin is None:
        return None
    ended = _ms(origin, trace.closed_at) if trace.closed_at else 0.0
    total = max(ended, *(span.closed for _, span in placed), 1.0)
    axis = f"0 ms{f'{total:.0f} ms':>{width - 4}}"
    table = Table("step", "tool", axis, "ms", title="timeline (from the workflow's start)")
    table.columns[2].no_wrap = True
    table.columns[2].min_width = width
    for row, span in placed:
        bar = cells(span, total, width)
        style = STATUS_STYLE.get(row.status, "")
        drawn = Text.assemble(" " * bar.lead, (WAIT * bar.wait, "dim"), (RUN * bar.run, style))
        drawn.pad_right(width - bar.lead - bar.wait - bar.run)
        table.add_row(row.activity_id, row.tool, drawn, f"{span.started:.0f}–{span.closed:.0f}")
    return table
