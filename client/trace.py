"""The execution trace is the Temporal history: one row per step activity, read back from the
query's history, with the pending activities of a running query. The plans come from the
history too: the plan_query activity's result (first plan, direct path) and each replan child's
result (``<id>-replan-<n>``, the plan the query ran next), which give levels and policies.

Activity ids are step ids (decision 2 of the architecture), so a row maps back to the plan:
``step`` is the step, ``step#n`` its n-th repeat, ``step[i]`` its i-th for_each item and
``step~tool`` a fallback to ``tool``. Temporal keeps only the last attempt of a retried
activity in the history: a row's ``attempts`` and ``last_retry_failure`` come from that attempt's
started event (or, while it runs, from the pending activity).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowExecutionDescription
from temporalio.service import RPCError, RPCStatusCode

from client.markers import local_activity
from models.names import (
    DIRECT_PLAN_ID,
    PLAN_ACTIVITY,
    PLAN_ID,
    RESOLVE_ACTIVITY,
    RESOLVE_AND_PLAN_ACTIVITY,
    ActivityId,
    replan_attempt,
)
from models.plan import PlanResponse
from models.query import QueryResult, StepStatus
from models.resolve_and_plan import ResolveAndPlanResult
from models.tools import ToolCallResult
from models.trace import RowStatus, Trace, TraceRow
from workflows.confidence import step_confidence

__all__ = [
    "Trace",
    "TraceNotFound",
    "TraceRow",
    "failure_text",
    "trace",
    "workflow_ui_url",
]

_PLAN_ACTIVITIES = {PLAN_ID: ("initial", 0), DIRECT_PLAN_ID: ("direct", None)}


class TraceNotFound(LookupError):
    """No workflow with this id in the namespace."""


class _Plan(BaseModel):
    label: str
    replan: int
    response: PlanResponse

    def level_of(self, step_id: str) -> int | None:
        for number, level in enumerate(self.response.levels, start=1):
            if step_id in level:
                return number
        return None

    def weight_of(self, step_id: str) -> float:
        for step in self.response.plan.steps:
            if step.id == step_id:
                return step.policy.reliability_weight
        return 1.0


def _time(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


def _ms(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() * 1000, 1)


def failure_text(failure: Failure) -> str:
    """A failure's message with those of its causes that add something, innermost last."""
    parts: list[str] = []
    current: Failure | None = failure
    while current is not None and current.ByteSize():
        if current.message and not any(current.message in p for p in parts):
            parts.append(current.message)
        current = current.cause if current.HasField("cause") else None
    return ": ".join(parts) or "failed"


async def _decode(client: Client, payloads: Sequence[Any], hint: type) -> Any:
    if not payloads:
        return None
    try:
        return (await client.data_converter.decode(list(payloads), [hint]))[0]
    except Exception:
        return None


async def _history(client: Client, workflow_id: str) -> list[HistoryEvent]:
    try:
        return [e async for e in client.get_workflow_handle(workflow_id).fetch_history_events()]
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise TraceNotFound(f"{workflow_id}: no such workflow") from None
        raise


async def _describe(client: Client, workflow_id: str) -> WorkflowExecutionDescription:
    try:
        return await client.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise TraceNotFound(f"{workflow_id}: no such workflow") from None
        raise


