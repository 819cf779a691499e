"""What a caller sends (QueryRequest) and what it gets back (QueryResult); what it can read
while the query runs (QueryState).

QueryConfig, QueryType, Strategy, Scheduling and PriorTurn live in ``models.config`` and LlmUsage
in ``models.usage`` (plans use them too); they are re-exported here, where callers look first."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.config import PriorTurn, QueryConfig, QueryType, Scheduling, Strategy
from models.documents import Citation, DocumentRef
from models.limits import (
    MAX_REQUEST_BYTES,
    DocumentNameList,
    DocumentNames,
    Question,
    WorkflowIdText,
    check_json_bytes,
)
from models.plan import Plan
from models.usage import LlmUsage

__all__ = [
    "DEGRADED_ORCHESTRATOR_VERSION",
    "ORCHESTRATOR_VERSION",
    "QUERY_PROTOCOL",
    "DocumentFailure",
    "ExecutionSummary",
    "LlmUsage",
    "PriorTurn",
    "QueryConfig",
    "QueryRequest",
    "QueryResult",
    "QueryState",
    "QueryStatus",
    "QueryType",
    "ResolveReport",
    "ResolveRequest",
    "Scheduling",
    "StepResult",
    "StepStatus",
    "Strategy",
]

ORCHESTRATOR_VERSION = "2.0"
DEGRADED_ORCHESTRATOR_VERSION = "1.0"
QUERY_PROTOCOL = 2
"""The ``QueryRequest.protocol`` docorch's own clients (the SDK, the HTTP API, sessions) send."""


class QueryRequest(BaseModel):
    """A question over a set of documents. Plain JSON: any Temporal client can send it.

    Bounded (``models.limits``): a question that is not blank, 1 to 1,000 document names (not
    blank, trimmed, 64 KiB together), 256 KiB as a whole. The workflow checks it again when it
    decodes it: a request that does not validate fails the workflow at once."""

    model_config = ConfigDict(frozen=True)

    query: Question = Field(description="The question to answer.")
    documents: DocumentNames = Field(
        min_length=1, description="File paths, or ids of documents already ingested."
    )
    session_id: WorkflowIdText | None = None
    config: QueryConfig = Field(default_factory=QueryConfig)
    plan: Plan | None = Field(
        default=None,
        description="A ready-made Plan to run instead of planning; the planning activity still "
        "checks it against the registered tools.",
    )
    history: tuple[PriorTurn, ...] = Field(
        default=(), description="Recent turns of the session, oldest first, for follow-ups."
    )
    protocol: int = Field(
        default=1,
        ge=1,
        description="What the client knows the workers do. 2 (QUERY_PROTOCOL, docorch's own "
        "clients): they resolve the documents and plan in one activity, so the query records "
        "no version marker for it. 1 (a client that does not say): the same, behind a version "
        "marker, as queries started before protocol 2 existed.",
    )

    @model_validator(mode="after")
    def _fits_a_payload(self) -> QueryRequest:
        check_json_bytes(self, MAX_REQUEST_BYTES, "the request")
        return self


class StepStatus(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class StepResult(BaseModel):
    """How one step ended. The output itself stays in the workflow (and the history)."""

    model_config = ConfigDict(frozen=True)

    step_id: str
    tool: str = Field(description="The tool that produced the output (after any fallback).")
    status: StepStatus
    level: int
    attempts: int = 0
    duration_ms: float = 0.0
    confidence: float = 0.0
    fell_back_from: str | None = None
    error: str | None = None
    error_type: str | None = None
    replan: int = Field(default=0, description="0 for the first plan, n for the n-th replan.")
    iterations: int = 1


class DocumentFailure(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str
    error_type: str
    message: str


class ResolveRequest(BaseModel):
    """Input of IngestWorkflow and of the resolve_documents activity (bounded as a
    QueryRequest's documents; ``models.limits.name_batches`` splits longer lists)."""

    sources: DocumentNameList = Field(description="File paths or ids/names of ingested documents.")


class ResolveReport(BaseModel):
    """Documents ready to query, and the ones that could not be used (with why)."""

    documents: list[DocumentRef] = Field(default_factory=list)
    failures: list[DocumentFailure] = Field(default_factory=list)


class ExecutionSummary(BaseModel):
    """What ran, how long it took and what went wrong."""

    steps: list[StepResult] = Field(default_factory=list)
    levels: list[list[str]] = Field(default_factory=list)
    plan_source: str = "template"
    strategy: Strategy = Strategy.PARALLEL
    scheduling: Scheduling = "eager"
    total_ms: float = 0.0
    planning_ms: float = 0.0
    retries: int = 0
    fallbacks: int = 0
    replans: int = 0
    degraded: bool = False
    degraded_reason: str | None = None
    documents_covered: int = 0
    documents_failed: list[DocumentFailure] = Field(default_factory=list)
    not_run: dict[str, str] = Field(
        default_factory=dict, description="Step id -> why it did not run."
    )
    max_concurrent_steps: int = 0
    llm_usage: LlmUsage = Field(
        default_factory=LlmUsage, description="LLM calls of the planner and the tools, summed."
    )


class QueryStatus(StrEnum):
    COMPLETED = "completed"
    PARTIAL = "partial"
    CANCELLED = "cancelled"
    FAILED = "failed"


class QueryResult(BaseModel):
    """The answer, what it rests on, and how sure docorch is."""

    answer: str
    citations: list[Citation] = Field(default_factory=list)
    confidence_score: float = Field(ge=0.0, le=1.0)
    query_type: QueryType
    status: QueryStatus = QueryStatus.COMPLETED
    execution_summary: ExecutionSummary = Field(default_factory=ExecutionSummary)
    orchestrator_version: str = ORCHESTRATOR_VERSION
    workflow_id: str = ""


class QueryState(BaseModel):
    """Execution-scope state of a running (or finished) query, read by the ``state`` query:
    no document text, only the plan and how its steps ended so far."""

    phase: str = Field(description="starting | resolving documents | planning | running | done")
    plan: Plan | None = Field(default=None, description="The plan being run (the latest replan).")
    steps: list[StepResult] = Field(default_factory=list)
    events: int = Field(default=0, description="Events in the query's log so far.")
