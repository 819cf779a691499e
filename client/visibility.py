"""Recent queries from Temporal visibility: success rate, latency percentiles, confidence
distribution and the most common errors, using docorch's search attributes (QueryType,
Confidence, SessionId; see workflows/search_attributes.py)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime

from pydantic import BaseModel, Field
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowHistoryEventFilterType,
)

from client.trace import failure_text
from models.names import QUERY_WORKFLOW
from workflows import search_attributes

_EXPECTED_TYPES = {
    search_attributes.QUERY_TYPE.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    search_attributes.CONFIDENCE.name: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    search_attributes.SESSION_ID.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
}
CONFIDENCE_BUCKETS = (0.2, 0.4, 0.6, 0.8, 1.0)
MAX_FAILURES_READ = 50
"""Failed queries whose failure is read from their close event (one history read each)."""


async def has_search_attributes(client: Client) -> bool:
    """True when the namespace has all of docorch's search attributes, with the right types."""
    try:
        response = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
    except Exception:
        return False
    registered = dict(response.custom_attributes)
    return all(registered.get(name) == kind for name, kind in _EXPECTED_TYPES.items())


async def enable_search_attributes(client: Client) -> bool:
    """Turn QueryWorkflow's search-attribute upserts on in this process when the namespace has
    the attributes (off otherwise); returns whether they are on."""
    available = await has_search_attributes(client)
    search_attributes.enable(available)
    return available


class ErrorCount(BaseModel):
    """An error message and how many recent queries failed with it."""

    error: str
    count: int


class ExecutionStats(BaseModel):
    """Figures over the most recent queries (newest first, at most ``limit``)."""

    queries: int = Field(description="Queries looked at.")
    running: int = 0
    completed: int = 0
    failed: int = Field(default=0, description="Failed, timed out or terminated.")
    cancelled: int = 0
    success_rate: float | None = Field(
        default=None, description="Completed / closed; None when nothing has closed."
    )
    latency_ms: dict[str, float] = Field(
        default_factory=dict, description="p50, p90, p95, p99 and max of closed queries."
    )
    confidence: dict[str, int] = Field(
        default_factory=dict, description="Completed queries per confidence bucket."
    )
    mean_confidence: float | None = None
    query_types: dict[str, int] = Field(default_factory=dict)
    sessions: int = Field(default=0, description="Distinct SessionId values.")
    most_common_errors: list[ErrorCount] = Field(default_factory=list)
    oldest: datetime | None = None
    newest: datetime | None = None
    search_attributes: bool = Field(
        default=True, description="False when visibility has no QueryType/Confidence figures."
    )


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of ``values`` (non-empty), p in [0, 100]."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _bucket(value: float) -> str:
    low = 0.0
    for high in CONFIDENCE_BUCKETS:
        if value <= high:
            return f"{low:.1f}-{high:.1f}"
        low = high
    return f"{low:.1f}-1.0"


async def _failure_of(client: Client, execution: WorkflowExecution) -> str:
    """The failure recorded in a closed workflow's close event, by error type when it has one."""
    handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
    async for event in handle.fetch_history_events(
        event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT
    ):
        if event.HasField("workflow_execution_failed_event_attributes"):
            failure = event.workflow_execution_failed_event_attributes.failure
            kind = (
                failure.application_failure_info.type
                if failure.HasField("application_failure_info")
                else ""
            )
            text = failure_text(failure)
            return f"{kind}: {text}" if kind else text
        if event.HasField("workflow_execution_timed_out_event_attributes"):
            return "timed out"
        if event.HasField("workflow_execution_terminated_event_attributes"):
            return "terminated"
    return "failed"


def visibility_query(task_queue: str | None = None) -> str:
    """The visibility query listing QueryWorkflows (of one task queue, if given)."""
    query = f"WorkflowType = '{QUERY_WORKFLOW}'"
    if task_queue:
        query += f" AND TaskQueue = '{task_queue}'"
    return query


async def execution_stats(
    client: Client, *, limit: int = 200, task_queue: str | None = None
) -> ExecutionStats:
    """Figures over the ``limit`` most recent queries (optionally of one task queue)."""
    executions = [e async for e in client.list_workflows(visibility_query(task_queue), limit=limit)]
    stats = ExecutionStats(queries=len(executions))
    latencies: list[float] = []
    confidences: list[float] = []
    types: Counter[str] = Counter()
    sessions: set[str] = set()
    failed: list[WorkflowExecution] = []
    for execution in executions:
        status = execution.status
        attributes = execution.typed_search_attributes
        if status == WorkflowExecutionStatus.RUNNING:
            stats.running += 1
            continue
        if execution.close_time is not None:
            latencies.append((execution.close_time - execution.start_time).total_seconds() * 1000)
        if status == WorkflowExecutionStatus.COMPLETED:
            stats.completed += 1
            confidence = attributes.get(search_attributes.CONFIDENCE)
            if confidence is not None:
                confidences.append(confidence)
        elif status == WorkflowExecutionStatus.CANCELED:
            stats.cancelled += 1
        else:
            stats.failed += 1
            failed.append(execution)
        query_type = attributes.get(search_attributes.QUERY_TYPE)
        if query_type:
            types[query_type] += 1
        session = attributes.get(search_attributes.SESSION_ID)
        if session:
            sessions.add(session)
    closed = stats.completed + stats.failed + stats.cancelled
    if closed:
        stats.success_rate = round(stats.completed / closed, 4)
    if latencies:
        stats.latency_ms = {
            f"p{p}": round(percentile(latencies, p), 1) for p in (50, 90, 95, 99)
        } | {"max": round(max(latencies), 1)}
    if confidences:
        buckets = Counter(_bucket(c) for c in confidences)
        stats.confidence = {_bucket(b): buckets.get(_bucket(b), 0) for b in CONFIDENCE_BUCKETS}
        stats.mean_confidence = round(sum(confidences) / len(confidences), 4)
    stats.search_attributes = not stats.completed or bool(confidences)
    stats.query_types = dict(types.most_common())
    stats.sessions = len(sessions)
    errors = await asyncio.gather(*(_failure_of(client, e) for e in failed[:MAX_FAILURES_READ]))
    stats.most_common_errors = [
        ErrorCount(error=error[:300], count=count)
        for error, count in Counter(errors).most_common(5)
    ]
    if executions:
        stats.newest = max(e.start_time for e in executions)
        stats.oldest = min(e.start_time for e in executions)
    return stats
