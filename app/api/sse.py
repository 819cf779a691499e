"""A query's progress as server-sent events (POST /chat/stream, GET /executions/{id}/events),
resumable with Last-Event-ID = the last event offset seen."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.api.context import ApiContext
from app.api.schemas import ErrorBody
from models.events import EventKind, ProgressEvent

SSE_PING_SECONDS = 15
SSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Server-sent events."},
    400: {"model": ErrorBody},
    413: {"model": ErrorBody},
    422: {"model": ErrorBody},
}

_REASONING = {
    EventKind.PLAN_CREATED,
    EventKind.REPLAN_STARTED,
    EventKind.REPLAN_FINISHED,
    EventKind.DEGRADED,
}


def sse_event_type(event: ProgressEvent) -> str:
    """reasoning_step | tool_execution | final_answer | error."""
    if event.kind is EventKind.FINAL_ANSWER:
        return "final_answer"
    if event.kind is EventKind.ERROR:
        return "error"
    return "reasoning_step" if event.kind in _REASONING else "tool_execution"


def last_event_offset(value: str | None) -> int:
    """The offset a Last-Event-ID header names (-1 when absent); 422 when it is not one."""
    if value is None or not value.strip():
        return -1
    try:
        offset = int(value)
    except ValueError:
        raise HTTPException(
            422, detail="Last-Event-ID must be an event offset (an integer)"
        ) from None
    if offset < -1:
        raise HTTPException(422, detail="Last-Event-ID must be >= -1")
    return offset


def _event_data(event: ProgressEvent, workflow_id: str) -> dict[str, Any]:
    data = event.model_dump(mode="json")
    data["workflow_id"] = workflow_id
    return data


def _delay_seconds(event: ProgressEvent) -> float | None:
    try:
        at = datetime.fromisoformat(event.at)
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - at).total_seconds())


async def event_stream(
    ctx: ApiContext, workflow_id: str, after: int
) -> AsyncIterator[ServerSentEvent]:
    """The query's events after ``after`` as SSE, ending with final_answer (with the result)
    or error; the SSE id of each event is its offset."""
    handle = ctx.sdk.handle(workflow_id)
    async for event in ctx.sdk.events(workflow_id, after=after):
        kind = sse_event_type(event)
        data = _event_data(event, workflow_id)
        if event.kind is EventKind.FINAL_ANSWER:
            result = await handle.result()
            data["result"] = result.model_dump(mode="json")
        delay = _delay_seconds(event)
        if delay is not None:
            ctx.metrics.sse_delay.observe(delay)
        ctx.metrics.sse_events.labels(kind).inc()
        yield ServerSentEvent(data=json.dumps(data), event=kind, id=str(event.offset))
        if event.is_final:
            return
    # the query ended without a final event (terminated, timed out): say so
    description = await handle.describe()
    status = description.status.name.lower() if description.status else "unknown"
    ctx.metrics.sse_events.labels("error").inc()
    yield ServerSentEvent(
        data=json.dumps({"workflow_id": workflow_id, "message": f"the query ended: {status}"}),
        event="error",
    )


def sse_response(ctx: ApiContext, workflow_id: str, after: int) -> EventSourceResponse:
    """The streaming response of ``event_stream`` (X-Workflow-Id names the query)."""
    return EventSourceResponse(
        event_stream(ctx, workflow_id, after),
        ping=SSE_PING_SECONDS,
        headers={"X-Workflow-Id": workflow_id, "Cache-Control": "no-cache"},
    )
