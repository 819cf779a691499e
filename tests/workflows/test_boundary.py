"""Nothing a client sends can wedge a workflow: bad input is refused by the SDK, and a client that
bypasses it (any Temporal client, plain JSON) is refused by the update validators or fails the
workflow at once with a clear error, never a workflow task that fails in a loop (the autouse
``no_failed_activations`` fixture checks that). On the real dev server."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from models.names import QUERY_WORKFLOW, SESSION_WORKFLOW
from models.query import QueryConfig
from models.session import SessionConfig
from tests.conftest import FailedActivations, WorkerFactory

pytestmark = pytest.mark.integration

GUARD_SECONDS = 60
"""A bound on waits that hung before the fix (not a timing assertion: a hang fails the test)."""


def _contracts(samples: Path) -> list[str]:
    return [str(samples / "contract_acme_globex.md"), str(samples / "contract_acme_initech.md")]


async def _update_events(handle: WorkflowHandle[Any, Any]) -> list[EventType.ValueType]:
    history = await handle.fetch_history()
    kinds = {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    }
    return [e.event_type for e in history.events if e.event_type in kinds]


def _failure_type(error: WorkflowFailureError | WorkflowUpdateFailedError) -> str | None:
    cause = error.cause
    return cause.type if isinstance(cause, ApplicationError) else None


# ---- the SDK refuses bad input before Temporal ------------------------------------------------


@pytest.mark.parametrize(
    ("question", "documents"),
    [("What is the fee?", ["", ""]), ("   ", ["contract.md"]), ("Fee?", [" " * 3])],
)
async def test_the_sdk_refuses_a_blank_question_or_document_name(
    run_worker: WorkerFactory, samples: Path, question: str, documents: list[str]
) -> None:
    async with run_worker() as sdk:
        session = await sdk.sessions.create(_contracts(samples))
        with pytest.raises(ValidationError):
            await sdk.sessions.ask(session, question, documents)
        with pytest.raises(ValidationError):
            await sdk.start(question, documents)
        # the session is unharmed and answers
        answer = await asyncio.wait_for(
            sdk.sessions.ask_and_wait(session, "What is the monthly fee?"), GUARD_SECONDS
        )
        await sdk.sessions.close(session)
    assert answer.answer


async def test_the_sdk_refuses_blank_session_documents(run_worker: WorkerFactory) -> None:
    async with run_worker() as sdk:
        with pytest.raises(ValidationError):
            await sdk.sessions.create(["  "])
        session = await sdk.sessions.create()
        with pytest.raises(ValidationError):
            await sdk.sessions.add_documents(session, ["", " "])
        await sdk.sessions.close(session)


@pytest.mark.parametrize(
    "config",
    [{"deadline_seconds": 1e300}, {"deadline_seconds": 1e-300}, {"max_llm_tokens": 10**30}],
)
def test_query_settings_beyond_what_temporal_accepts_are_refused(config: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        QueryConfig.model_validate(config)


@pytest.mark.parametrize(
    "config",
    [
        {"idle_timeout_seconds": 1e14},
        {"idle_timeout_seconds": float("inf")},
        {"continue_as_new_after_events": 10**9},
        {"max_turns_kept": 10**9},
    ],
)
def test_session_settings_beyond_what_temporal_accepts_are_refused(
    config: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError):
        SessionConfig.model_validate(config)


async def test_the_sdk_refuses_a_thousand_long_document_names(run_worker: WorkerFactory) -> None:
    names = [f"{'d' * 1000}-{i}.md" for i in range(1000)]
    async with run_worker() as sdk:
        with pytest.raises(ValidationError, match="bytes"):
            await sdk.start("What is the fee?", names)


# ---- any other client: refused by the validators, or the workflow fails at once -------------


async def _raw_session(
    client: Client, queue: str, documents: list[str]
) -> WorkflowHandle[Any, Any]:
    session_id = f"session-{uuid.uuid4()}"
    return await client.start_workflow(
        SESSION_WORKFLOW,
        {"session_id": session_id, "documents": documents},
        id=session_id,
        task_queue=queue,
    )


@pytest.mark.parametrize(
    "ask",
    [
        {"question": "What is the fee?", "documents": ["", ""]},
        {"question": "   "},
        {"question": "What is the fee?", "documents": ["x" * 5000]},
    ],
)
async def test_a_bad_ask_from_any_client_is_rejected_and_never_reaches_history(
    run_worker: WorkerFactory, client: Client, samples: Path, ask: dict[str, Any]
) -> None:
    async with run_worker() as sdk:
        handle = await _raw_session(client, sdk.task_queue, _contracts(samples))
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update("ask", ask)
        answer = await asyncio.wait_for(
            sdk.sessions.ask_and_wait(handle.id, "What is the monthly fee?"), GUARD_SECONDS
        )
        state = await sdk.sessions.close(handle.id)
    assert answer.answer
    assert [t.question for t in state.turns] == ["What is the monthly fee?"]
    # the rejection left no trace: only the good ask, the wait for its answer and the close
    events = await _update_events(handle)
    assert events.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) == 3
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED not in events


async def test_a_bad_ask_to_a_busy_session_leaves_the_running_answer_alone(
    run_worker: WorkerFactory, client: Client, samples: Path
) -> None:
    async with run_worker() as sdk:
        handle = await _raw_session(client, sdk.task_queue, _contracts(samples))
        first = await sdk.sessions.ask(handle.id, "What is the monthly fee?")
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update("ask", {"question": "Fee?", "documents": ["", " "]})
        answered = await asyncio.wait_for(sdk.sessions.result(handle.id, first), GUARD_SECONDS)
        second = await asyncio.wait_for(
            sdk.sessions.ask_and_wait(handle.id, "What is the governing law?"), GUARD_SECONDS
        )
        state = await sdk.sessions.close(handle.id)
    assert answered.answer and second.answer
    assert [t.status for t in state.turns] == ["completed", "completed"]


@pytest.mark.parametrize("documents", [["", " "], ["x" * 5000]])
async def test_bad_documents_added_by_any_client_are_rejected(
    run_worker: WorkerFactory, client: Client, samples: Path, documents: list[str]
) -> None:
    async with run_worker() as sdk:
        handle = await _raw_session(client, sdk.task_queue, _contracts(samples))
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update("add_documents", {"documents": documents})
        state = await sdk.sessions.close(handle.id)
    assert state.documents == _contracts(samples)


async def test_a_session_started_with_bad_state_fails_at_once(
    run_worker: WorkerFactory, client: Client
) -> None:
    async with run_worker() as sdk:
        handle = await _raw_session(client, sdk.task_queue, ["  "])
        with pytest.raises(WorkflowFailureError) as failed:
            await asyncio.wait_for(handle.result(), GUARD_SECONDS)
    assert _failure_type(failed.value) == "ValidationError"


@pytest.mark.parametrize(
    "config", [{"idle_timeout_seconds": 1e14}, {"continue_as_new_after_events": 10**12}]
)
async def test_a_session_with_settings_temporal_cannot_hold_fails_at_once(
    run_worker: WorkerFactory, client: Client, config: dict[str, Any]
) -> None:
    session_id = f"session-{uuid.uuid4()}"
    async with run_worker() as sdk:
        handle = await client.start_workflow(
            SESSION_WORKFLOW,
            {"session_id": session_id, "documents": ["a.md"], "config": config},
            id=session_id,
            task_queue=sdk.task_queue,
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await asyncio.wait_for(handle.result(), GUARD_SECONDS)
    assert _failure_type(failed.value) == "ValidationError"


@pytest.mark.parametrize(
    "request_json",
    [
        {"query": "What is the fee?", "documents": ["a.md"], "config": {"deadline_seconds": 1e300}},
        {"query": "What is the fee?", "documents": ["", " "]},
        {"query": "What is the fee?", "documents": [f"{'d' * 1000}-{i}.md" for i in range(1000)]},
    ],
)
async def test_a_query_any_client_starts_with_bad_input_fails_at_once(
    run_worker: WorkerFactory, client: Client, request_json: dict[str, Any]
) -> None:
    async with run_worker() as sdk:
        handle = await client.start_workflow(
            QUERY_WORKFLOW, request_json, id=f"query-{uuid.uuid4()}", task_queue=sdk.task_queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await asyncio.wait_for(handle.result(), GUARD_SECONDS)
    assert _failure_type(failed.value) == "ValidationError"


# ---- a deterministic bug fails the workflow, not its task forever -----------------------------


@workflow.defn(name="BuggyWorkflow", sandboxed=False)
class BuggyWorkflow:
    """A workflow with a bug that no retry of its task can cure."""

    @workflow.run
    async def run(self, key: str) -> str:
        settings: dict[str, str] = {}
        return settings[key]


async def test_a_deterministic_bug_fails_the_workflow_with_its_error(client: Client) -> None:
    queue = f"buggy-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[BuggyWorkflow]):
        with pytest.raises(WorkflowFailureError) as failed:
            await asyncio.wait_for(
                client.execute_workflow(
                    BuggyWorkflow.run, "timeout", id=f"buggy-{uuid.uuid4()}", task_queue=queue
                ),
                GUARD_SECONDS,
            )
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "KeyError" and "timeout" in cause.message


@workflow.defn(name="TaskFailingWorkflow", sandboxed=False)
class TaskFailingWorkflow:
    """Fails its task with an error that is not a failure type: Temporal retries the task."""

    @workflow.run
    async def run(self) -> str:
        raise RuntimeError("this task fails on every attempt")


@pytest.mark.failed_activations
async def test_the_fixture_sees_a_failed_workflow_activation(
    client: Client, no_failed_activations: FailedActivations
) -> None:
    """The control of ``no_failed_activations``: what it would fail any other test for."""
    queue = f"task-failing-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[TaskFailingWorkflow]):
        handle = await client.start_workflow(
            TaskFailingWorkflow.run, id=f"task-failing-{uuid.uuid4()}", task_queue=queue
        )

        async def recorded() -> None:
            while not no_failed_activations.records:
                await asyncio.sleep(0.05)

        await asyncio.wait_for(recorded(), GUARD_SECONDS)
        await handle.terminate("test over")
    assert "this task fails on every attempt" in no_failed_activations.report()