class _Builder:
    """Walks one history into rows; plans are collected on the way."""

    def __init__(self, client: Client, trace: Trace) -> None:
        self.client = client
        self.trace = trace
        self.rows: dict[int, TraceRow] = {}  # scheduled event id -> row
        # scheduled event id -> (activity id, activity type) of the activities that are not steps
        self.scheduled_types: dict[int, tuple[str, str]] = {}
        self.plans: list[_Plan] = []
        self.result: QueryResult | None = None
        self.replan_starts: dict[int, tuple[str, int]] = {}  # initiated id -> (child id, attempt)

    async def walk(self, events: list[HistoryEvent]) -> None:
        for event in events:
            await self._event(event)

    async def _event(self, event: HistoryEvent) -> None:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            self.trace.started_at = _time(event)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            self._scheduled(event)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            a = event.activity_task_started_event_attributes
            row = self.rows.get(a.scheduled_event_id)
            if row is not None:
                row.status, row.attempts, row.started_at = "running", a.attempt, _time(event)
                if a.attempt == 1:
                    row.queue_wait_ms = _ms(row.scheduled_at, row.started_at)
                if a.HasField("last_failure"):
                    row.last_retry_failure = failure_text(a.last_failure)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            await self._completed(event)
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            await self._local_activity(event)
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            f = event.activity_task_failed_event_attributes
            self._closed(f.scheduled_event_id, event, "failed", failure_text(f.failure))
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            t = event.activity_task_timed_out_event_attributes
            self._closed(t.scheduled_event_id, event, "timed_out", failure_text(t.failure))
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
            c = event.activity_task_cancel_requested_event_attributes
            row = self.rows.get(c.scheduled_event_id)
            if row is not None and row.closed_at is None:
                row.status = "cancel_requested"
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
            c2 = event.activity_task_canceled_event_attributes
            self._closed(c2.scheduled_event_id, event, "cancelled", "cancelled")
        elif kind == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            child_id = event.start_child_workflow_execution_initiated_event_attributes.workflow_id
            attempt = replan_attempt(child_id)
            if attempt is not None:
                self.replan_starts[event.event_id] = (child_id, attempt)
                self.trace.replans.append(child_id)
        elif kind == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
            # a replan child's result is the plan the parent runs next
            done = event.child_workflow_execution_completed_event_attributes
            if done.initiated_event_id in self.replan_starts:
                _, attempt = self.replan_starts[done.initiated_event_id]
                response = await _decode(self.client, done.result.payloads, PlanResponse)
                if isinstance(response, PlanResponse):
                    self.plans.append(
                        _Plan(label=f"replan-{attempt}", replan=attempt, response=response)
                    )
        else:
            await self._closing(event)

    def _scheduled(self, event: HistoryEvent) -> None:
        a = event.activity_task_scheduled_event_attributes
        tool = a.activity_type.name
        if tool in (PLAN_ACTIVITY, RESOLVE_ACTIVITY, RESOLVE_AND_PLAN_ACTIVITY):
            self.scheduled_types[event.event_id] = (a.activity_id, tool)
            return
        parsed = ActivityId.parse(a.activity_id) or ActivityId(a.activity_id)
        step_id = parsed.step
        plan = self._plan_for(step_id)
        row = TraceRow(
            activity_id=a.activity_id,
            step_id=step_id,
            tool=tool,
            scheduled_at=_time(event),
            iteration=parsed.iteration,
            item=parsed.item,
            level=plan.level_of(step_id) if plan else None,
            plan=plan.label if plan else "initial",
            replan=plan.replan if plan else 0,
        )
        if plan is not None and plan.label == "direct":
            row.replan = len(self.trace.replans)
        if parsed.fallback is not None:
            row.fell_back_from = self._previous_tool(row)
        self.rows[event.event_id] = row

    def _previous_tool(self, row: TraceRow) -> str | None:
        """The tool this fallback row replaces: the last earlier row of the same call."""
        earlier = [
            r
            for r in self.rows.values()
            if r.step_id == row.step_id and r.iteration == row.iteration and r.item == row.item
        ]
        return earlier[-1].tool if earlier else None

    def _plan_for(self, step_id: str) -> _Plan | None:
        for plan in reversed(self.plans):
            if any(s.id == step_id for s in plan.response.plan.steps):
                return plan
        return None

    async def _completed(self, event: HistoryEvent) -> None:
        a = event.activity_task_completed_event_attributes
        if a.scheduled_event_id in self.scheduled_types:
            activity_id, kind = self.scheduled_types[a.scheduled_event_id]
            if activity_id in _PLAN_ACTIVITIES:
                response = await self._plan_response(kind, a.result.payloads)
                if response is not None:
                    label, replan = _PLAN_ACTIVITIES[activity_id]
                    self.plans.append(
                        _Plan(
                            label=label,
                            replan=replan if replan is not None else len(self.trace.replans),
                            response=response,
                        )
                    )
            return
        row = self._closed(a.scheduled_event_id, event, "completed", None)
        if row is None:
            return
        result = await _decode(self.client, a.result.payloads, ToolCallResult)
        if not isinstance(result, ToolCallResult):
            return
        row.tool_ms = round(result.duration_ms, 1)
        plan = self._plan_for(row.step_id)
        row.confidence = step_confidence(
            result.confidence,
            reliability_weight=plan.weight_of(row.step_id) if plan else 1.0,
            attempts=row.attempts or 1,
            fell_back=row.fell_back_from is not None,
            missing_inputs=False,
        )

    async def _local_activity(self, event: HistoryEvent) -> None:
        """A planning local activity's plan (resolve_and_plan run in the workflow task)."""
        found = local_activity(event)
        if found is None:
            return
        kind, activity_id, payloads = found
        if kind == RESOLVE_AND_PLAN_ACTIVITY and activity_id == PLAN_ID:
            response = await self._plan_response(kind, payloads)
            if response is not None:  # None: it deferred to the activity
                self.plans.append(_Plan(label="initial", replan=0, response=response))

    async def _plan_response(self, kind: str, payloads: Sequence[Any]) -> PlanResponse | None:
        """The plan a planning activity (``plan_query`` or ``resolve_and_plan``) returned."""
        if kind == RESOLVE_AND_PLAN_ACTIVITY:
            both = await _decode(self.client, payloads, ResolveAndPlanResult)
            return both.plan if isinstance(both, ResolveAndPlanResult) else None
        response = await _decode(self.client, payloads, PlanResponse)
        return response if isinstance(response, PlanResponse) else None

    def _closed(
        self, scheduled_id: int, event: HistoryEvent, status: RowStatus, failure: str | None
    ) -> TraceRow | None:
        row = self.rows.get(scheduled_id)
        if row is None:
            return None
        row.status, row.closed_at, row.failure = status, _time(event), failure
        row.attempts = row.attempts or (1 if status in ("completed", "failed") else 0)
        row.duration_ms = _ms(row.started_at, row.closed_at)
        row.total_ms = _ms(row.scheduled_at, row.closed_at)
        return row

    async def _closing(self, event: HistoryEvent) -> None:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            payloads = event.workflow_execution_completed_event_attributes.result.payloads
            result = await _decode(self.client, payloads, QueryResult)
            if isinstance(result, QueryResult):
                self.result = result
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            self.trace.failure = failure_text(
                event.workflow_execution_failed_event_attributes.failure
            )
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
            self.trace.failure = "the query timed out"
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
            reason = event.workflow_execution_terminated_event_attributes.reason
            self.trace.failure = f"terminated: {reason}" if reason else "terminated"
        else:
            return
        self.trace.closed_at = _time(event)


