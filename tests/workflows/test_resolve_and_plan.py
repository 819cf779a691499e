"""Resolving and planning before the first step, on the real dev server: one resolve_and_plan
activity when the documents fit one batch, the resolve batches then plan_query beyond; when the
one activity fails, the query resolves its documents apart and takes the direct path."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities import context as tool_context
from activities.ingest import DocumentActivities
from activities.planning.activity import Planner
from activities.tools.catalog import default_registry
from client.sdk import OrchestratorClient
from models.names import PLAN_ACTIVITY, RESOLVE_ACTIVITY, RESOLVE_AND_PLAN_ACTIVITY
from models.query import DEGRADED_ORCHESTRATOR_VERSION, QueryStatus
from models.resolve_and_plan import ResolveAndPlanRequest, ResolveAndPlanResult
from models.settings import Settings
from tests.conftest import WorkerFactory
from tests.workflows.test_ingest import scheduled_activities
from worker import WORKFLOWS
from workflows.planning import RESOLVE_BATCH

pytestmark = pytest.mark.integration

QUESTION = "What is the notice period for termination for convenience?"


def _contracts(samples: Path) -> list[str]:
    return [str(samples / "contract_acme_globex.md"), str(samples / "contract_acme_initech.md")]


async def test_documents_that_fit_one_batch_are_resolved_and_planned_in_one_activity(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    async with run_worker() as sdk:
        handle = await sdk.start(QUESTION, _contracts(samples))
        result = await handle.result()
    assert result.status is QueryStatus.COMPLETED and "90 days" in result.answer
    assert result.execution_summary.documents_covered == 2
    before_steps = (await scheduled_activities(client, handle.id))[:1]
    assert before_steps == [(RESOLVE_AND_PLAN_ACTIVITY, "plan")]


async def test_more_documents_than_one_batch_are_resolved_in_batches_then_planned(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    globex, initech = _contracts(samples)
    async with run_worker() as sdk:
        handle = await sdk.start(QUESTION, [globex] * RESOLVE_BATCH + [initech])
        result = await handle.result()
    assert result.status is QueryStatus.COMPLETED and "90 days" in result.answer
    assert result.execution_summary.documents_covered == 2  # same bytes, same id: once
    scheduled = await scheduled_activities(client, handle.id)
    assert scheduled[:3] == [
        (RESOLVE_ACTIVITY, "resolve_1"),
        (RESOLVE_ACTIVITY, "resolve_2"),
        (PLAN_ACTIVITY, "plan"),
    ]
    assert RESOLVE_AND_PLAN_ACTIVITY not in {kind for kind, _ in scheduled}


@activity.defn(name=RESOLVE_AND_PLAN_ACTIVITY)
async def broken_resolve_and_plan(request: ResolveAndPlanRequest) -> ResolveAndPlanResult:
    """Stands in for resolve_and_plan: the planner is down for good."""
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
    activities = [
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
    scheduled = await scheduled_activities(client, handle.id)
    assert scheduled[:3] == [
        (RESOLVE_AND_PLAN_ACTIVITY, "plan"),
        (RESOLVE_ACTIVITY, "resolve_1"),
        (PLAN_ACTIVITY, "plan_direct"),
    ]
