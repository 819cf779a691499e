"""The direct path runs only when it would do something the plan did not: after a plan that
already searched every document and answered from what it found, an answer below the
confidence threshold stands as it is (with the reason), instead of the same search and answer
running again; after a plan of another shape (one search per document), the direct path runs.
On the real dev server, with the history kept for the replay test."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import Client

from models.config import QueryConfig, QueryType, Strategy
from models.names import DIRECT_PLAN_ID
from models.plan import Plan, Step
from models.query import DEGRADED_ORCHESTRATOR_VERSION, ORCHESTRATOR_VERSION, QueryStatus
from tests.conftest import WorkerFactory
from tests.workflows.recording import record_history, version_markers
from tests.workflows.test_resolve_and_plan import activity_calls
from workflows.planning import REPEATS_PLAN, SKIP_REPEATED_DIRECT_PATCH

pytestmark = pytest.mark.integration

QUESTION = "What is the notice period for termination for convenience?"
UNREACHABLE = QueryConfig(confidence_threshold=1.0)
"""No extractive answer to this question is fully sure: every answer falls below."""


def _contracts(samples: Path) -> list[str]:
    return [str(samples / "contract_acme_globex.md"), str(samples / "contract_acme_initech.md")]


async def test_below_the_threshold_a_search_and_answer_plan_is_not_run_again(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    config = UNREACHABLE.model_copy(update={"strategy": Strategy.SIMPLE})
    async with run_worker() as sdk:
        handle = await sdk.start(QUESTION, _contracts(samples), config=config)
        result = await handle.result()
    assert result.status is QueryStatus.COMPLETED and "90 days" in result.answer
    assert result.confidence_score < 1.0
    assert result.orchestrator_version == ORCHESTRATOR_VERSION  # the plan's own answer
    summary = result.execution_summary
    assert not summary.degraded
    assert (
        summary.degraded_reason == f"confidence {result.confidence_score:.2f} < 1.0; {REPEATS_PLAN}"
    )
    calls = await activity_calls(client, handle.id)
    assert [c for c in calls if c[2] == DIRECT_PLAN_ID or c[2].startswith("direct_")] == []
    history = await record_history(client, handle.id, "qa_below_threshold_no_direct_path")
    assert f"marker {SKIP_REPEATED_DIRECT_PATCH}" in version_markers(history)


async def test_below_the_threshold_a_plan_of_another_shape_takes_the_direct_path(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    config = UNREACHABLE.model_copy(update={"strategy": Strategy.PARALLEL})
    async with run_worker() as sdk:
        handle = await sdk.start(QUESTION, _contracts(samples), config=config)
        result = await handle.result()
    assert result.status is QueryStatus.COMPLETED and "90 days" in result.answer
    summary = result.execution_summary
    reason = summary.degraded_reason or ""
    assert reason.startswith("confidence ") and reason.endswith(" < 1.0"), reason
    calls = await activity_calls(client, handle.id)
    assert ("activity", "plan_query", DIRECT_PLAN_ID) in calls
    assert {c[2] for c in calls} >= {"direct_search", "direct_answer"}
    # the plan searched each contract apart: not the direct path's shape, so no marker asked
    history = await record_history(client, handle.id, "qa_below_threshold_direct_path")
    assert f"marker {SKIP_REPEATED_DIRECT_PATCH}" not in version_markers(history)
    if summary.degraded:
        assert result.orchestrator_version == DEGRADED_ORCHESTRATOR_VERSION


def _search_and_answer(top_k: int = 5, **search: object) -> Plan:
    params = {"query": QUESTION, "documents": "$input.documents", "top_k": top_k, **search}
    return Plan(
        query=QUESTION,
        query_type=QueryType.QA,
        steps=(
            Step(id="search_1", tool="search_documents", params=params),
            Step(
                id="answer_1",
                tool="answer_question",
                params={"question": QUESTION, "passages": ["$search_1.passages"]},
            ),
        ),
        answer_step="answer_1",
    )


def test_what_counts_as_the_direct_paths_shape() -> None:
    assert _search_and_answer().searches_then_answers(top_k=5)
    assert _search_and_answer(broaden="$iteration").searches_then_answers(top_k=5)
    # fewer passages than the direct path reads: it would search more broadly
    assert not _search_and_answer(top_k=2).searches_then_answers(top_k=5)
    # one document only, or another query: the direct path would search something else
    assert not _search_and_answer(documents="$input.documents.0").searches_then_answers(5)
    assert not _search_and_answer(query="notice").searches_then_answers(5)
    plan = _search_and_answer()
    summarised = plan.model_copy(
        update={
            "steps": (*plan.steps, Step(id="sum_1", tool="summarize_document", params={})),
        }
    )
    assert not summarised.searches_then_answers(5)
    other_question = plan.model_copy(
        update={
            "steps": (
                plan.steps[0],
                plan.steps[1].model_copy(update={"params": {"question": "x", "passages": []}}),
            )
        }
    )
    assert not other_question.searches_then_answers(5)


ODD_TOP_KS = ["5.0", "$iteration", "$input.query", " 5 ", "1" * 5000, None, [5], {"k": 5}, 5.0]
"""top_k values a plan given by a client (or an LLM) may carry that are not plain integers: the
search may still run with some of them ("5.0" and " 5 " validate as 5, "$iteration" is bound in
a repeat_until step), so the shape check must never choke on them."""


@pytest.mark.parametrize("top_k", ODD_TOP_KS, ids=repr)
def test_the_shape_check_never_raises_on_an_odd_top_k(top_k: object) -> None:
    plan = _search_and_answer().model_copy(
        update={
            "steps": (
                _search_and_answer()
                .steps[0]
                .model_copy(
                    update={
                        "params": {
                            "query": QUESTION,
                            "documents": "$input.documents",
                            "top_k": top_k,
                        }
                    }
                ),
                _search_and_answer().steps[1],
            )
        }
    )
    # a value whose number is not known before the search runs does not count as the same
    assert plan.searches_then_answers(top_k=5) is False


def test_the_shape_check_never_raises_on_an_answer_step_that_is_not_a_step() -> None:
    plan = _search_and_answer()
    odd = plan.model_copy(update={"answer_step": "missing"})  # model_copy does not validate
    assert odd.searches_then_answers(5) is False
    twins = plan.model_copy(
        update={"steps": (plan.steps[0], plan.steps[1].model_copy(update={"id": "search_1"}))}
    )
    assert twins.searches_then_answers(5) is False


async def test_below_the_threshold_a_given_plan_with_a_top_k_that_is_no_int_completes(
    run_worker: WorkerFactory, samples: Path
) -> None:
    """A given search-and-answer plan whose top_k the planner accepts but is no integer ("5.0"
    validates as 5): the query is answered, the direct path running after it (the shape check
    does not count it as the direct path's), and no workflow task fails on it."""
    plan = {
        "query": QUESTION,
        "query_type": "qa",
        "steps": [
            {
                "id": "search_1",
                "tool": "search_documents",
                "params": {"query": QUESTION, "documents": "$input.documents", "top_k": "5.0"},
            },
            {
                "id": "answer_1",
                "tool": "answer_question",
                "params": {"question": QUESTION, "passages": ["$search_1.passages"]},
            },
        ],
        "answer_step": "answer_1",
    }
    async with run_worker() as sdk:
        handle = await sdk.start(QUESTION, _contracts(samples), config=UNREACHABLE, plan=plan)
        result = await handle.result()
    assert result.status is QueryStatus.COMPLETED and "90 days" in result.answer
    reason = result.execution_summary.degraded_reason or ""
    assert reason.startswith("confidence ") and REPEATS_PLAN not in reason, reason
