"""Sessions over HTTP: create, ask, turns, documents, close."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from app.api.context import Ctx
from app.api.errors import ApiError
from app.api.schemas import (
    WORKFLOW_ID_PATTERN,
    CreateSession,
    DocumentList,
    ErrorBody,
    SessionAsk,
    SessionAsked,
    SessionCreated,
)
from models.session import SessionState, Turn

T = TypeVar("T")
router = APIRouter(tags=["sessions"])
SessionIdPath = Annotated[str, Path(pattern=WORKFLOW_ID_PATTERN, description="Session id.")]
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}, 409: {"model": ErrorBody}}


async def _update(call: Awaitable[T]) -> T:
    """Run a session update, turning its refusals into 409s with the reason."""
    try:
        return await call
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError):
            raise ApiError(409, cause.message, error_type=cause.type) from None
        raise


@router.post("/sessions", response_model=SessionCreated, status_code=201, summary="Start a session")
async def create_session(body: CreateSession, ctx: Ctx) -> SessionCreated:
    ctx.check_documents(body.documents)
    session_id = await ctx.sdk.sessions.create(
        body.documents, config=body.config, query_config=body.query_config
    )
    return SessionCreated(session_id=session_id)


@router.get("/sessions", response_model=list[str], summary="Open sessions")
async def list_sessions(ctx: Ctx) -> list[str]:
    return await ctx.sdk.sessions.list_open()


@router.get("/sessions/{session_id}", response_model=SessionState, responses=ERRORS)
async def get_session(session_id: SessionIdPath, ctx: Ctx) -> SessionState:
    return await ctx.sdk.sessions.state(session_id)


@router.get("/sessions/{session_id}/turns", response_model=list[Turn], responses=ERRORS)
async def session_turns(session_id: SessionIdPath, ctx: Ctx) -> list[Turn]:
    return await ctx.sdk.sessions.turns(session_id)


@router.post(
    "/sessions/{session_id}/ask",
    response_model=SessionAsked,
    responses=ERRORS,
    summary="Queue a question; returns the query's workflow id",
)
async def session_ask(
    session_id: SessionIdPath,
    body: SessionAsk,
    ctx: Ctx,
    wait_started: Annotated[
        bool,
        Query(
            description="Return once the question's query has started (it may queue behind "
            "earlier questions), so /executions/{id}/events can follow it at once."
        ),
    ] = False,
) -> SessionAsked:
    ctx.check_documents(body.documents)
    query_id = await _update(ctx.sdk.sessions.ask(session_id, body.question, body.documents))
    if wait_started:
        await _update(ctx.sdk.sessions.started(session_id, query_id))
    return SessionAsked(session_id=session_id, query_workflow_id=query_id)


@router.post(
    "/sessions/{session_id}/documents",
    response_model=list[str],
    responses=ERRORS,
    summary="Add active documents",
)
async def add_documents(session_id: SessionIdPath, body: DocumentList, ctx: Ctx) -> list[str]:
    ctx.check_documents(body.documents)
    return await _update(ctx.sdk.sessions.add_documents(session_id, body.documents))


@router.post(
    "/sessions/{session_id}/documents/remove",
    response_model=list[str],
    responses=ERRORS,
    summary="Remove active documents",
)
async def remove_documents(session_id: SessionIdPath, body: DocumentList, ctx: Ctx) -> list[str]:
    return await _update(ctx.sdk.sessions.remove_documents(session_id, body.documents))


@router.post(
    "/sessions/{session_id}/close",
    response_model=SessionState,
    responses=ERRORS,
    summary="Close after the queued questions are answered",
)
async def close_session(session_id: SessionIdPath, ctx: Ctx) -> SessionState:
    return await _update(ctx.sdk.sessions.close(session_id))
