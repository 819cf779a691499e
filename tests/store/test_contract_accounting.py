"""The store contract's accounting, on every backend: tool figures and the LLM ledger (budgets,
reservations safe under concurrency, stale reservations)."""

from __future__ import annotations

import pytest

from store import BudgetRefused, LedgerCall
from store.policy import MIN_COMPLETION_TOKENS
from tests.store.conftest import Backend
from tests.store.helpers import PARALLEL, at_once

# ---- tool figures -------------------------------------------------------------------------------


def test_tool_figures_count_calls_success_and_duration_percentiles(backend: Backend) -> None:
    figures = backend.open().figures
    assert figures.tool_stats() == [] and figures.totals().calls == 0
    for ms in range(1, 21):
        figures.record_call("search_documents", ok=True, ms=float(ms))
    figures.record_call("search_documents", ok=False, ms=999.0)
    figures.record_call("answer_question", ok=False, ms=5.0)
    search, answer = sorted(figures.tool_stats(), key=lambda s: s.tool, reverse=True)
    assert (search.tool, search.calls, search.success_rate) == (
        "search_documents",
        21,
        round(20 / 21, 4),
    )
    assert (search.p50_ms, search.p95_ms) == (11.0, 19.0), "nearest rank over successful calls"
    assert (answer.calls, answer.success_rate, answer.p50_ms) == (1, 0.0, 0.0)
    totals = figures.totals()
    assert totals.calls == 22 and totals.oldest is not None and totals.bytes > 0


def test_threads_recording_calls_lose_none(backend: Backend) -> None:
    figures = backend.open().figures

    def record_ten() -> None:
        for _ in range(10):
            figures.record_call("t", ok=True, ms=1.0)

    at_once(PARALLEL, record_ten)
    assert figures.totals().calls == PARALLEL * 10


def test_a_call_recorded_again_under_its_key_is_recorded_once(backend: Backend) -> None:
    figures = backend.open().figures
    figures.record_call("search_documents", ok=True, ms=3.0, key="query-1/run/search_1")
    figures.record_call("search_documents", ok=True, ms=9.0, key="query-1/run/search_1")
    figures.record_call("search_documents", ok=True, ms=5.0, key="query-2/run/search_1")
    figures.record_call("search_documents", ok=False, ms=1.0)
    figures.record_call("search_documents", ok=False, ms=1.0)  # no key: always recorded
    (search,) = figures.tool_stats()
    assert (search.calls, search.success_rate, search.p50_ms) == (4, 0.5, 3.0)


def test_threads_recording_the_same_key_record_it_once(backend: Backend) -> None:
    figures = backend.open().figures
    at_once(PARALLEL, lambda: figures.record_call("t", ok=True, ms=1.0, key="q/run/step"))
    assert figures.totals().calls == 1


# ---- LLM ledger ---------------------------------------------------------------------------------


def _call(query: str, step: str = "answer_1") -> LedgerCall:
    return LedgerCall(query=query, activity_id=step, attempt=1, purpose="answer", model="m")


def test_without_a_budget_every_call_is_granted_and_settled_usage_counts(backend: Backend) -> None:
    ledger = backend.open().ledger
    granted = ledger.reserve(_call("q1"), prompt_tokens=100, max_tokens=300)
    assert granted.max_tokens == 300
    assert ledger.spending("q1").reserved == 400
    ledger.settle(granted, prompt_tokens=90, completion_tokens=30, cost=0.25)
    spent = ledger.spending("q1")
    assert (spent.tokens, spent.reserved, spent.calls, spent.cost_usd, spent.budget) == (
        120,
        0,
        1,
        0.25,
        None,
    )
    released = ledger.reserve(_call("q1", "answer_2"), prompt_tokens=100, max_tokens=300)
    ledger.release(released)
    assert ledger.spending("q1") == spent


def test_a_budget_caps_then_refuses_and_a_refusal_records_nothing(backend: Backend) -> None:
    ledger = backend.open().ledger
    ledger.set_budget("q2", 1000)
    ledger.set_budget("q2", 500)  # idempotent: a retried planning activity sets it again
    first = ledger.reserve(_call("q2"), prompt_tokens=200, max_tokens=1000)
    assert first.max_tokens == 300, "capped at what the budget leaves"
    with pytest.raises(BudgetRefused, match="budget of 500 tokens"):
        ledger.reserve(_call("q2"), prompt_tokens=10, max_tokens=MIN_COMPLETION_TOKENS)
    assert ledger.spending("q2").reserved == 500
    assert ledger.spending("other").budget is None


def test_concurrent_steps_cannot_jointly_overspend(backend: Backend) -> None:
    ledger = backend.open().ledger
    ledger.set_budget("q3", 1000)

    def reserve() -> int | None:
        try:
            return ledger.reserve(_call("q3"), prompt_tokens=200, max_tokens=200).max_tokens
        except BudgetRefused:
            return None

    granted = at_once(6, reserve)
    # 400 tokens each: two fit; a third would have 1000 - 800 - 200 = 0 completion tokens
    assert sorted(granted, key=lambda g: g or 0) == [None] * 4 + [200, 200]
    assert ledger.spending("q3").reserved == 800


def test_a_stale_reservation_stops_counting(backend: Backend) -> None:
    ledger = backend.open(hold_seconds=0.0).ledger
    ledger.set_budget("q4", 500)
    ledger.reserve(_call("q4"), prompt_tokens=200, max_tokens=300)
    assert ledger.spending("q4").reserved == 0
    assert ledger.reserve(_call("q4"), prompt_tokens=200, max_tokens=300).max_tokens == 300
