"""Builds and runs one docorch Worker: task queue, workflows, the registry's activities, tuning.
The converter, the sandbox and the failure types come from the docorch plugin (``client.plugin``),
inherited from the client ``connect`` made.

python -m worker            # or: docorch worker
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.plugin import SimplePlugin
from temporalio.worker import Plugin as WorkerPlugin
from temporalio.worker import Worker, WorkflowRunner

from activities import context as tool_context
from activities.describe import ToolDescriptions
from activities.ingest import DocumentActivities
from activities.planning.activity import Planner
from activities.registry import ToolRegistry
from activities.resolve_and_plan import ResolveAndPlan
from activities.tools.catalog import default_registry, registry_with
from client.connection import connect
from client.logs import configure_logging
from client.plugin import DocorchPlugin, has_plugin
from client.visibility import enable_search_attributes
from models.settings import Settings
from models.tools import ToolExtensionError
from store import StoreError, open_store
from workflows.catalog import ToolCatalogWorkflow
from workflows.ingest import IngestWorkflow
from workflows.preview import PlanPreviewWorkflow
from workflows.query import QueryWorkflow
from workflows.replan import ReplanWorkflow
from workflows.session import SessionWorkflow

log = structlog.get_logger(__name__)

STICKY_TIMEOUT = timedelta(seconds=1)
"""A workflow task waits this long for the worker that ran the workflow last (its cache holds
the workflow) before any worker takes it, replaying the history. After a worker dies, every
workflow it held pays this once: bench/recovery.py measured 2 s of a 5.8 s recovery (the
SDK's default is 10 s)."""
HEARTBEAT_THROTTLE = timedelta(seconds=1)
"""The SDK sends an activity's heartbeats at most every 0.8 × its heartbeat timeout; at most
this long apart here, so a 2 s timeout (resolve, planning) keeps a second of slack and the
server holds checkpoints at most a second old."""

WORKFLOWS: Sequence[type] = (
    QueryWorkflow,
    ReplanWorkflow,
    SessionWorkflow,
    IngestWorkflow,
    PlanPreviewWorkflow,
    ToolCatalogWorkflow,
)


def build_worker(
    client: Client,
    settings: Settings,
    *,
    registry: ToolRegistry | None = None,
    task_queue: str | None = None,
    extra_activities: Sequence[Any] = (),
    max_concurrent_activities: int | None = None,
    workflow_runner: WorkflowRunner | None = None,
) -> Worker:
    """A worker for docorch's workflows and every registered tool, on ``task_queue``. A client
    connected without the docorch plugin gets it here (its data converter must still be
    docorch's: ``client.plugin.data_converter``). ``workflow_runner`` replaces docorch's
    sandbox (benchmarks and debuggers; production workers keep the default)."""
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=list(WORKFLOWS),
        activities=[
            *worker_activities(registry or default_registry(), settings),
            *extra_activities,
        ],
        plugins=_plugins(client, workflow_runner),
        max_concurrent_activities=max_concurrent_activities or settings.max_concurrent_activities,
        # a crashed worker's sticky queue is abandoned quickly so another worker takes over
        sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
        graceful_shutdown_timeout=timedelta(seconds=2),
    )


def worker_activities(registry: ToolRegistry, settings: Settings) -> list[Callable[..., Any]]:
    """Every activity a docorch worker runs: planning, resolving documents, both in one,
    describing its tools, and the registry's tools; the tools' context (store, settings) is
    installed for them."""
    context = tool_context.install(settings)
    planner = Planner(registry)
    documents = DocumentActivities(context)
    return [
        planner.plan_query,
        documents.resolve_documents,
        ResolveAndPlan(documents, planner).resolve_and_plan,
        ToolDescriptions(registry).describe_tools,
        *registry.activities(),
    ]


def serving_registry(settings: Settings) -> ToolRegistry:
    """The tools a serving worker runs: the built-in ones and those of the settings' tool
    extensions (DOCORCH_TOOLS). Raises ToolExtensionError (``models.tools``) naming an
    extension that fails: call it before connecting anywhere, so that a broken extension
    stops a process before it starts a server."""
    return registry_with(settings.tools)


async def serving_worker(
    client: Client, settings: Settings, registry: ToolRegistry | None = None
) -> Worker:
    """The worker a process serves docorch with (``docorch worker``, the embedded runtime):
    ``build_worker`` with the settings' task queue and ``registry`` (by default
    ``serving_registry``), after turning the upserts of docorch's search attributes on where
    the namespace has them registered."""
    await enable_search_attributes(client)
    return build_worker(client, settings, registry=registry or serving_registry(settings))


def _plugins(client: Client, workflow_runner: WorkflowRunner | None) -> list[WorkerPlugin]:
    """The docorch plugin unless the client brings it; then, last so that it wins, a runner
    that replaces docorch's sandbox."""
    plugins: list[WorkerPlugin] = [] if has_plugin(client) else [DocorchPlugin()]
    if workflow_runner is not None:
        plugins.append(SimplePlugin("docorch-workflow-runner", workflow_runner=workflow_runner))
    return plugins


async def run_worker(settings: Settings | None = None, *, address: str | None = None) -> None:
    """Connect (TEMPORAL_ADDRESS / profiles, or ``address``) and run a worker until stopped."""
    settings = settings or Settings()
    configure_logging(settings.log_format)
    try:
        open_store(settings)  # an unreachable store stops the worker here, in one line
    except StoreError as error:
        raise SystemExit(f"docorch worker: {error}") from None
    try:
        registry = serving_registry(settings)
    except ToolExtensionError as error:  # the worker's own tools: one line, no traceback
        raise SystemExit(f"docorch worker: {error}") from None
    client = await connect(settings, address=address)
    worker = await serving_worker(client, settings, registry)
    log.info(
        "worker_started",
        task_queue=settings.task_queue,
        address=client.service_client.config.target_host,
    )
    await worker.run()


if __name__ == "__main__":
    asyncio.run(run_worker())
