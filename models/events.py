"""Live progress: an append-only log of small typed events with increasing offsets."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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


class ProgressEvent(BaseModel):
    """One event of a query. Payloads are small: ids, names, numbers; never document text."""

    model_config = ConfigDict(frozen=True)

    offset: int = Field(description="0-based position in the query's event log.")
    kind: EventKind
    at: str = Field(description="ISO timestamp (workflow time).")
    step_id: str | None = None
    tool: str | None = None
    message: str = ""
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        """True for the last event of a query: the final answer, or an error that ended it.
        Errors about single documents (``data["fatal"] is False``) are not final."""
        if self.kind is EventKind.ERROR:
            return self.data.get("fatal", True) is not False
        return self.kind is EventKind.FINAL_ANSWER
