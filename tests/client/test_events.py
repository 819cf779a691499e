"""Live progress through the SDK: what the event log covers, resuming by offset, and how few
workflow updates following a query costs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from client.plugin import sandbox_restrictions
from models.events import EventKind, ProgressEvent
from models.query import QueryConfig
from tests.client.tools import fault_registry, replan_plan, retry_and_fallback_plan, slow_plan
from tests.conftest import WorkerFactory
from workflows import progress

pytestmark = pytest.mark.integration
QUESTION = "What is the notice period for termination for convenience?"


def _offsets(events: list[ProgressEvent]) -> list[int]:
    return [e.offset for e in events]


async def test_event_log_covers_plan_steps_and_final_answer(
    run_worker: WorkerFactory, samples: Path
) -> None:
    docs = [str(samples / "contract_acme_globex.md"), str(samples / "contract_acme_initech.md")]
    async with run_worker() as sdk:
        events = [e async for e in sdk.stream(QUESTION, docs)]
    assert _offsets(events) == list(range(len(events)))
    plan = events[0]
    assert plan.kind is EventKind.PLAN_CREATED
    assert plan.data.query_type == "qa" and plan.data.strategy and plan.data.levels
    assert plan.message  # the plan's reasoning
    kinds = [e.kind for e in events]
    for kind in (EventKind.STEP_SCHEDULED, EventKind.STEP_STARTED, EventKind.STEP_COMPLETED):
        assert kind in kinds
    completed = [e for e in events if e.kind is EventKind.STEP_COMPLETED]
    assert all(
        e.data.confidence is not None and 0 <= e.data.confidence <= 1 and e.step_id and e.tool
        for e in completed
    )
    assert events[-1].kind is EventKind.FINAL_ANSWER and events[-1].is_final
    assert events[-1].data.confidence is not None


async def test_fallbacks_are_events_and_retries_do_not_break_the_stream(
    run_worker: WorkerFactory, samples: Path
) -> None:
    docs = [str(samples / "contract_acme_globex.md")]
    config = QueryConfig(confidence_threshold=0.0)
    async with run_worker(registry=fault_registry()) as sdk:
        plan = retry_and_fallback_plan(QUESTION)
        events = [e async for e in sdk.stream(QUESTION, docs, plan=plan, config=config)]
    fell_back = [e for e in events if e.kind is EventKind.STEP_FELL_BACK]
    assert [(e.step_id, e.tool, e.data.failed_tool) for e in fell_back] == [
        ("search_b", "search_documents", "broken_search")
    ]
    flaky = next(
        e for e in events if e.kind is EventKind.STEP_COMPLETED and e.step_id == "search_a"
    )
    assert flaky.data.attempts == 2
    assert events[-1].kind is EventKind.FINAL_ANSWER


async def test_a_document_error_is_not_the_end_of_the_stream(
    run_worker: WorkerFactory, samples: Path, docs_dir: Path
) -> None:
    docs = [str(samples / "contract_acme_globex.md"), str(docs_dir / "missing.md")]
    async with run_worker() as sdk:
        events = [e async for e in sdk.stream("What is the monthly fee?", docs)]
    errors = [e for e in events if e.kind is EventKind.ERROR]
    assert errors and not errors[0].is_final and errors[0].data.fatal is False
    assert events[-1].kind is EventKind.FINAL_ANSWER


async def test_a_reader_resumes_from_its_offset_without_gaps_or_duplicates(
    run_worker: WorkerFactory, samples: Path
) -> None:
    docs = [str(samples / "contract_acme_globex.md")]
    config = QueryConfig(confidence_threshold=0.0)
    async with run_worker(registry=fault_registry()) as sdk:
        handle = await sdk.start(
            QUESTION, docs, plan=retry_and_fallback_plan(QUESTION), config=config
        )
        first: list[ProgressEvent] = []
        async for event in sdk.events(handle.id):
            first.append(event)
            if len(first) == 3:
                break  # the reader goes away mid-query
        rest = [e async for e in sdk.events(handle.id, after=first[-1].offset)]
        combined = first + rest
        assert _offsets(combined) == list(range(len(combined)))
        assert combined[-1].kind is EventKind.FINAL_ANSWER
        # after the query finished: the same log, from the start and from any offset
        await handle.result()
        again = [e async for e in sdk.events(handle.id)]
        assert again == combined
        assert [e async for e in sdk.events(handle.id, after=5)] == combined[6:]
        assert [e async for e in sdk.events(handle.id, after=combined[-1].offset)] == []


async def test_following_a_query_costs_few_updates_even_with_many_readers(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    docs = [str(samples / "q3_operations_report.md"), str(samples / "steering_meeting_notes.txt")]
    async with run_worker() as sdk:
        handle = await sdk.start("Summarize these documents", docs)

        async def read() -> list[ProgressEvent]:
            # blocking on the update whenever current (by default only after a long wait)
            return [e async for e in sdk.events(handle.id, wait_update_after=0.0)]

        logs = await asyncio.gather(*(read() for _ in range(5)))
        await handle.result()
    assert all(log == logs[0] for log in logs)
    history = await client.get_workflow_handle(handle.id).fetch_history()
    accepted = [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    # readers at the same offset share one update; at most one per batch of new events
    assert len(accepted) <= len(logs[0])
    assert len(
        {
            e.workflow_execution_update_accepted_event_attributes.protocol_instance_id
            for e in accepted
        }
    ) == len(accepted)


async def test_failures_skips_and_replans_are_events(
    run_worker: WorkerFactory, samples: Path
) -> None:
    docs = [str(samples / "contract_acme_globex.md")]
    plan = replan_plan(QUESTION)
    never = {"ref": "$search.count", "op": "lt", "value": 0}
    extra = {
        "id": "extra",
        "tool": "search_documents",
        "description": "never runs",
        "params": {"query": "$input.query", "documents": "$input.documents"},
        "condition": never,
    }
    middle = {  # answer_question runs without the skipped input
        "id": "middle",
        "tool": "answer_question",
        "description": "a first answer",
        "params": {"question": "$input.query", "passages": ["$search.passages", "$extra.passages"]},
    }
    plan["steps"][1:1] = [extra, middle]
    plan["steps"][-1]["params"]["passages"] = "$middle.passages"
    async with run_worker(registry=fault_registry()) as sdk:
        events = [e async for e in sdk.stream(QUESTION, docs, plan=plan)]
    by_kind = {e.kind: e for e in events}
    assert by_kind[EventKind.STEP_SKIPPED].step_id == "extra"
    assert "condition false" in by_kind[EventKind.STEP_SKIPPED].message
    assert by_kind[EventKind.STEP_FAILED].step_id == "answer"
    assert by_kind[EventKind.STEP_FAILED].data.error_type == "BadInput"
    assert by_kind[EventKind.REPLAN_STARTED].data.attempt == 1
    assert by_kind[EventKind.REPLAN_FINISHED].data.ok is True
    assert events[-1].kind is EventKind.FINAL_ANSWER


async def test_readers_fall_back_to_the_query_once_the_update_budget_is_spent(
    run_worker: WorkerFactory, samples: Path, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "MAX_WAIT_UPDATES", 1)
    # the sandbox imports workflow code afresh for each run; this worker shares the patched
    # module with its workflows instead
    patched = sandbox_restrictions().with_passthrough_modules("workflows.progress")
    runner = SandboxedWorkflowRunner(restrictions=patched)
    docs = [str(samples / "contract_acme_globex.md")]
    async with run_worker(registry=fault_registry(), workflow_runner=runner) as sdk:
        handle = await sdk.start(QUESTION, docs, plan=slow_plan(QUESTION, seconds=0.5))
        # a reader that blocks on the update whenever it is current (not after a long wait)
        events = [e async for e in sdk.events(handle.id, wait_update_after=0.0)]
    assert _offsets(events) == list(range(len(events)))
    assert events[-1].kind is EventKind.FINAL_ANSWER
    history = await client.get_workflow_handle(handle.id).fetch_history()
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    assert sum(1 for e in history.events if e.event_type == accepted) == 1
