"""The steps' timeline of ``docorch trace``, drawn from fixed trace rows (no Temporal)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console

from app.cli.render import print_trace
from app.cli.timeline import Cells, Span, cells, spans, timeline
from models.trace import RowStatus, Trace, TraceRow

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _at(ms: float) -> datetime:
    return START + timedelta(milliseconds=ms)


def _row(
    activity_id: str,
    tool: str,
    scheduled: float,
    started: float | None,
    closed: float | None,
    status: RowStatus = "completed",
) -> TraceRow:
    return TraceRow(
        activity_id=activity_id,
        step_id=activity_id,
        tool=tool,
        status=status,
        scheduled_at=_at(scheduled),
        started_at=None if started is None else _at(started),
        closed_at=None if closed is None else _at(closed),
    )


def _trace(*rows: TraceRow, closed: float | None = 1000) -> Trace:
    return Trace(
        workflow_id="query-fixed",
        run_id="run",
        workflow_type="QueryWorkflow",
        status="completed" if closed is not None else "running",
        started_at=START,
        closed_at=None if closed is None else _at(closed),
        rows=list(rows),
    )


def _drawn(trace: Trace, width: int) -> list[str]:
    table = timeline(trace, width=width)
    assert table is not None
    console = Console(record=True, width=100, color_system=None)
    console.print(table)
    return console.export_text().splitlines()


def test_parallel_steps_overlap_and_a_later_step_follows_them() -> None:
    trace = _trace(
        _row("search_1", "search_documents", 0, 0, 500),
        _row("search_2", "search_documents", 0, 100, 500),
        _row("answer_1", "answer_question", 500, 750, 1000),
    )
    bars = [line.split("│")[3] for line in _drawn(trace, 20) if "_" in line]
    assert bars == [
        " ██████████           ",
        " ░░████████           ",
        "           ░░░░░█████ ",
    ]


def test_the_axis_spans_the_workflow_and_rows_say_their_times() -> None:
    trace = _trace(_row("search_1", "search_documents", 0, 200, 400), closed=800)
    lines = _drawn(trace, 20)
    assert any("0 ms          800 ms" in line for line in lines)  # the axis: 20 cells
    row = next(line for line in lines if "search_1" in line)
    assert "search_documents" in row and "200–400" in row


def test_a_quick_step_still_gets_a_cell_and_bars_stay_inside_the_axis() -> None:
    assert cells(Span(0, 0, 1), total_ms=1000, width=20) == Cells(0, 0, 1)
    assert cells(Span(999, 999, 1000), total_ms=1000, width=20) == Cells(19, 0, 1)
    assert cells(Span(0, 500, 1000), total_ms=1000, width=10) == Cells(0, 5, 5)


def test_a_running_step_reaches_the_last_known_time_and_unstarted_rows_are_left_out() -> None:
    trace = _trace(
        _row("search_1", "search_documents", 0, 0, 300),
        _row("answer_1", "answer_question", 300, 400, None, status="running"),
        closed=None,
    )
    placed = spans(trace)
    assert [(row.activity_id, span) for row, span in placed] == [
        ("search_1", Span(0, 0, 300)),
        ("answer_1", Span(300, 400, 400)),
    ]
    assert timeline(_trace(closed=None)) is None


def test_docorch_trace_prints_the_timeline_after_the_table() -> None:
    trace = _trace(
        _row("search_1", "search_documents", 0, 0, 500),
        _row("answer_1", "answer_question", 500, 500, 1000),
    )
    console = Console(record=True, width=120, color_system=None)
    print_trace(console, trace)
    text = console.export_text()
    table, chart, figures = (
        text.index("query-fixed · completed"),
        text.index("timeline"),
        text.index("\nstatus completed"),
    )
    assert table < chart < figures
    assert "█" in text
