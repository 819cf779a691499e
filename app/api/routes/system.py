"""GET /health (no auth), /system/status, /system/orchestrator, /system/state and /metrics."""

from __future__ import annotations

import asyncio
import platform
import time
from datetime import UTC, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx
from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import PollerInfo, TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, GetSystemInfoRequest

from app.api.context import ApiContext, Ctx
from app.api.errors import ApiError
from app.api.schemas import (
    OrchestratorInfo,
    Poller,
    SystemStatus,
    TemporalStatus,
    WorkerStatus,
)
from app.state import state_summary
from models.query import ORCHESTRATOR_VERSION, QueryConfig, Strategy
from models.state import StateSummary
from models.tools import ToolCatalog
from workflows import search_attributes

router = APIRouter(tags=["system"])
RPC_TIMEOUT = timedelta(seconds=3)

CAPABILITIES = [
    "question answering with citations that quote the documents",
    "summaries, comparisons, extraction and analysis over many documents",
    "plans as validated DAGs of tool steps, run durably on Temporal",
    "retries, alternative tools, replanning and a degraded direct path",
    "live progress events, resumable by offset (SSE)",
    "execution traces from the Temporal history",
    "sessions with follow-up questions",
]
STRATEGIES = {
    Strategy.SIMPLE.value: "one pass over all documents",
    Strategy.PARALLEL.value: "fan out per document, then combine",
    Strategy.ADAPTIVE.value: "a template when one fits well, the LLM planner otherwise",
    Strategy.COMPREHENSIVE.value: "every analysis tool, per document",
}
SCHEDULING = {
    "eager": "start a step as soon as its inputs are ready",
    "levels": "run level by level",
}


@router.get("/health", summary="Liveness (no authentication, no Temporal call)")
async def health() -> dict[str, str]:
    return {"status": "ok"}


def _pollers(pollers: list[PollerInfo]) -> list[Poller]:
    return [
        Poller(
            identity=p.identity,
            last_access_time=p.last_access_time.ToDatetime(tzinfo=UTC)
            if p.HasField("last_access_time")
            else None,
        )
        for p in pollers
    ]


async def _workers(ctx: ApiContext) -> WorkerStatus:
    client = ctx.sdk.temporal
    status = WorkerStatus(task_queue=ctx.sdk.task_queue, polling=False)
    try:
        workflow_q, activity_q = await asyncio.gather(
            *(
                client.workflow_service.describe_task_queue(
                    DescribeTaskQueueRequest(
                        namespace=client.namespace,
                        task_queue=TaskQueue(name=ctx.sdk.task_queue),
                        task_queue_type=kind,
                    ),
                    timeout=RPC_TIMEOUT,
                )
                for kind in (
                    TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                    TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
                )
            )
        )
    except Exception as error:
        status.error = str(error) or type(error).__name__
        return status
    status.workflow_pollers = _pollers(list(workflow_q.pollers))
    status.activity_pollers = _pollers(list(activity_q.pollers))
    status.polling = bool(status.workflow_pollers and status.activity_pollers)
    return status


async def _temporal(ctx: ApiContext) -> TemporalStatus:
    client = ctx.sdk.temporal
    status = TemporalStatus(
        reachable=False,
        address=ctx.address,
        namespace=client.namespace,
        search_attributes=search_attributes.enabled(),
    )
    try:
        info = await client.workflow_service.get_system_info(
            GetSystemInfoRequest(), timeout=RPC_TIMEOUT
        )
    except Exception as error:
        status.error = str(error) or type(error).__name__
        return status
    status.reachable = True
    status.server_version = info.server_version or None
    return status


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("docorch", "temporalio", "fastapi", "pydantic"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "unknown"
    return found


@router.get("/system/status", response_model=SystemStatus)
async def system_status(ctx: Ctx) -> SystemStatus:
    """Is Temporal reachable, are workers polling the task queue, what do the registry and the
    document store hold, which versions run."""
    temporal, workers, documents = await asyncio.gather(
        _temporal(ctx), _workers(ctx), asyncio.to_thread(ctx.document_store().stats)
    )
    catalog, missing = await _catalog(ctx, workers)
    registry: dict[str, Any] = {"tools": len(catalog.tools), "names": catalog.names()}
    return SystemStatus(
        temporal=temporal,
        workers=workers,
        registry=registry | ({"error": missing} if missing else {}),
        documents=documents,
        versions=_versions(),
        uptime_seconds=round(time.monotonic() - ctx.started, 1),
    )


@router.get("/system/orchestrator", response_model=OrchestratorInfo)
async def orchestrator(ctx: Ctx) -> OrchestratorInfo:
    """What docorch can do: capabilities, strategies, defaults and limits, and every tool the
    workers run (as one of them told) with its parameter and result schemas, reliability,
    estimated duration, alternatives and step policy; 503 when no worker can tell."""
    catalog, missing = await _catalog(ctx, await _workers(ctx))
    if missing:
        raise ApiError(503, f"the tools are the workers': {missing}", error_type="NoWorker")
    settings = ctx.settings
    return OrchestratorInfo(
        capabilities=CAPABILITIES,
        strategies=STRATEGIES,
        scheduling=SCHEDULING,
        config={
            "defaults": QueryConfig().model_dump(mode="json"),
            "schema": QueryConfig.model_json_schema(),
            "task_queue": ctx.sdk.task_queue,
            "max_document_bytes": settings.max_document_bytes,
            "llm_enabled": settings.llm_enabled,
            "auth_required": bool(settings.api_token),
        },
        tools=list(catalog.tools),
        orchestrator_version=ORCHESTRATOR_VERSION,
    )


@router.get(
    "/system/state",
    response_model=StateSummary,
    tags=["system"],
    summary="State per scope: global, session, execution",
)
async def system_state(ctx: Ctx) -> StateSummary:
    """Entries, bytes and the oldest entry per scope; active sessions; learned tool figures."""
    catalog, missing = await _catalog(ctx, await _workers(ctx))
    registered = None if missing else len(catalog.tools)
    return await state_summary(ctx.sdk.temporal, ctx.settings, registered_tools=registered)


async def _catalog(ctx: ApiContext, workers: WorkerStatus) -> tuple[ToolCatalog, str | None]:
    """The workers' tool catalogue, or an empty one and why there is none."""
    if not workers.polling:
        return ToolCatalog(), f"no worker polls task queue {ctx.sdk.task_queue}"
    try:
        return await ctx.tools(), None
    except Exception as error:  # a worker too old to describe its tools, or none answering
        return ToolCatalog(), f"no worker described its tools ({type(error).__name__})"


async def _temporal_metrics(url: str | None) -> str:
    if not url:
        return ""
    try:
        async with httpx.AsyncClient(timeout=2.0) as http:
            response = await http.get(url)
            response.raise_for_status()
            return response.text
    except httpx.HTTPError as error:
        return f"# Temporal SDK metrics unavailable: {type(error).__name__}\n"


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
async def metrics(ctx: Ctx) -> PlainTextResponse:
    """The API's metrics, then the Temporal SDK's client and worker metrics (``temporal_*``)."""
    own = generate_latest(ctx.metrics.registry).decode()
    sdk = await _temporal_metrics(ctx.temporal_metrics_url)
    return PlainTextResponse(own + sdk, media_type=CONTENT_TYPE_LATEST)
