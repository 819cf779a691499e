"""Every rung of the failure ladder, the control-flow features and crash recovery, on the real
dev server with the fault tools of ``tests/fault_tools.py``: retries -> alternatives -> replan
(child workflow) -> the direct path; conditions, for_each, repeat_until; eager scheduling and
the parallel limit; the deadline, cancellation, and a worker killed with SIGKILL."""

from __future__ import annotations

import asyncio
import inspect
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory

from client.sdk import OrchestratorClient
from models.events import EventKind
from models.plan import Plan, Predicate, PredicateOp, Step
from models.query import (
    DEGRADED_ORCHESTRATOR_VERSION,
    ORCHESTRATOR_VERSION,
    QueryConfig,
    QueryResult,
    QueryStatus,
    QueryType,
    StepResult,
    StepStatus,
)
from models.settings import Settings
from tests import fault_tools
from tests.conftest import WorkerFactory
from tests.fault_tools import InvocationLog, max_overlap
from tests.worker_process import cue, spawn
from tests.workflows.recording import record_history

pytestmark = pytest.mark.integration

QUESTION = "What is the notice period for termination for convenience?"
REPO = Path(__file__).resolve().parents[2]
RECORDED = "resilience_fallback_replan_protocol2"
CALM = QueryConfig(confidence_threshold=0.0, max_replans=0)
"""For control-flow tests: never degrade or replan, so only the feature under test acts."""


@pytest.fixture
def calls(tmp_path: Path) -> InvocationLog:
    return fault_tools.configure(tmp_path / "calls.jsonl")


@pytest.fixture
def contracts(samples: Path) -> list[str]:
    return [str(samples / "contract_acme_globex.md"), str(samples / "contract_acme_initech.md")]


@pytest.fixture
def faulty(run_worker: WorkerFactory) -> Callable[[], Any]:
    return lambda: run_worker(registry=fault_tools.fault_registry())


def plan_of(*steps: Step, answer: str) -> dict[str, Any]:
    plan = Plan(
        query=QUESTION,
        query_type=QueryType.QA,
        steps=steps,
        answer_step=answer,
        reasoning="a test plan",
        source="llm",
    )
    return plan.model_dump(mode="json")


def search(step_id: str, tool: str = "search_documents") -> Step:
    return Step(id=step_id, tool=tool, params={"query": QUESTION, "documents": "$input.documents"})


def answer(step_id: str, source: str, tool: str = "answer_question", **options: Any) -> Step:
    return Step(
        id=step_id,
        tool=tool,
        params={"question": QUESTION, "passages": f"${source}.passages"},
        **options,
    )


def step(result: QueryResult, step_id: str) -> StepResult:
    return next(s for s in result.execution_summary.steps if s.step_id == step_id)


