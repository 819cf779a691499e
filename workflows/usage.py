"""LLM usage of a query: what the plan and each step output report, summed. Pure, no I/O.

Tools that call an LLM put an ``LlmUsage`` under ``usage`` in their output; the planning
activity puts the planner's on ``PlanResponse.llm_usage``. Counting happens once per activity
result (each for_each item, fallback and repeat included), so nothing is counted twice, and
what a failed attempt spent is not in the summary (the per-query ledger in the data directory,
which enforces the budget, has it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from models.events import EventKind
    from models.query import LlmUsage
    from workflows.progress import EventLog

BUDGET_SPENT = (
    "LLM budget (max_llm_tokens) spent: planning and tools continue on templates and "
    "extractive methods"
)


def reported_usage(output: Any) -> LlmUsage | None:
    """The ``usage`` a step output reports, or None."""
    raw = output.get("usage") if isinstance(output, Mapping) else None
    if not isinstance(raw, Mapping):
        return None
    try:
        return LlmUsage.model_validate(raw)
    except ValidationError:
        return None


class LlmTally:
    """The query's LLM usage so far. Says so in the event log, once, when the budget stops
    LLM use."""

    def __init__(self, events: EventLog) -> None:
        self.events = events
        self.total = LlmUsage()

    def add(self, usage: LlmUsage | None, *, step_id: str | None = None) -> None:
        if usage is None:
            return
        newly_exhausted = usage.budget_exhausted and not self.total.budget_exhausted
        self.total = self.total + usage
        if newly_exhausted:
            self.events.emit(
                EventKind.DEGRADED,
                BUDGET_SPENT,
                step_id=step_id,
                llm_budget_exhausted=True,
                llm_tokens=self.total.total_tokens,
            )
