"""Resolving and planning before the first step, on the real dev server: over stored documents
a local activity plans in the workflow's first task (no round trip before the first step); a
document to ingest makes it defer to the resolve_and_plan activity; beyond one batch the
resolve batches then plan_query run; when planning fails the query resolves its documents apart
and takes the direct path."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Replayer, Worker

from activities import context as tool_context
from activities.ingest import DocumentActivities
from activities.planning.activity import Planner
from activities.tools.catalog import default_registry
from client.markers import local_activity
from client.plugin import DocorchPlugin
from client.sdk import OrchestratorClient
from client.trace import trace
from models.names import PLAN_ACTIVITY, QUERY_WORKFLOW, RESOLVE_ACTIVITY, RESOLVE_AND_PLAN_ACTIVITY
from models.query import DEGRADED_ORCHESTRATOR_VERSION, QueryRequest, QueryResult, QueryStatus
from models.resolve_and_plan import ResolveAndPlanRequest, ResolveAndPlanResult
from models.settings import Settings
from tests.conftest import WorkerFactory
from tests.workflows.recording import record_history, version_markers
from worker import WORKFLOWS
from workflows.planning import ONE_ACTIVITY_PATCH, RESOLVE_BATCH

pytestmark = pytest.mark.integration

QUESTION = "What is the notice period for termination for convenience?"


def _contracts(samples: Path) -> list[str]:
    return [str(samples / "contract_acme_globex.md"), str(samples / "contract_acme_initech.md")]


async def activity_calls(client: Client, workflow_id: str) -> list[tuple[str, str, str]]:
    """("local" or "activity", activity type, activity id) of every activity the workflow ran
    or scheduled, in history order."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    calls = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            a = event.activity_task_scheduled_event_attributes
            calls.append(("activity", a.activity_type.name, a.activity_id))
        elif (local := local_activity(event)) is not None:
            calls.append(("local", local[0], local[1]))
    return calls


def _new_contract(docs_dir: Path, samples: Path) -> str:
    """A copy of a sample contract with bytes no other test has stored."""
    path = docs_dir / f"contract-{uuid.uuid4().hex[:8]}.md"
    text = (samples / "contract_acme_globex.md").read_text()
    path.write_text(f"{text}\n\nReference {uuid.uuid4()}.\n")
    return str(path)


