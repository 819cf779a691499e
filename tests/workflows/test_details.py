"""The current details a query shows in the Temporal UI, folded from its events (pure: the text
goes to a list here instead of ``workflow.set_current_details``)."""

from __future__ import annotations

from collections.abc import Callable

from models.config import QueryType
from models.events import EventData, EventKind, ProgressEvent
from models.plan import Plan
from tests.plan_shapes import DIAMOND, step
from workflows.details import MAX_NOTES, LiveDetails

PLAN = Plan(query="q", query_type=QueryType.QA, steps=tuple(DIAMOND), answer_step="d")


def _event(kind: EventKind, step_id: str | None = None, **data: object) -> ProgressEvent:
    message = str(data.pop("message", ""))
    tool = data.pop("tool", "t")
    return ProgressEvent(
        offset=0,
        kind=kind,
        at="2026-01-01T00:00:00",
        step_id=step_id,
        tool=str(tool),
        message=message,
        data=EventData.model_validate(data),
    )


def _details() -> tuple[LiveDetails, list[str]]:
    shown: list[str] = []
    return LiveDetails("What is the notice period?", show=shown.append), shown


def test_details_show_the_phase_before_there_is_a_plan() -> None:
    details, shown = _details()
    details.enter("planning")
    assert shown[-1].splitlines()[0] == "**planning**"
    assert "**Question**: What is the notice period?" in shown[-1]
    assert "| step |" not in shown[-1]


def test_details_count_steps_and_name_the_level_running() -> None:
    details, shown = _details()
    details.enter("running")
    details.show_plan(PLAN)
    details.apply(_event(EventKind.STEP_SCHEDULED, "a", level=1))
    details.apply(_event(EventKind.STEP_STARTED, "a"))
    assert shown[-1].splitlines()[0] == (
        "**running** · level 1 of 3 · 0 done · 1 running · 0 failed · 0 skipped"
    )
    details.apply(_event(EventKind.STEP_COMPLETED, "a", confidence=0.9))
    for s in ("b", "c"):
        details.apply(_event(EventKind.STEP_SCHEDULED, s, level=2))
    details.apply(_event(EventKind.STEP_STARTED, "b"))
    details.apply(_event(EventKind.STEP_FELL_BACK, "c", tool="other", failed_tool="t"))
    details.apply(_event(EventKind.STEP_FAILED, "b", error_type="BadInput"))
    text = shown[-1]
    assert text.splitlines()[0] == (
        "**running** · level 2 of 3 · 1 done · 1 running · 1 failed · 0 skipped"
    )
    assert "| a | t | — | done (0.90) |" in text
    assert "| b | t | a | failed: BadInput |" in text
    assert "| c | t | a | falling back to other |" in text
    assert "| d | t | b, c | waiting |" in text


def test_a_fallback_that_answered_is_named() -> None:
    details, shown = _details()
    details.show_plan(PLAN)
    details.apply(_event(EventKind.STEP_COMPLETED, "a", tool="other", confidence=0.5))
    assert "| a | t | — | done (0.50) via other |" in shown[-1]


def test_replans_and_the_direct_path_leave_notes_and_join_the_table() -> None:
    details, shown = _details()
    details.show_plan(PLAN)
    details.apply(_event(EventKind.STEP_SKIPPED, "d", message="missing input from b"))
    details.apply(_event(EventKind.REPLAN_STARTED, "b", attempt=1, message="b failed: bad"))
    details.apply(_event(EventKind.REPLAN_FINISHED, attempt=1, ok=False, message="no plan"))
    details.apply(_event(EventKind.DEGRADED, message="no answer after 1 replan(s)"))
    details.show_plan(
        Plan(
            query="q",
            query_type=QueryType.QA,
            steps=(step("direct_search"),),
            answer_step="direct_search",
        )
    )
    details.apply(_event(EventKind.FINAL_ANSWER, message="completed", confidence=0.42))
    text = shown[-1]
    assert text.splitlines()[0].startswith("**completed, confidence 0.42**")
    assert "| d | t | b, c | skipped: missing input from b |" in text
    assert "| direct_search | t | — | waiting |" in text
    assert "- replan 1 started: b failed: bad" in text
    assert "- replan 1 finished: no plan" in text
    assert "- direct path (orchestrator 1.0): no answer after 1 replan(s)" in text


def test_only_the_latest_notes_are_listed() -> None:
    details, shown = _details()
    for n in range(MAX_NOTES + 3):
        details.apply(_event(EventKind.ERROR, source=f"doc{n}.md", fatal=False, message="bad"))
    text = shown[-1]
    assert "doc2.md" not in text and f"doc{MAX_NOTES + 2}.md" in text
    assert "- … 3 earlier notes" in text


def test_deferred_details_render_once_per_batch_of_events() -> None:
    shown: list[str] = []
    later: list[Callable[[], None]] = []
    details = LiveDetails("What is the notice period?", show=shown.append, defer=later.append)
    details.enter("running")
    details.show_plan(PLAN)
    for s in ("a", "b"):
        details.apply(_event(EventKind.STEP_SCHEDULED, s, level=1))
    assert shown == [] and len(later) == 1  # one render waits for the batch to end
    later.pop()()
    assert len(shown) == 1 and "1 running" not in shown[0]
    details.apply(_event(EventKind.STEP_STARTED, "a"))
    assert len(later) == 1
    later.pop()()
    assert len(shown) == 2 and "· 1 running ·" in shown[-1]
