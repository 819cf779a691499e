"""The execution trace as data: one row per step activity, read back from a query's Temporal
history by ``client.trace``. Plain JSON, like every contract here."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

RowStatus = Literal[
    "scheduled",
    "running",
    "retrying",
    "completed",
    "failed",
    "timed_out",
    "cancelled",
    "cancel_requested",
]


class TraceRow(BaseModel):
    """One activity of one step (one row per step attempt: retries of the same activity are
    counted in ``attempts``; repeats, for_each items and fallbacks are rows of their own)."""

    activity_id: str = Field(description="The activity id: step, step#n, step[i] or step~tool.")
    step_id: str = Field(description="The plan step this row belongs to.")
    tool: str = Field(description="The activity type: the tool that ran.")
    level: int | None = Field(default=None, description="1 = steps with no inputs, ...")
    plan: str = Field(default="initial", description="initial | replan-<n> | direct")
    replan: int = Field(default=0, description="0 for the first plan, n for the n-th replan.")
    iteration: int | None = Field(default=None, description="Repeat iteration (step#n).")
    item: int | None = Field(default=None, description="for_each item index (step[i]).")
    fell_back_from: str | None = Field(default=None, description="The tool that failed before.")
    status: RowStatus = "scheduled"
    attempts: int = 0
    scheduled_at: datetime | None = None
    started_at: datetime | None = Field(default=None, description="Start of the last attempt.")
    closed_at: datetime | None = None
    queue_wait_ms: float | None = Field(
        default=None, description="Scheduled to started, for a first attempt."
    )
    duration_ms: float | None = Field(default=None, description="The last attempt's run time.")
    total_ms: float | None = Field(
        default=None, description="Scheduled to closed, retries included."
    )
    tool_ms: float | None = Field(default=None, description="The tool's own time (its envelope).")
    failure: str | None = None
    last_retry_failure: str | None = Field(
        default=None, description="Why the attempt before the last one failed."
    )
    confidence: float | None = None


class Trace(BaseModel):
    """A query's execution as recorded by Temporal."""

    workflow_id: str
    run_id: str
    workflow_type: str
    status: str = Field(description="running | completed | failed | canceled | terminated | ...")
    started_at: datetime | None = None
    closed_at: datetime | None = None
    duration_ms: float | None = None
    query_type: str | None = None
    strategy: str | None = None
    reasoning: str | None = None
    levels: list[list[str]] = Field(default_factory=list, description="Levels of the first plan.")
    replans: list[str] = Field(default_factory=list, description="Replan child workflow ids.")
    rows: list[TraceRow] = Field(default_factory=list)
    confidence_score: float | None = None
    orchestrator_version: str | None = None
    failure: str | None = None
    history_events: int = 0
    history_bytes: int = 0
    ui_url: str | None = None

    def rows_of(self, step_id: str) -> list[TraceRow]:
        return [r for r in self.rows if r.step_id == step_id]
