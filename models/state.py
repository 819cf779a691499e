"""State at three scopes (global, session, execution): the figures a caller can read."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ScopeSummary(BaseModel):
    scope: str = Field(description="global | session | execution")
    entries: int = 0
    bytes: int = 0
    oldest: str | None = Field(default=None, description="ISO time of the oldest entry.")
    details: dict[str, int | float | str] = Field(default_factory=dict)


class ToolStats(BaseModel):
    """What completed steps taught us about a tool (global scope)."""

    tool: str
    calls: int
    success_rate: float
    p50_ms: float
    p95_ms: float


class StateSummary(BaseModel):
    scopes: list[ScopeSummary]
    active_sessions: int = 0
    running_queries: int = 0
    tools: list[ToolStats] = Field(default_factory=list)
