"""The tool catalogue comes from the workers: ``OrchestratorClient.tools`` asks a worker of the
task queue (ToolCatalogWorkflow → describe_tools), so a client on another host lists the tools
that worker registered — custom ones included — with their step policies; with no worker it
fails within its timeout instead of waiting forever. On the real dev server."""

from __future__ import annotations

import pytest
from temporalio.client import Client, WorkflowFailureError

from activities.describe import tool_catalog
from activities.tools.catalog import default_registry
from client.sdk import OrchestratorClient
from models.names import DESCRIBE_TOOLS_ACTIVITY
from tests.client.tools import fault_registry
from tests.conftest import WorkerFactory
from tests.workflows.recording import record_history
from tests.workflows.test_resolve_and_plan import activity_calls

pytestmark = pytest.mark.integration


async def test_the_catalogue_is_the_workers_own(run_worker: WorkerFactory, client: Client) -> None:
    registry = fault_registry()
    async with run_worker(registry=registry) as sdk:
        catalog = await sdk.tools()
    names = catalog.names()
    assert names == registry.names() and names == sorted(names)
    assert "flaky_search" in names and "flaky_search" not in default_registry().names()
    assert catalog == tool_catalog(registry)
    broken = next(t for t in catalog.tools if t.name == "broken_search")
    assert broken.alternatives == ("search_documents",)
    assert broken.max_attempts == registry.policy("broken_search").max_attempts
    assert broken.start_to_close_seconds > 0 and broken.parameters["properties"]


async def test_the_catalogue_runs_one_activity_and_replays(
    run_worker: WorkerFactory, client: Client
) -> None:
    async with run_worker() as sdk:
        handle = await sdk.temporal.start_workflow(
            "ToolCatalogWorkflow", id="tools-replay", task_queue=sdk.task_queue
        )
        await handle.result()
    assert await activity_calls(client, handle.id) == [
        ("activity", DESCRIBE_TOOLS_ACTIVITY, DESCRIBE_TOOLS_ACTIVITY)
    ]
    await record_history(client, handle.id, "tool_catalog")


async def test_with_no_worker_the_catalogue_fails_within_its_timeout(client: Client) -> None:
    nobody = OrchestratorClient(client, task_queue="no-worker-polls-this")
    with pytest.raises(WorkflowFailureError):
        await nobody.tools(timeout_seconds=1)