async def test_stored_documents_are_planned_in_the_first_workflow_task(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    async with run_worker() as sdk:
        await sdk.ingest(_contracts(samples))
        handle = await sdk.start(QUESTION, _contracts(samples))
        result = await handle.result()
        shown = await trace(client, handle.id)
    assert result.status is QueryStatus.COMPLETED and "90 days" in result.answer
    assert result.execution_summary.documents_covered == 2
    calls = await activity_calls(client, handle.id)
    assert calls[0] == ("local", RESOLVE_AND_PLAN_ACTIVITY, "plan")
    assert [kind for kind, _, _ in calls[1:]] == ["activity"] * (len(calls) - 1)
    assert {name for _, name, _ in calls[1:]} & {RESOLVE_AND_PLAN_ACTIVITY, PLAN_ACTIVITY} == set()
    # the trace reads the plan from the local activity: every step row has its level
    assert shown.rows and all(row.level is not None for row in shown.rows)


async def test_a_document_to_ingest_defers_to_the_activity(
    run_worker: WorkerFactory, samples: Path, docs_dir: Path, client: Client
) -> None:
    documents = [_new_contract(docs_dir, samples), _contracts(samples)[1]]
    async with run_worker() as sdk:
        handle = await sdk.start(QUESTION, documents)
        result = await handle.result()
    assert result.status is QueryStatus.COMPLETED and "90 days" in result.answer
    assert result.execution_summary.documents_covered == 2
    assert (await activity_calls(client, handle.id))[:2] == [
        ("local", RESOLVE_AND_PLAN_ACTIVITY, "plan"),
        ("activity", RESOLVE_AND_PLAN_ACTIVITY, "plan"),
    ]
    await record_history(client, handle.id, "qa_new_document_protocol2")


async def test_more_documents_than_one_batch_are_resolved_in_batches_then_planned(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    globex, initech = _contracts(samples)
    async with run_worker() as sdk:
        handle = await sdk.start(QUESTION, [globex] * RESOLVE_BATCH + [initech])
        result = await handle.result()
    assert result.status is QueryStatus.COMPLETED and "90 days" in result.answer
    assert result.execution_summary.documents_covered == 2  # same bytes, same id: once
    calls = await activity_calls(client, handle.id)
    assert calls[:3] == [
        ("activity", RESOLVE_ACTIVITY, "resolve_1"),
        ("activity", RESOLVE_ACTIVITY, "resolve_2"),
        ("activity", PLAN_ACTIVITY, "plan"),
    ]
    assert RESOLVE_AND_PLAN_ACTIVITY not in {name for _, name, _ in calls}


@activity.defn(name=RESOLVE_AND_PLAN_ACTIVITY)
async def broken_resolve_and_plan(request: ResolveAndPlanRequest) -> ResolveAndPlanResult:
    """Stands in for resolve_and_plan (local and not): the planner is down for good."""
    raise ApplicationError("the planner is down", type="PlannerDown", non_retryable=True)


@contextlib.asynccontextmanager
async def worker_with_broken_planning(
    client: Client, settings: Settings
) -> AsyncIterator[OrchestratorClient]:
    """docorch's workflows and activities, but resolve_and_plan always fails."""
    registry = default_registry()
    planner = Planner(registry)
    documents = DocumentActivities(tool_context.install(settings))
    queue = f"test-{uuid.uuid4().hex[:8]}"
    activities: list[Callable[..., Any]] = [
        planner.plan_query,
        documents.resolve_documents,
        broken_resolve_and_plan,
        *registry.activities(),
    ]
    async with Worker(client, task_queue=queue, workflows=list(WORKFLOWS), activities=activities):
        yield OrchestratorClient(client, task_queue=queue)


async def test_when_the_one_activity_fails_the_documents_are_resolved_apart_and_the_query_degrades(
    samples: Path, client: Client, settings: Settings
) -> None:
    async with worker_with_broken_planning(client, settings) as sdk:
        handle = await sdk.start(QUESTION, _contracts(samples))
        result = await handle.result()
        events = [e async for e in sdk.events(handle.id)]
    assert result.orchestrator_version == DEGRADED_ORCHESTRATOR_VERSION
    assert result.execution_summary.degraded
    assert result.execution_summary.degraded_reason == "planning failed"
    assert "90 days" in result.answer
    assert any(e.message == "planning failed: the planner is down" for e in events)
    assert (await activity_calls(client, handle.id))[:4] == [
        ("local", RESOLVE_AND_PLAN_ACTIVITY, "plan"),
        ("activity", RESOLVE_AND_PLAN_ACTIVITY, "plan"),
        ("activity", RESOLVE_ACTIVITY, "resolve_1"),
        ("activity", PLAN_ACTIVITY, "plan_direct"),
    ]


async def test_docorchs_clients_plan_in_one_activity_without_a_version_marker(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    async with run_worker() as sdk:
        await sdk.ingest(_contracts(samples))
        handle = await sdk.start(QUESTION, _contracts(samples))  # protocol 2
        assert (await handle.result()).status is QueryStatus.COMPLETED
        # a client that does not say its protocol: the same path, behind the marker
        plain = await client.start_workflow(
            QUERY_WORKFLOW,
            QueryRequest(query=QUESTION, documents=tuple(_contracts(samples))),
            id=f"query-{uuid.uuid4()}",
            task_queue=sdk.task_queue,
            result_type=QueryResult,
        )
        assert (await plain.result()).status is QueryStatus.COMPLETED
    for workflow_id in (handle.id, plain.id):
        assert (await activity_calls(client, workflow_id))[0] == (
            "local",
            RESOLVE_AND_PLAN_ACTIVITY,
            "plan",
        )
    ours = await record_history(client, handle.id, "qa_stored_contracts_protocol2")
    theirs = await client.get_workflow_handle(plain.id).fetch_history()
    # (the upsert of docorch's search attributes, when a test turned them on, has its own)
    assert [m for m in version_markers(ours) if ONE_ACTIVITY_PATCH in m] == []
    assert version_markers(theirs)[:2] == [
        f"marker {ONE_ACTIVITY_PATCH}",
        f"upsert {ONE_ACTIVITY_PATCH}",
    ]
    replayer = Replayer(workflows=list(WORKFLOWS), plugins=[DocorchPlugin.configured(Settings())])
    for history in (ours, theirs):
        await replayer.replay_workflow(history)
