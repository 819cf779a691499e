"""Sessions over HTTP (create, ask, turns, documents, close) and GET /system/state."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from client.api import ApiContext, ApiError, context
from client.api_models import WORKFLOW_ID_PATTERN, ErrorBody
from client.api_routes_chat import check_documents
from client.state import state_summary
from models.query import QueryConfig
from models.session import SessionConfig, SessionState, Turn
from models.state import StateSummary

T = TypeVar("T")
router = APIRouter(tags=["sessions"])
Ctx = Annotated[ApiContext, Depends(context)]
SessionIdPath = Annotated[str, Path(pattern=WORKFLOW_ID_PATTERN, description="Session id.")]
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}, 409: {"model": ErrorBody}}


class CreateSession(BaseModel):
    documents: list[str] = Field(default_factory=list, max_length=1000)
    config: SessionConfig = Field(default_factory=SessionConfig)
    query_config: QueryConfig | None = None


class SessionCreated(BaseModel):
    session_id: str


class SessionAsk(BaseModel):
    question: str = Field(min_length=1, max_length=4000)
    documents: list[str] = Field(default_factory=list, max_length=1000)


class SessionAsked(BaseModel):
    session_id: str
    query_workflow_id: str = Field(description="Follow it at /executions/{id}.")


class DocumentList(BaseModel):
    documents: list[str] = Field(min_length=1, max_length=1000)


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
    check_documents(ctx, body.documents)
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
    summary="Queue a question; returns the query's workflow id at once",
)
async def session_ask(session_id: SessionIdPath, body: SessionAsk, ctx: Ctx) -> SessionAsked:
    check_documents(ctx, body.documents)
    query_id = await _update(ctx.sdk.sessions.ask(session_id, body.question, body.documents))
    return SessionAsked(session_id=session_id, query_workflow_id=query_id)


@router.post(
    "/sessions/{session_id}/documents",
    response_model=list[str],
    responses=ERRORS,
    summary="Add active documents",
)
async def add_documents(session_id: SessionIdPath, body: DocumentList, ctx: Ctx) -> list[str]:
    check_documents(ctx, body.documents)
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


@router.get(
    "/system/state",
    response_model=StateSummary,
    tags=["system"],
    summary="State per scope: global, session, execution",
)
async def system_state(ctx: Ctx) -> StateSummary:
    return await state_summary(
        ctx.sdk.temporal, ctx.settings, registered_tools=len(ctx.registry.names())
    )
