"""Rules every backend applies the same way: the LLM budget's grant, how long ledger entries and
tool figures are kept, and the percentile of tool durations."""

from __future__ import annotations

from store.base import Spending
from store.errors import BudgetRefused

MIN_COMPLETION_TOKENS = 64
"""A call that cannot be granted this many completion tokens is not made."""
LEDGER_RETENTION_SECONDS = 30 * 24 * 3600
"""Ledger entries and budgets older than this are dropped when a store opens."""
RESERVATION_HOLD_SECONDS = 600.0
"""A reservation left by a crashed worker stops counting after this long (``open_store`` sets
it from the LLM call timeout)."""
CALLS_KEPT_PER_TOOL = 1000
"""Tool figures keep about this many recent calls per tool."""


def granted_tokens(spent: Spending, *, prompt_tokens: int, max_tokens: int) -> int:
    """Completion tokens a call of about ``prompt_tokens`` may use given what its query spent:
    ``max_tokens`` without a budget, else as many as still fit. Raises BudgetRefused when fewer
    than MIN_COMPLETION_TOKENS fit."""
    if spent.budget is None:
        return max_tokens
    left = spent.budget - spent.tokens - spent.reserved - prompt_tokens
    granted = min(max_tokens, left)
    if granted < MIN_COMPLETION_TOKENS:
        raise BudgetRefused(
            f"LLM budget of {spent.budget} tokens for this query is spent "
            f"({spent.tokens} used, {spent.reserved} reserved; this call needs "
            f"about {prompt_tokens + MIN_COMPLETION_TOKENS})"
        )
    return granted


def nearest_rank(count: int, q: float) -> int:
    """The 0-based index of the q-quantile (nearest rank) among ``count`` sorted values."""
    return min(count - 1, max(0, round(q * (count - 1))))