def _apply_pending(rows: list[TraceRow], description: WorkflowExecutionDescription) -> None:
    """Running activities: their attempt, state and last failure come from DescribeWorkflow."""
    open_rows = {r.activity_id: r for r in rows if r.closed_at is None}
    for pending in description.raw_description.pending_activities:
        row = open_rows.get(pending.activity_id)
        if row is None:
            continue
        row.attempts = pending.attempt
        if pending.HasField("last_failure") and pending.last_failure.message:
            row.last_retry_failure = failure_text(pending.last_failure)
        if pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED:
            row.status = "running"
            if pending.HasField("last_started_time"):
                row.started_at = pending.last_started_time.ToDatetime(tzinfo=UTC)
        elif pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED:
            row.status = "cancel_requested"
        elif pending.attempt > 1:
            row.status = "retrying"


def _apply_result(trace: Trace, rows: list[TraceRow], result: QueryResult) -> None:
    """The workflow's own step results are authoritative for the row that produced each step."""
    trace.confidence_score = result.confidence_score
    trace.orchestrator_version = result.orchestrator_version
    for step in result.execution_summary.steps:
        if step.status is not StepStatus.COMPLETED:
            continue
        producing = [
            r
            for r in rows
            if r.step_id == step.step_id
            and r.tool == step.tool
            and r.item is None
            and r.status == "completed"
        ]
        if producing:
            producing[-1].confidence = step.confidence


async def trace(client: Client, workflow_id: str, *, ui_base_url: str | None = None) -> Trace:
    """The trace of a query (running, completed, failed or cancelled), from its history.

    Raises TraceNotFound when there is no workflow with this id.
    """
    description = await _describe(client, workflow_id)
    events = await _history(client, workflow_id)
    status = description.status.name.lower() if description.status else "unknown"
    result = Trace(
        workflow_id=workflow_id,
        run_id=description.run_id,
        workflow_type=description.workflow_type,
        status=status,
        history_events=len(events),
        history_bytes=description.raw_description.workflow_execution_info.history_size_bytes,
    )
    builder = _Builder(client, result)
    await builder.walk(events)
    rows = list(builder.rows.values())
    if description.status is not None and description.status.name == "RUNNING":
        _apply_pending(rows, description)
    if builder.result is not None:
        _apply_result(result, rows, builder.result)
    first = next((p for p in builder.plans if p.label == "initial"), None)
    if first is not None:
        plan = first.response.plan
        result.query_type, result.strategy = plan.query_type.value, plan.strategy.value
        result.reasoning, result.levels = plan.reasoning, first.response.levels
    result.rows = rows
    result.duration_ms = _ms(result.started_at, result.closed_at)
    if ui_base_url:
        result.ui_url = workflow_ui_url(ui_base_url, client.namespace, workflow_id)
    return result


def workflow_ui_url(ui_base_url: str, namespace: str, workflow_id: str) -> str:
    """The Temporal UI page of a workflow."""
    return f"{ui_base_url.rstrip('/')}/namespaces/{namespace}/workflows/{workflow_id}"
