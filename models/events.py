"""Live progress: an append-only log of small typed events with increasing offsets."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from models.plan import Plan


class EventKind(StrEnum):
    PLAN_CREATED = "plan_created"
    STEP_SCHEDULED = "step_scheduled"
    STEP_STARTED = "step_started"
    STEP_RETRYING = "step_retrying"
    STEP_COMPLETED = "step_completed"
    STEP_FAILED = "step_failed"
    STEP_SKIPPED = "step_skipped"
    STEP_FELL_BACK = "step_fell_back"
    REPLAN_STARTED = "replan_started"
    REPLAN_FINISHED = "replan_finished"
    DEGRADED = "degraded"
    FINAL_ANSWER = "final_answer"
    ERROR = "error"


class StepOutline(BaseModel):
    """A step of a new plan, as events name it: id, tool and what it is for."""

    model_config = ConfigDict(frozen=True)

    id: str
    tool: str
    description: str = ""


def plan_outline(plan: Plan) -> list[StepOutline]:
    """The plan's steps as events name them."""
    return [StepOutline(id=s.id, tool=s.tool, description=s.description) for s in plan.steps]


class EventData(BaseModel):
    """The figures of an event; each kind sets the fields listed for it, the rest stay unset
    (and are left out of the JSON).

    plan_created: query_type, strategy, source (template | llm | replan), levels, steps ·
    step_scheduled: level · step_completed: confidence, attempts, duration_ms ·
    step_failed: error_type · step_fell_back: failed_tool · replan_started: attempt, failed ·
    replan_finished: attempt, ok, steps · degraded (LLM budget): llm_budget_exhausted,
    llm_tokens · error: error_type, and for one document's failure source and fatal=False ·
    final_answer: confidence, orchestrator_version.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    query_type: str | None = None
    strategy: str | None = None
    source: str | None = Field(
        default=None, description="plan_created: where the plan came from; error: the document."
    )
    levels: list[list[str]] | None = None
    steps: list[StepOutline] | None = None
    level: int | None = None
    confidence: float | None = None
    attempts: int | None = None
    duration_ms: float | None = None
    error_type: str | None = None
    failed_tool: str | None = None
    attempt: int | None = Field(default=None, description="The replan's number (1 = first).")
    failed: list[str] | None = Field(default=None, description="Steps a replan replaces.")
    ok: bool | None = Field(default=None, description="Whether the replan produced a plan.")
    llm_budget_exhausted: bool | None = None
    llm_tokens: int | None = None
    fatal: bool | None = Field(
        default=None, description="error: False when only one document failed, not the query."
    )
    orchestrator_version: str | None = None

    @model_serializer(mode="wrap")
    def _only_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        dumped: dict[str, Any] = handler(self)
        return {k: v for k, v in dumped.items() if v is not None}


class ProgressEvent(BaseModel):
    """One event of a query. Payloads are small: ids, names, numbers; never document text."""

    model_config = ConfigDict(frozen=True)

    offset: int = Field(description="0-based position in the query's event log.")
    kind: EventKind
    at: str = Field(description="ISO timestamp (workflow time).")
    step_id: str | None = None
    tool: str | None = None
    message: str = ""
    data: EventData = Field(default_factory=EventData)

    @property
    def is_final(self) -> bool:
        """True for the last event of a query: the final answer, or an error that ended it.
        Errors about single documents (``data.fatal`` is False) are not final."""
        if self.kind is EventKind.ERROR:
            return self.data.fatal is not False
        return self.kind is EventKind.FINAL_ANSWER


class EventsAfter(BaseModel):
    """Input of the ``events_after`` query and the ``wait_events`` update: the last offset the
    reader has seen (-1 for none)."""

    model_config = ConfigDict(frozen=True)

    offset: int = Field(default=-1, ge=-1)

    @model_validator(mode="before")
    @classmethod
    def _bare_offset(cls, data: Any) -> Any:
        # earlier clients (and the histories of queries they read) send the offset alone
        return {"offset": data} if isinstance(data, int) else data


class EventPage(BaseModel):
    """Events after a reader's offset, in order: at most a page (read on from the last one)."""

    events: list[ProgressEvent] = Field(default_factory=list)
