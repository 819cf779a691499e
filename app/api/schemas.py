"""Request and response bodies of the HTTP API that are not docorch contracts themselves
(those live in models/: QueryResult, DocumentRef, ToolSpec, ...).

Requests are bounded by the contracts they carry (``models.limits``): a document name is never
blank, a question never only white space, and durations stay within what a workflow can wait
(``QueryConfig.deadline_seconds``, ``SessionConfig.idle_timeout_seconds``), so nothing the API
accepts can fail inside a workflow. The bounds live in the models alone: the SDK, the API and
the workflows' validators all apply the same ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from models.documents import DocumentRef, StoreStats
from models.ids import QueryId
from models.limits import DocumentNameList, Question
from models.plan import Plan
from models.query import QueryConfig, QueryResult, QueryState
from models.session import SessionConfig
from models.tools import ToolInfo


class ChatRequest(BaseModel):
    """A question over documents. ``workflow_id`` makes the request idempotent: a retry (or an
    SSE reconnect) with the same id attaches to the query instead of starting another."""

    query: Question = Field(description="The question to answer.")
    documents: DocumentNameList = Field(
        min_length=1, description="Document ids (see /documents) or file paths."
    )
    session_id: Annotated[str, StringConstraints(max_length=200)] | None = None
    config: QueryConfig = Field(default_factory=QueryConfig)
    plan: Plan | None = Field(default=None, description="A ready-made plan to run (validated).")
    workflow_id: QueryId | None = Field(
        default=None,
        description="Id for the query (query-<token>); an existing query with it is reused. "
        "A session's id is refused.",
    )


class ErrorBody(BaseModel):
    """An error: what went wrong (or, for a request that failed validation, FastAPI's list of
    problems), its stable type, and the query it concerns."""

    detail: str | list[dict[str, Any]]
    error_type: str | None = None
    workflow_id: str | None = None


class ExecutionView(BaseModel):
    """A workflow as Temporal describes it, with the query's result or live state."""

    workflow_id: str
    run_id: str
    workflow_type: str
    status: str = Field(description="running | completed | failed | canceled | terminated | ...")
    task_queue: str
    started_at: datetime | None = None
    closed_at: datetime | None = None
    search_attributes: dict[str, Any] = Field(default_factory=dict)
    result: QueryResult | None = None
    state: QueryState | None = Field(default=None, description="Live state while running.")
    failure: str | None = None
    ui_url: str | None = None


class CancelResponse(BaseModel):
    workflow_id: str
    cancel_requested: bool = True


class StoredDocuments(BaseModel):
    """What the document store holds."""

    documents: list[DocumentRef]
    stats: StoreStats


class TemporalStatus(BaseModel):
    reachable: bool
    address: str
    namespace: str
    server_version: str | None = None
    error: str | None = None
    search_attributes: bool = False


class Poller(BaseModel):
    identity: str
    last_access_time: datetime | None = None


class WorkerStatus(BaseModel):
    task_queue: str
    polling: bool = Field(description="True when a worker polls for both workflows and tools.")
    workflow_pollers: list[Poller] = Field(default_factory=list)
    activity_pollers: list[Poller] = Field(default_factory=list)
    error: str | None = None


class SystemStatus(BaseModel):
    temporal: TemporalStatus
    workers: WorkerStatus
    registry: dict[str, Any]
    documents: StoreStats
    versions: dict[str, str]
    uptime_seconds: float


class OrchestratorInfo(BaseModel):
    capabilities: list[str]
    strategies: dict[str, str]
    scheduling: dict[str, str]
    config: dict[str, Any] = Field(description="Defaults of a query's config, and limits.")
    tools: list[ToolInfo]
    orchestrator_version: str


class CreateSession(BaseModel):
    documents: DocumentNameList = Field(default_factory=list)
    config: SessionConfig = Field(default_factory=SessionConfig)
    query_config: QueryConfig | None = None


class SessionCreated(BaseModel):
    session_id: str


class SessionAsk(BaseModel):
    question: Question
    documents: DocumentNameList = Field(default_factory=list)


class SessionAsked(BaseModel):
    session_id: str
    query_workflow_id: str = Field(description="Follow it at /executions/{id}.")


class DocumentList(BaseModel):
    documents: DocumentNameList = Field(min_length=1)
