"""POST /chat (the answer) and POST /chat/stream (progress as server-sent events)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException
from pydantic import ValidationError
from sse_starlette import EventSourceResponse
from temporalio.client import WorkflowFailureError, WorkflowHandle

from app.api.context import ApiContext, Ctx
from app.api.errors import ApiError
from app.api.schemas import ChatRequest, ErrorBody
from app.api.sse import SSE_RESPONSES, last_event_offset, sse_response
from models.query import QueryResult
from workflows.failures import application_cause
from workflows.query import QueryWorkflow

router = APIRouter(tags=["chat"])


async def _start(ctx: ApiContext, body: ChatRequest) -> WorkflowHandle[QueryWorkflow, QueryResult]:
    ctx.check_documents(body.documents)
    try:
        handle = await ctx.sdk.start(
            body.query,
            body.documents,
            config=body.config,
            session_id=body.session_id,
            plan=body.plan.model_dump(mode="json") if body.plan else None,
            workflow_id=body.workflow_id,
            attach_existing=body.workflow_id is not None,
        )
    except ValidationError as error:
        raise HTTPException(422, detail="; ".join(e["msg"] for e in error.errors())) from None
    ctx.metrics.queries.inc()
    return handle


def _failure(error: WorkflowFailureError, workflow_id: str) -> ApiError:
    """A failed query: 422 when it failed on its input (an ApplicationError), else 502."""
    cause = application_cause(error)
    if cause is not None:
        return ApiError(422, cause.message, error_type=cause.type, workflow_id=workflow_id)
    return ApiError(502, str(error.cause or error), workflow_id=workflow_id)


@router.post(
    "/chat",
    response_model=QueryResult,
    responses={400: {"model": ErrorBody}, 413: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    summary="Ask a question and wait for the answer",
)
async def chat(body: ChatRequest, ctx: Ctx) -> Any:
    handle = await _start(ctx, body)
    try:
        return await ctx.sdk.result(handle.id)
    except WorkflowFailureError as error:
        raise _failure(error, handle.id) from None


@router.post(
    "/chat/stream",
    response_class=EventSourceResponse,
    responses=SSE_RESPONSES,
    summary="Ask a question and follow its progress as server-sent events",
)
async def chat_stream(
    body: ChatRequest,
    ctx: Ctx,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    """Events: ``reasoning_step`` (plan, replans, degradation), ``tool_execution`` (steps),
    ``final_answer`` (with the QueryResult) and ``error``; each with the query's
    ``workflow_id`` (also in the X-Workflow-Id header). To resume, send the same body with
    the ``workflow_id`` and ``Last-Event-ID``: later events follow, none twice."""
    after = last_event_offset(last_event_id)
    if after >= 0 and body.workflow_id is None:
        raise HTTPException(422, detail="resuming with Last-Event-ID needs the body's workflow_id")
    handle = await _start(ctx, body)
    return sse_response(ctx, handle.id, after)
