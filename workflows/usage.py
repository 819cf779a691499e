"""LLM usage of a query: what the plan and each step output report, summed. Pure, no I/O.

Tools that call an LLM report an ``LlmUsage`` (``ToolCallResult.usage``); the planning
activity puts the planner's on ``PlanResponse.llm_usage``. Counting happens once per activity
result (each for_each item, fallback and repeat included), so nothing is counted twice, and
what a failed attempt spent is not in the summary (the per-query ledger in the data directory,
which enforces the budget, has it).
"""

from __future__ import annotations

from models.events import EventData, EventKind
from models.usage import LlmUsage
from workflows.progress import EventLog

BUDGET_SPENT = (
    "LLM budget (max_llm_tokens) spent: planning and tools continue on templates and "
    "extractive methods"
)


class LlmTally:
    """The query's LLM usage so far. Says so in the event log, once, when the budget stops
    LLM use."""

    def __init__(self, events: EventLog) -> None:
        self.events = events
        self.total = LlmUsage()

    def add(self, usage: LlmUsage | None, *, step_id: str | None = None) -> None:
        """Count ``usage`` (None: nothing to count)."""
        if usage is None:
            return
        newly_exhausted = usage.budget_exhausted and not self.total.budget_exhausted
        self.total = self.total + usage
        if newly_exhausted:
            self.events.emit(
                EventKind.DEGRADED,
                BUDGET_SPENT,
                step_id=step_id,
                data=EventData(llm_budget_exhausted=True, llm_tokens=self.total.total_tokens),
            )
