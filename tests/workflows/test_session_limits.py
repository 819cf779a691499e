"""A session's state stays within MAX_SESSION_STATE_BYTES however its clients use it: asks that
would pass it are refused while the queue drains (SessionBusy), and continue-as-new carries only
the recent turns that fit. On the real dev server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from models.limits import MAX_DOCUMENT_NAMES_BYTES, MAX_SESSION_STATE_BYTES, json_bytes
from models.names import QUERY_WORKFLOW
from models.query import QueryRequest, QueryResult
from models.session import SessionConfig, SessionState
from tests.conftest import WorkerFactory
from workflows.session import CARRIED_BYTES, SessionWorkflow

pytestmark = pytest.mark.integration


def _long_names(tag: str) -> list[str]:
    """Document ids (never ingested) that take most of a request's budget."""
    return [f"{tag}-{i}-{'x' * 1000}" for i in range(MAX_DOCUMENT_NAMES_BYTES // 1020)]


@workflow.defn(name=QUERY_WORKFLOW, sandboxed=False)
class UnansweredQuery:
    """Stands in for QueryWorkflow: never answers, so the session's queue never drains."""

    @workflow.run
    async def run(self, request: QueryRequest) -> QueryResult:
        await workflow.wait_condition(lambda: False)
        raise AssertionError("unreachable")


async def test_asks_that_would_overfill_a_busy_session_are_refused(client: Client) -> None:
    queue = f"busy-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client, task_queue=queue, workflows=[SessionWorkflow, UnansweredQuery]
    ) as worker:
        session_id = f"session-{uuid.uuid4()}"
        handle = await client.start_workflow(
            SessionWorkflow.run,
            SessionState(session_id=session_id, documents=_long_names("active")),
            id=session_id,
            task_queue=worker.task_queue,
        )
        accepted = 0
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            for n in range(20):
                await handle.execute_update("ask", {"question": f"Question {n}?"})
                accepted += 1
        state: SessionState = await handle.query(SessionWorkflow.snapshot)
        await handle.terminate("test over")
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "SessionBusy"
    assert 2 <= accepted < 20
    assert len(state.turns) == accepted
    assert json_bytes(state) <= MAX_SESSION_STATE_BYTES


def _long_paths(root: Path) -> list[str]:
    """Small files whose paths take most of a request's budget (about 950 characters each)."""
    folder = root.joinpath(*(f"{n}{'d' * 199}" for n in range(4)))
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(MAX_DOCUMENT_NAMES_BYTES // (len(str(folder)) + 120)):
        path = folder / f"{i:03d}-{'f' * 100}.txt"
        path.write_text(f"Note {i}: the monthly fee is {100 + i} EUR.\n")
        paths.append(str(path))
    return paths


async def test_a_session_of_large_turns_continues_as_new_within_its_budget(
    run_worker: WorkerFactory, docs_dir: Path
) -> None:
    """Every turn names 60 KiB of documents; the state passes half the budget after a few
    turns and the next run carries the latest turns that fit."""
    async with run_worker() as sdk:
        session = await sdk.sessions.create(
            _long_paths(docs_dir), config=SessionConfig(max_turns_kept=100)
        )
        asked: list[str] = []
        for n in range(8):
            query_id = await sdk.sessions.ask(session, f"What is the monthly fee ({n})?")
            await sdk.sessions.result(session, query_id)
            asked.append(query_id)
            state = await sdk.sessions.state(session)
            if state.runs >= 2:
                break
        await sdk.sessions.close(session)
    assert state.runs >= 2, "the session never continued as new"
    assert json_bytes(state) <= CARRIED_BYTES + json_bytes(state.turns[-1])
    assert [t.query_workflow_id for t in state.turns] == asked[-len(state.turns) :]
    assert len(state.turns) < len(asked)