async def activity_ids(client: Client, workflow_id: str) -> list[str]:
    """Activity ids in the order they were scheduled."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return [
        e.activity_task_scheduled_event_attributes.activity_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


async def cancel_requested(client: Client, workflow_id: str) -> set[str]:
    """Activity ids whose cancellation the workflow requested."""
    history: WorkflowHistory = await client.get_workflow_handle(workflow_id).fetch_history()
    scheduled = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    return {
        scheduled[e.activity_task_cancel_requested_event_attributes.scheduled_event_id]
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED
    }


async def eventually(check: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait until ``check`` (sync or async) holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = check()
        if await outcome if inspect.isawaitable(outcome) else outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


# ---- the failure ladder ----------------------------------------------------------------------


async def test_transient_failure_is_retried_to_success_with_lower_confidence(
    faulty: Callable[[], Any], calls: InvocationLog, contracts: list[str]
) -> None:
    def flaky_plan(key: str, fail_first: int) -> dict[str, Any]:
        return plan_of(
            Step(id="flaky_1", tool="flaky", params={"key": key, "fail_first": fail_first}),
            Step(id="note_1", tool="note", params={"key": "n", "inputs": ["$flaky_1.answer"]}),
            answer="note_1",
        )

    async with faulty() as sdk:
        clean = await sdk.run(QUESTION, contracts, plan=flaky_plan("clean", 0), config=CALM)
        retried = await sdk.run(QUESTION, contracts, plan=flaky_plan("twice", 2), config=CALM)
    flaky = step(retried, "flaky_1")
    assert flaky.status is StepStatus.COMPLETED and flaky.attempts == 3
    assert calls.count("flaky", key="twice") == 3
    assert retried.execution_summary.retries == 2
    # the formula: 0.95 per extra attempt, on the step and through it on the answer
    assert flaky.confidence == pytest.approx(step(clean, "flaky_1").confidence * 0.95**2, abs=1e-3)
    assert 0 < retried.confidence_score < clean.confidence_score
    assert step(retried, "note_1").confidence == step(clean, "note_1").confidence


async def test_rate_limited_call_is_retried_after_the_delay_it_asked_for(
    faulty: Callable[[], Any], calls: InvocationLog, contracts: list[str]
) -> None:
    plan = plan_of(
        Step(id="r", tool="rate_limited", params={"key": "r", "retry_after": 1.0}), answer="r"
    )
    async with faulty() as sdk:
        result = await sdk.run(QUESTION, contracts, plan=plan, config=CALM)
    assert step(result, "r").attempts == 2
    (_, _, first_end), (_, second_start, _) = calls.spans("rate_limited")
    assert second_start - first_end >= 0.9  # not the 0.2 s the policy would wait


async def test_permanent_failure_is_saved_by_an_alternative(
    faulty: Callable[[], Any], calls: InvocationLog, contracts: list[str], client: Client
) -> None:
    async with faulty() as sdk:
        clean = await sdk.run(
            QUESTION,
            contracts,
            config=CALM,
            plan=plan_of(search("search_1"), answer("answer_1", "search_1"), answer="answer_1"),
        )
        handle = await sdk.start(
            QUESTION,
            contracts,
            config=CALM,
            plan=plan_of(
                search("search_1", "broken_search"),
                answer("answer_1", "search_1"),
                answer="answer_1",
            ),
        )
        result = await handle.result()
        events = [e async for e in sdk.events(handle.id)]
    saved = step(result, "search_1")
    assert saved.status is StepStatus.COMPLETED
    assert (saved.tool, saved.fell_back_from) == ("search_documents", "broken_search")
    assert saved.attempts == 3 + 1 and calls.count("broken_search") == 3
    fell_back = [e for e in events if e.kind is EventKind.STEP_FELL_BACK]
    assert [(e.step_id, e.tool, e.data.failed_tool) for e in fell_back] == [
        ("search_1", "search_documents", "broken_search")
    ]
    # the contracts are stored (the clean run ingested them): planned in the first task
    assert await activity_ids(client, handle.id) == [
        "search_1",
        "search_1~search_documents",
        "answer_1",
    ]
    assert "90 days" in result.answer and result.answer == clean.answer
    assert result.execution_summary.fallbacks == 1
    # 0.95^(4 attempts - 1) x 0.85 for the fallback
    expected = step(clean, "search_1").confidence * 0.95**3 * 0.85
    assert saved.confidence == pytest.approx(expected, abs=1e-3)
    assert result.confidence_score < clean.confidence_score


async def test_failure_without_alternative_replans_in_a_child_workflow(
    faulty: Callable[[], Any], contracts: list[str], client: Client
) -> None:
    """The search falls back to its alternative; the answer tool has none, so ReplanWorkflow
    children take over: the first tries it again (its errors were retryable), the second
    replaces it by a search + answer. Its history is kept for the replay test, which replays
    a history under its file name: the workflow id is that name, so the children's ids replay
    unchanged. (Threshold 0: the answer after two replans is not also compared with the
    direct path.)"""
    async with faulty() as sdk:
        handle = await sdk.start(
            QUESTION,
            contracts,
            workflow_id=RECORDED,
            config=QueryConfig(confidence_threshold=0.0),
            plan=plan_of(
                search("search_1", "broken_search"),
                answer("answer_1", "search_1", "broken_answer"),
                answer="answer_1",
            ),
        )
        result = await handle.result()
    summary = result.execution_summary
    assert result.status is QueryStatus.COMPLETED
    assert result.orchestrator_version == ORCHESTRATOR_VERSION and not summary.degraded
    assert "90 days" in result.answer
    assert summary.replans == 2 and summary.fallbacks == 1
    tried = [(s.step_id, s.tool, s.replan, s.status) for s in summary.steps]
    assert tried == [
        ("search_1", "search_documents", 0, StepStatus.COMPLETED),
        ("answer_1", "broken_answer", 0, StepStatus.FAILED),
        ("answer_1_r1", "broken_answer", 1, StepStatus.FAILED),
        ("answer_1_r1_r2_search", "search_documents", 2, StepStatus.COMPLETED),
        ("answer_1_r1_r2", "answer_question", 2, StepStatus.COMPLETED),
    ]
    assert step(result, "answer_1").error_type == "ToolBroken"
    for n in (1, 2):
        child = await client.get_workflow_handle(f"{handle.id}-replan-{n}").describe()
        assert child.workflow_type == "ReplanWorkflow"
        assert child.status is WorkflowExecutionStatus.COMPLETED
    history = await client.get_workflow_handle(handle.id).fetch_history()
    children = [
        e.child_workflow_execution_completed_event_attributes.workflow_execution.workflow_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED
    ]
    assert children == [f"{handle.id}-replan-1", f"{handle.id}-replan-2"]
    # 0.9 per replan on the answer
    assert result.confidence_score <= round(0.9**2, 4)
    await record_history(client, handle.id, RECORDED)


async def test_bad_input_is_replaced_at_the_first_replan(
    faulty: Callable[[], Any], contracts: list[str]
) -> None:
    plan = plan_of(Step(id="r", tool="reject", params={"key": "r"}), answer="r")
    async with faulty() as sdk:
        result = await sdk.run(
            QUESTION, contracts, plan=plan, config=QueryConfig(confidence_threshold=0.0)
        )
    assert result.execution_summary.replans == 1
    assert [(s.step_id, s.tool, s.status) for s in result.execution_summary.steps] == [
        ("r", "reject", StepStatus.FAILED),
        ("r_r1_search", "search_documents", StepStatus.COMPLETED),
        ("r_r1", "answer_question", StepStatus.COMPLETED),
    ]
    assert "90 days" in result.answer


async def test_exhausted_replans_degrade_to_the_direct_path_with_lower_confidence(
    faulty: Callable[[], Any], contracts: list[str], client: Client
) -> None:
    async with faulty() as sdk:
        clean = await sdk.run(QUESTION, contracts)
        handle = await sdk.start(
            QUESTION,
            contracts,
            config=QueryConfig(max_replans=1),
            plan=plan_of(
                search("search_1", "down_search"),
                answer("answer_1", "search_1", "broken_answer"),
                answer="answer_1",
            ),
        )
        result = await handle.result()
    summary = result.execution_summary
    # replan 1 tried the search again; it failed again, with no replan left
    assert summary.replans == 1
    assert (step(result, "search_1_r1").tool, step(result, "search_1_r1").status) == (
        "down_search",
        StepStatus.FAILED,
    )
    assert step(result, "answer_1").status is StepStatus.SKIPPED
    child = await client.get_workflow_handle(f"{handle.id}-replan-1").describe()
    assert child.status is WorkflowExecutionStatus.COMPLETED
    assert summary.degraded and summary.degraded_reason == "no answer after 1 replan(s)"
    assert result.orchestrator_version == DEGRADED_ORCHESTRATOR_VERSION == "1.0"
    assert step(result, "direct_answer").status is StepStatus.COMPLETED
    assert "90 days" in result.answer and result.citations
    assert 0 < result.confidence_score < clean.confidence_score


async def test_failed_branch_does_not_fail_its_sibling(
    faulty: Callable[[], Any], calls: InvocationLog, contracts: list[str]
) -> None:
    plan = plan_of(
        Step(id="a", tool="always_fail", params={"key": "a"}),
        Step(id="a2", tool="strict_note", params={"key": "a2", "inputs": ["$a.answer"]}),
        Step(id="r", tool="reject", params={"key": "r"}),
        Step(id="b", tool="note", params={"key": "b"}),
        Step(id="b2", tool="note", params={"key": "b2", "inputs": ["$b.answer"]}),
        Step(
            id="final",
            tool="note",
            params={"key": "final", "inputs": ["$a2.answer", "$r.answer", "$b2.answer"]},
        ),
        answer="final",
    )
    async with faulty() as sdk:
        result = await sdk.run(QUESTION, contracts, plan=plan, config=CALM)
    assert result.status is QueryStatus.COMPLETED
    assert result.answer == "note final (1 inputs)"
    assert step(result, "a").status is StepStatus.FAILED and step(result, "a").attempts == 3
    # bad input is not retried
    rejected = step(result, "r")
    assert (rejected.status, rejected.attempts, rejected.error_type) == (
        StepStatus.FAILED,
        1,
        "BadInput",
    )
    assert calls.count("reject") == 1 and calls.count("always_fail") == 3
    assert step(result, "a2").status is StepStatus.SKIPPED and calls.count("strict_note") == 0
    assert step(result, "b2").status is StepStatus.COMPLETED
    final = step(result, "final")
    assert final.status is StepStatus.COMPLETED and final.error == "ran without a2, r"
    assert final.confidence == pytest.approx(0.8)  # missing inputs
    not_run = result.execution_summary.not_run
    assert set(not_run) == {"a", "a2", "r"}
    assert not_run["a2"] == "missing input from a"


async def test_hung_tool_times_out_and_its_dependents_go_on(
    faulty: Callable[[], Any], calls: InvocationLog, contracts: list[str]
) -> None:
    plan = plan_of(
        Step(id="h", tool="hang", params={"key": "h"}),
        Step(id="ok", tool="note", params={"key": "ok"}),
        # accepts missing inputs, but has none left: skipped
        Step(id="only_h", tool="note", params={"key": "only_h", "inputs": ["$h.answer"]}),
        Step(
            id="final",
            tool="note",
            params={"key": "final", "inputs": ["$only_h.answer", "$ok.answer"]},
        ),
        answer="final",
    )
    async with faulty() as sdk:
        result = await sdk.run(QUESTION, contracts, plan=plan, config=CALM)
    hung = step(result, "h")
    # not idempotent, so one attempt; the timeout is its start-to-close (0.5 s)
    assert (hung.status, hung.error_type, hung.attempts) == (StepStatus.FAILED, "TimeoutError", 1)
    assert calls.count("hang") == 1
    assert step(result, "only_h").status is StepStatus.SKIPPED
    assert result.execution_summary.not_run["only_h"] == "missing input from h"
    assert step(result, "final").status is StepStatus.COMPLETED
    assert result.answer == "note final (1 inputs)"


# ---- control flow ----------------------------------------------------------------------------


async def test_false_condition_skips_the_step_and_says_why(
    faulty: Callable[[], Any], calls: InvocationLog, contracts: list[str]
) -> None:
    plan = plan_of(
        Step(id="items", tool="list_items", params={"key": "i", "n": 2}),
        Step(
            id="many",
            tool="note",
            params={"key": "many"},
            condition=Predicate(ref="$items.count", op=PredicateOp.GT, value=5),
        ),
        Step(
            id="few",
            tool="note",
            params={"key": "few"},
            condition=Predicate(ref="$items.count", op=PredicateOp.LE, value=5),
        ),
        Step(
            id="final",
            tool="note",
            params={"key": "final", "inputs": ["$many.answer", "$few.answer"]},
        ),
        answer="final",
    )
    async with faulty() as sdk:
        handle = await sdk.start(QUESTION, contracts, plan=plan, config=CALM)
        result = await handle.result()
        events = [e async for e in sdk.events(handle.id)]
    assert step(result, "many").status is StepStatus.SKIPPED
    assert result.execution_summary.not_run["many"] == "condition false: $items.count gt 5"
    assert step(result, "few").status is StepStatus.COMPLETED
    assert calls.count("note", key="many") == 0 and calls.count("note", key="few") == 1
    assert [e.step_id for e in events if e.kind is EventKind.STEP_SKIPPED] == ["many"]


async def test_for_each_fans_out_within_the_parallel_limit_and_max_items(
    faulty: Callable[[], Any], calls: InvocationLog, contracts: list[str], client: Client
) -> None:
    plan = plan_of(
        Step(id="items", tool="list_items", params={"key": "it", "n": 7}),
        Step(
            id="each",
            tool="slow",
            params={"key": "$item", "seconds": 0.3},
            for_each="$items.items",
            max_items=5,
        ),
        Step(id="final", tool="note", params={"key": "final", "inputs": ["$each.items"]}),
        answer="final",
    )
    async with faulty() as sdk:
        handle = await sdk.start(
            QUESTION, contracts, plan=plan, config=CALM.model_copy(update={"max_parallel_steps": 2})
        )
        result = await handle.result()
    each = step(result, "each")
    assert each.status is StepStatus.COMPLETED and each.iterations == 5
    assert result.answer == "note final (5 inputs)"
    assert sorted(key for key, _, _ in calls.spans("slow")) == [f"it-{i}" for i in range(5)]
    assert max_overlap(calls.spans("slow")) == 2
    assert result.execution_summary.max_concurrent_steps == 2
    ids = await activity_ids(client, handle.id)
    assert sorted(i for i in ids if i.startswith("each")) == [f"each[{i}]" for i in range(5)]


async def test_repeat_until_repeats_until_the_predicate_holds(
    faulty: Callable[[], Any], calls: InvocationLog, contracts: list[str], client: Client
) -> None:
    plan = plan_of(
        Step(
            id="grow",
            tool="count_up",
            params={"key": "g", "iteration": "$iteration"},
            repeat_until=Predicate(ref="$self.count", op=PredicateOp.GE, value=3),
            max_iterations=5,
        ),
        answer="grow",
    )
    async with faulty() as sdk:
        handle = await sdk.start(QUESTION, contracts, plan=plan, config=CALM)
        result = await handle.result()
    assert result.answer == "count 3" and step(result, "grow").iterations == 3
    assert calls.count("count_up") == 3
    assert [i for i in await activity_ids(client, handle.id) if i.startswith("grow")] == [
        "grow",
        "grow#2",
        "grow#3",
    ]


async def test_eager_scheduling_starts_a_step_before_a_slow_sibling_of_its_input_ends(
    faulty: Callable[[], Any], calls: InvocationLog, contracts: list[str]
) -> None:
    plan = plan_of(
        Step(id="a", tool="slow", params={"key": "a", "seconds": 0.1}),
        Step(id="b", tool="slow", params={"key": "b", "seconds": 1.2}),
        Step(id="c", tool="slow", params={"key": "c", "seconds": 0.1, "inputs": ["$a.answer"]}),
        Step(id="final", tool="note", params={"key": "f", "inputs": ["$b.answer", "$c.answer"]}),
        answer="final",
    )

    def window(key: str) -> tuple[float, float]:
        return next((s, e) for k, s, e in calls.spans("slow") if k == key)

    async with faulty() as sdk:
        eager = await sdk.run(QUESTION, contracts, plan=plan, config=CALM)
        assert window("c")[0] < window("b")[1]
        calls.entries.clear()
        calls.path.write_text("")  # type: ignore[union-attr]
        levels = await sdk.run(
            QUESTION, contracts, plan=plan, config=CALM.model_copy(update={"scheduling": "levels"})
        )
        assert window("c")[0] >= window("b")[1]
    assert (
        eager.execution_summary.levels
        == levels.execution_summary.levels
        == [["a", "b"], ["c"], ["final"]]
    )


async def test_at_most_max_parallel_steps_run_at_once(
    faulty: Callable[[], Any], calls: InvocationLog, contracts: list[str]
) -> None:
    wide = [
        Step(id=f"s{i}", tool="slow", params={"key": f"s{i}", "seconds": 0.25}) for i in range(6)
    ]
    plan = plan_of(
        *wide,
        Step(
            id="final",
            tool="note",
            params={"key": "f", "inputs": [f"${s.id}.answer" for s in wide]},
        ),
        answer="final",
    )
    async with faulty() as sdk:
        result = await sdk.run(
            QUESTION, contracts, plan=plan, config=CALM.model_copy(update={"max_parallel_steps": 3})
        )
    assert max_overlap(calls.spans("slow")) == 3
    assert result.execution_summary.max_concurrent_steps == 3
    assert result.answer == "note f (6 inputs)"


# ---- time and cancellation -------------------------------------------------------------------


def _slow_plan() -> dict[str, Any]:
    return plan_of(
        Step(id="quick", tool="note", params={"key": "quick"}),
        Step(id="long", tool="slow", params={"key": "long", "seconds": 30}),
        Step(
            id="final",
            tool="note",
            params={"key": "final", "inputs": ["$quick.answer", "$long.answer"]},
        ),
        answer="final",
    )


async def test_deadline_returns_a_partial_answer_with_what_finished(
    faulty: Callable[[], Any], calls: InvocationLog, contracts: list[str], client: Client
) -> None:
    async with faulty() as sdk:
        started = time.monotonic()
        handle = await sdk.start(
            QUESTION,
            contracts,
            plan=_slow_plan(),
            config=CALM.model_copy(update={"deadline_seconds": 1.5}),
        )
        result = await handle.result()
        elapsed = time.monotonic() - started
        await eventually(lambda: calls.outcomes("slow", "long") == ["cancelled"])
    assert result.status is QueryStatus.PARTIAL and elapsed < 5
    assert "note quick" in result.answer and result.answer.startswith("Partial answer")
    assert step(result, "long").status is StepStatus.CANCELLED
    assert result.execution_summary.degraded_reason == "deadline reached"
    assert result.execution_summary.not_run == {
        "long": "cancelled",
        "final": "not started: deadline reached",
    }
    assert 0 < result.confidence_score <= 0.5
    assert await cancel_requested(client, handle.id) == {"long"}


async def test_cancel_stops_in_flight_steps_and_returns_a_cancelled_result(
    faulty: Callable[[], Any], calls: InvocationLog, contracts: list[str], client: Client
) -> None:
    async with faulty() as sdk:
        handle = await sdk.start(QUESTION, contracts, plan=_slow_plan(), config=CALM)
        await eventually(lambda: calls.count("slow", key="long") == 1)

        async def quick_finished() -> bool:
            state = await sdk.state(handle.id)
            return any(s.step_id == "quick" for s in state.steps)

        await eventually(quick_finished)
        await sdk.cancel(handle.id)
        result = await handle.result()
        await eventually(lambda: calls.outcomes("slow", "long") == ["cancelled"])
    assert result.status is QueryStatus.CANCELLED
    assert step(result, "long").status is StepStatus.CANCELLED
    assert step(result, "quick").status is StepStatus.COMPLETED
    assert result.execution_summary.not_run == {
        "long": "cancelled",
        "final": "not started: cancelled",
    }
    assert await cancel_requested(client, handle.id) == {"long"}


# ---- a worker killed mid-query ---------------------------------------------------------------


@asynccontextmanager
async def worker_process(
    client: Client, settings: Settings, task_queue: str, calls: Path, *, on_cue: bool = False
) -> AsyncIterator[subprocess.Popen[str]]:
    """A docorch worker with the fault tools in a subprocess on the session's data directory
    (``tests.worker_process.spawn``)."""
    async with spawn(
        client.service_client.config.target_host,
        task_queue,
        data_dir=settings.data_dir,
        allowed_roots=settings.allowed_roots,
        calls=calls,
        on_cue=on_cue,
    ) as process:
        yield process


async def test_worker_killed_mid_query_resumes_without_rerunning_completed_steps(
    run_worker: WorkerFactory,
    client: Client,
    settings: Settings,
    contracts: list[str],
    tmp_path: Path,
) -> None:
    chain = [
        Step(
            id=f"s{i}",
            tool="slow",
            params={"key": f"s{i}", "seconds": 0.6, "inputs": [f"${prev}.count"]},
        )
        for i, prev in enumerate(["search_1", "s0", "s1"])
    ]
    plan = plan_of(
        search("search_1", "counted_search"),
        *chain,
        answer("answer_1", "search_1", "counted_answer", depends_on=("s2",)),
        answer="answer_1",
    )

    async def undisturbed_run() -> QueryResult:
        fault_tools.configure(tmp_path / "undisturbed.jsonl")
        async with run_worker(registry=fault_tools.fault_registry()) as sdk:
            return await sdk.run(QUESTION, contracts, plan=plan)

    undisturbed = asyncio.create_task(undisturbed_run())
    calls = tmp_path / "crash.jsonl"
    log = InvocationLog(calls)
    queue = f"crash-{uuid.uuid4().hex[:8]}"
    sdk = OrchestratorClient(client, task_queue=queue)
    # the replacement starts with the first (imports and connection out of the way) and polls
    # only once the first is dead: what is measured is Temporal's recovery, not Python's start
    async with (
        worker_process(client, settings, queue, calls) as first,
        worker_process(client, settings, queue, calls, on_cue=True) as second,
    ):
        handle = await sdk.start(QUESTION, contracts, plan=plan)
        await eventually(lambda: log.count("slow", key="s1") == 1, timeout=15)
        first.send_signal(signal.SIGKILL)
        first.wait()
        finished_before_kill = {
            (e["tool"], e["key"])
            for e in log.read()
            if e["event"] == "end" and e["outcome"] == "ok"
        }
        killed_at = time.monotonic()
        await cue(second)
        result = await asyncio.wait_for(handle.result(), 20)
        recovery = time.monotonic() - killed_at

    assert {("counted_search", QUESTION), ("slow", "s0")} <= finished_before_kill
    assert ("slow", "s1") not in finished_before_kill
    assert result.status is QueryStatus.COMPLETED
    clean = await undisturbed
    assert result.answer == clean.answer and "90 days" in result.answer
    assert result.citations == clean.citations
    for tool, key in finished_before_kill:
        assert log.count(tool, key=key) == 1, f"{tool} {key} ran again after the crash"
    assert log.count("slow", key="s1") == 2  # in flight at the kill: retried once
    assert log.count("slow", key="s2") == 1 and log.count("counted_answer") == 1
    # heartbeat timeout (1 s) + s1 again + the sticky queue timeout (1 s) + s2 + answer
    assert recovery < 8
