"""What a caller sends (QueryRequest) and what it gets back (QueryResult)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.documents import Citation, DocumentRef

ORCHESTRATOR_VERSION = "2.0"
DEGRADED_ORCHESTRATOR_VERSION = "1.0"


class QueryType(StrEnum):
    SEARCH = "search"
    SUMMARY = "summary"
    ANALYSIS = "analysis"
    COMPARISON = "comparison"
    EXTRACTION = "extraction"
    QA = "qa"


class Strategy(StrEnum):
    """How a plan is shaped. SIMPLE: one pass over all documents; PARALLEL: fan out per document;
    ADAPTIVE: template when the query matches one well, LLM otherwise; COMPREHENSIVE: every
    analysis tool, per document."""

    SIMPLE = "simple"
    PARALLEL = "parallel"
    ADAPTIVE = "adaptive"
    COMPREHENSIVE = "comprehensive"


Scheduling = Literal["eager", "levels"]


class QueryConfig(BaseModel):
    """Per-query execution settings."""

    model_config = ConfigDict(frozen=True)

    max_parallel_steps: int = Field(default=3, ge=1, le=64)
    strategy: Strategy = Field(
        default=Strategy.ADAPTIVE,
        description="ADAPTIVE plans with the LLM when the query fits no template well, and is "
        "PARALLEL when no LLM is configured.",
    )
    confidence_threshold: float = Field(default=0.7, ge=0.0, le=1.0)
    scheduling: Scheduling = Field(
        default="eager",
        description="eager: start a step as soon as its inputs are ready; levels: level by level.",
    )
    max_replans: int = Field(default=2, ge=0, le=5)
    deadline_seconds: float | None = Field(
        default=None, gt=0, description="Return a partial answer after this many seconds."
    )
    top_k: int = Field(default=5, ge=1, le=50, description="Passages retrieved per search.")
    max_llm_tokens: int | None = Field(
        default=None,
        ge=0,
        description="LLM tokens (prompt + completion) this query may spend; None is unlimited. "
        "Once spent, planning and tools continue on templates and extractive methods.",
    )


class PriorTurn(BaseModel):
    """A previous question of the same session and the start of its answer."""

    model_config = ConfigDict(frozen=True)

    question: str
    answer_summary: str = ""
    documents: tuple[str, ...] = ()


class QueryRequest(BaseModel):
    """A question over a set of documents. Plain JSON: any Temporal client can send it."""

    model_config = ConfigDict(frozen=True)

    query: str = Field(min_length=1, max_length=4000, description="The question to answer.")
    documents: tuple[str, ...] = Field(
        min_length=1, description="File paths, or ids of documents already ingested."
    )
    session_id: str | None = None
    config: QueryConfig = Field(default_factory=QueryConfig)
    plan: Any | None = Field(
        default=None,
        description="A ready-made Plan (JSON) to run instead of planning; it is still validated.",
    )
    history: tuple[PriorTurn, ...] = Field(
        default=(), description="Recent turns of the session, oldest first, for follow-ups."
    )

    @field_validator("query")
    @classmethod
    def _query_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("query is empty: ask a question about the documents")
        return value.strip()

    @field_validator("documents")
    @classmethod
    def _documents_not_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(d.strip() for d in value if d.strip())
        if not cleaned:
            raise ValueError("no documents: name at least one file path or document id")
        return cleaned


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
    """Input of the resolve_documents activity."""

    sources: list[str] = Field(description="File paths or ids/names of ingested documents.")


class ResolveReport(BaseModel):
    """Documents ready to query, and the ones that could not be used (with why)."""

    documents: list[DocumentRef] = Field(default_factory=list)
    failures: list[DocumentFailure] = Field(default_factory=list)


class LlmUsage(BaseModel):
    """Tokens and estimated cost of LLM calls: of one tool output, one plan, or a whole query."""

    model_config = ConfigDict(frozen=True)

    calls: int = Field(default=0, description="Completed chat-completion calls.")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = Field(default=0.0, description="Estimate from the configured price table.")
    budget_exhausted: bool = Field(
        default=False, description="A call was not made because max_llm_tokens was spent."
    )
    fallbacks: int = Field(
        default=0, description="Times an LLM path gave way to a template or an extractive tool."
    )

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: LlmUsage) -> LlmUsage:
        return LlmUsage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 8),
            budget_exhausted=self.budget_exhausted or other.budget_exhausted,
            fallbacks=self.fallbacks + other.fallbacks,
        )


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
