"""The trace from Temporal history: rows match the plan, and show retries, fallbacks, replans,
running and cancelled steps, and failed queries."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.client import WorkflowFailureError

from client.trace import Trace, TraceNotFound
from models.query import QueryConfig, QueryStatus
from tests.client.tools import fault_registry, replan_plan, retry_and_fallback_plan, slow_plan
from tests.conftest import WorkerFactory

pytestmark = pytest.mark.integration
QUESTION = "What is the notice period for termination for convenience?"
ANY_SCORE = QueryConfig(confidence_threshold=0.0)


def _row(trace: Trace, activity_id: str):  # type: ignore[no-untyped-def]
    return next(r for r in trace.rows if r.activity_id == activity_id)


async def test_trace_rows_match_the_plan_with_a_retry_and_a_fallback(
    run_worker: WorkerFactory, samples: Path
) -> None:
    docs = [str(samples / "contract_acme_globex.md")]
    async with run_worker(registry=fault_registry()) as sdk:
        plan = retry_and_fallback_plan(QUESTION)
        handle = await sdk.start(QUESTION, docs, plan=plan, config=ANY_SCORE)
        result = await handle.result()
        trace = await sdk.trace(handle.id, ui_base_url="http://127.0.0.1:8233")
    assert trace.status == "completed" and trace.query_type == "qa"
    assert trace.levels == [["search_a", "search_b"], ["answer"]]
    assert [(r.activity_id, r.tool, r.level, r.status) for r in trace.rows] == [
        ("search_a", "flaky_search", 1, "completed"),
        ("search_b", "broken_search", 1, "failed"),
        ("search_b~search_documents", "search_documents", 1, "completed"),
        ("answer", "answer_question", 2, "completed"),
    ]
    flaky = _row(trace, "search_a")
    assert flaky.attempts == 2 and "transient failure" in (flaky.last_retry_failure or "")
    broken = _row(trace, "search_b")
    assert broken.attempts == 2 and "backend unavailable" in (broken.failure or "")
    fallback = _row(trace, "search_b~search_documents")
    assert fallback.fell_back_from == "broken_search" and fallback.step_id == "search_b"
    for row in trace.rows:
        assert row.scheduled_at and row.closed_at and row.duration_ms is not None
        assert row.plan == "initial" and row.replan == 0
    # the workflow's own step confidences are what the completed rows show
    by_step = {s.step_id: s for s in result.execution_summary.steps}
    assert flaky.confidence == by_step["search_a"].confidence
    assert fallback.confidence == by_step["search_b"].confidence
    assert trace.confidence_score == result.confidence_score
    assert trace.ui_url and trace.ui_url.endswith(f"/namespaces/default/workflows/{handle.id}")


async def test_trace_shows_the_replan_that_made_a_step(
    run_worker: WorkerFactory, samples: Path
) -> None:
    docs = [str(samples / "contract_acme_globex.md")]
    async with run_worker(registry=fault_registry()) as sdk:
        handle = await sdk.start(QUESTION, docs, plan=replan_plan(QUESTION), config=ANY_SCORE)
        result = await handle.result()
        trace = await sdk.trace(handle.id)
    assert result.execution_summary.replans == 1
    assert trace.replans == [f"{handle.id}-replan-1"]
    failed = _row(trace, "answer")
    assert failed.status == "failed" and failed.attempts == 1 and failed.plan == "initial"
    replanned = [r for r in trace.rows if r.plan == "replan-1"]
    assert {r.tool for r in replanned} == {"search_documents", "answer_question"}
    assert all(r.replan == 1 and r.level in (1, 2) for r in replanned)


async def test_trace_of_a_running_then_cancelled_query(
    run_worker: WorkerFactory, samples: Path
) -> None:
    docs = [str(samples / "contract_acme_globex.md")]
    async with run_worker(registry=fault_registry()) as sdk:
        handle = await sdk.start(QUESTION, docs, plan=slow_plan(QUESTION, seconds=3))
        for _ in range(100):
            running = await sdk.trace(handle.id)
            if running.rows and running.rows[0].status == "running":
                break
            await asyncio.sleep(0.05)
        assert running.status == "running"
        assert [(r.activity_id, r.status) for r in running.rows] == [("search", "running")]
        await sdk.cancel(handle.id)
        result = await handle.result()
        cancelled = await sdk.trace(handle.id)
    assert result.status is QueryStatus.CANCELLED
    assert _row(cancelled, "search").status in ("cancel_requested", "cancelled")


async def test_trace_of_a_failed_query_and_of_no_query(
    run_worker: WorkerFactory, docs_dir: Path
) -> None:
    async with run_worker() as sdk:
        handle = await sdk.start("What is this?", [str(docs_dir / "nope.md")])
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        trace = await sdk.trace(handle.id)
        with pytest.raises(TraceNotFound):
            await sdk.trace("query-does-not-exist")
    assert trace.status == "failed" and trace.rows == []
    assert "no usable documents" in (trace.failure or "")
