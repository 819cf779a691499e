"""What ``docorch ask`` prints about an answer below the confidence threshold: the direct path
answered, was tried and lost, or was not run because the plan already was one (and an LLM
budget running out is no direct path)."""

from __future__ import annotations

import io

from rich.console import Console

from app.cli.render import ProgressView, print_result
from models.events import EventData, EventKind, ProgressEvent
from models.query import ExecutionSummary, QueryResult, QueryType
from workflows.planning import REPEATS_PLAN


def _printed(reason: str | None, *, degraded: bool = False) -> str:
    out = io.StringIO()
    result = QueryResult(
        answer="90 days [1]",
        confidence_score=0.57,
        query_type=QueryType.QA,
        execution_summary=ExecutionSummary(degraded=degraded, degraded_reason=reason),
    )
    print_result(Console(file=out, width=200, no_color=True), result)
    return out.getvalue()


def test_a_skipped_direct_path_is_not_said_to_have_been_tried() -> None:
    text = _printed(f"confidence 0.57 < 0.7; {REPEATS_PLAN}")
    assert f"low confidence: confidence 0.57 < 0.7; {REPEATS_PLAN}" in text
    assert "was tried" not in text


def test_a_direct_path_that_ran_is_said_to_have_run() -> None:
    assert "the direct path was tried and the planned answer kept" in _printed("confidence 0.5")
    assert "the direct path answered" in _printed("confidence 0.5", degraded=True)
    assert "direct path" not in _printed(None)


def test_an_llm_budget_event_is_not_a_direct_path() -> None:
    view = ProgressView(workflow_id="query-1")
    view.apply(
        ProgressEvent(
            offset=0,
            kind=EventKind.DEGRADED,
            at="2026-11-29T22:00:00Z",
            message="LLM budget spent",
            data=EventData(llm_budget_exhausted=True),
        )
    )
    assert view.notes == ["[yellow]LLM budget[/]: LLM budget spent"] and view.extra == {}
    view.apply(
        ProgressEvent(offset=1, kind=EventKind.DEGRADED, at="2026-11-29T22:00:01Z", message="x")
    )
    assert view.notes[-1] == "[yellow]degraded to the direct path[/]: x"
    assert "direct path" in view.extra
