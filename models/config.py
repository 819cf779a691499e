"""How a query is asked to run: the kind of question, the shape of its plan, the scheduling and
the per-query settings, and the earlier turns of its session. Plans and requests both use them,
so they live below both."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.limits import MAX_DEADLINE_SECONDS, MAX_LLM_TOKENS, MIN_TIMER_SECONDS


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
    """Per-query execution settings, each bounded to what the workflow can hold (a deadline is a
    Temporal timer; see ``models.limits``)."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

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
        default=None,
        ge=MIN_TIMER_SECONDS,
        le=MAX_DEADLINE_SECONDS,
        description="Return a partial answer after this many seconds (at most 7 days).",
    )
    top_k: int = Field(default=5, ge=1, le=50, description="Passages retrieved per search.")
    max_llm_tokens: int | None = Field(
        default=None,
        ge=0,
        le=MAX_LLM_TOKENS,
        description="LLM tokens (prompt + completion) this query may spend; None is unlimited. "
        "Once spent, planning and tools continue on templates and extractive methods.",
    )


class PriorTurn(BaseModel):
    """A previous question of the same session and the start of its answer."""

    model_config = ConfigDict(frozen=True)

    question: str
    answer_summary: str = ""
    documents: tuple[str, ...] = ()
