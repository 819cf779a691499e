"""Per-query LLM token accounting and the ``max_llm_tokens`` budget, in a small SQLite table.

Why a ledger and not a counter in the workflow: a query's LLM calls happen in several activities
(the planner, then tools running concurrently, each possibly retried), so the budget has to be
checked where the calls are made, atomically across concurrent steps. The ledger lives in the
data directory the workers already share for the document store.

The protocol, per call:

1. ``reserve``: in one ``BEGIN IMMEDIATE`` transaction, compare what the query has spent and
   reserved with its budget; grant the prompt estimate plus as many completion tokens as still
   fit (at most the call's ``max_tokens``), or refuse with ``BudgetExhausted``. Concurrent steps
   therefore cannot jointly overspend: each holds a reservation while its call runs.
2. ``settle`` replaces the reservation by the tokens the endpoint reported (``release`` frees it
   when the call failed). A retried attempt makes new calls and new rows, so retries count.

The budget itself is set by the planning activity (the first activity of every query, which
receives ``QueryConfig.max_llm_tokens``). Everything is keyed by the workflow run
(``CallScope.query_key``), so a reused workflow id starts afresh. Overshoot is limited to the
error of the prompt estimate (about four characters per token). A reservation left by a crashed
worker stops counting after ``stale_after`` seconds. The summary's ``llm_usage`` sums what the
successful activities report; the ledger additionally holds calls of attempts that later failed.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from activities.llm.errors import BudgetExhausted
from activities.llm.scope import CallScope

LEDGER_FILE = "llm_usage.sqlite"
MIN_COMPLETION_TOKENS = 64
"""A call that cannot be granted this many completion tokens is not made."""
RETENTION_SECONDS = 30 * 24 * 3600

_prepared: set[Path] = set()
_prepare_lock = threading.Lock()

_SCHEMA = """
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS budgets (
    query TEXT PRIMARY KEY, max_tokens INTEGER NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY, query TEXT NOT NULL, activity_id TEXT NOT NULL,
    attempt INTEGER NOT NULL, purpose TEXT NOT NULL, model TEXT NOT NULL,
    reserved INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_query ON calls(query);
"""


@dataclass(frozen=True)
class Reservation:
    """A granted call: its ledger row and how many completion tokens it may use."""

    row: int
    max_tokens: int


@dataclass(frozen=True)
class Spending:
    """What a query has spent (settled calls) and holds (reservations), and its budget."""

    tokens: int
    reserved: int
    calls: int
    cost_usd: float
    budget: int | None


class UsageLedger:
    """The ledger of one data directory. Safe across threads and processes (SQLite locking)."""

    def __init__(self, data_dir: Path, *, stale_after: float = 600.0) -> None:
        self.path = data_dir / LEDGER_FILE
        self.stale_after = stale_after
        with _prepare_lock:
            if self.path not in _prepared:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self._connect() as db:
                    db.executescript(_SCHEMA)
                    old = time.time() - RETENTION_SECONDS
                    db.execute("DELETE FROM calls WHERE at < ?", (old,))
                    db.execute("DELETE FROM budgets WHERE at < ?", (old,))
                _prepared.add(self.path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            yield db

    def set_budget(self, query: str, max_tokens: int) -> None:
        """The budget of ``query`` (a ``CallScope.query_key``). Idempotent, so planning may be
        retried; a query with no budget row is unlimited."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO budgets(query, max_tokens, at) VALUES (?, ?, ?) "
                "ON CONFLICT(query) DO UPDATE SET max_tokens = excluded.max_tokens",
                (query, max_tokens, time.time()),
            )

    def _spending(self, db: sqlite3.Connection, query: str) -> Spending:
        fresh = time.time() - self.stale_after
        tokens, reserved, calls, cost = db.execute(
            "SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0), "
            "COALESCE(SUM(CASE WHEN at >= ? THEN reserved ELSE 0 END), 0), "
            "COALESCE(SUM(reserved = 0), 0), COALESCE(SUM(cost_usd), 0) "
            "FROM calls WHERE query = ?",
            (fresh, query),
        ).fetchone()
        row = db.execute("SELECT max_tokens FROM budgets WHERE query = ?", (query,)).fetchone()
        budget = int(row[0]) if row else None
        return Spending(int(tokens), int(reserved), int(calls), float(cost), budget)

    def spending(self, query: str) -> Spending:
        """What ``query`` (a ``CallScope.query_key``) has spent and reserved, and its budget."""
        with self._connect() as db:
            return self._spending(db, query)

    def reserve(
        self, scope: CallScope, *, purpose: str, model: str, prompt_tokens: int, max_tokens: int
    ) -> Reservation:
        """Grant a call of about ``prompt_tokens`` with up to ``max_tokens`` completion tokens
        (fewer when the budget is nearly spent), or raise BudgetExhausted."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                spent = self._spending(db, scope.query_key)
                granted = max_tokens
                if spent.budget is not None:
                    left = spent.budget - spent.tokens - spent.reserved - prompt_tokens
                    granted = min(max_tokens, left)
                    if granted < MIN_COMPLETION_TOKENS:
                        raise BudgetExhausted(
                            f"LLM budget of {spent.budget} tokens for this query is spent "
                            f"({spent.tokens} used, {spent.reserved} reserved; this call needs "
                            f"about {prompt_tokens + MIN_COMPLETION_TOKENS})"
                        )
                cursor = db.execute(
                    "INSERT INTO calls(query, activity_id, attempt, purpose, model, "
                    "reserved, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        scope.query_key,
                        scope.activity_id,
                        scope.attempt,
                        purpose,
                        model,
                        prompt_tokens + granted,
                        time.time(),
                    ),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return Reservation(row=int(cursor.lastrowid or 0), max_tokens=granted)

    def settle(
        self, reservation: Reservation, *, prompt_tokens: int, completion_tokens: int, cost: float
    ) -> None:
        """Replace the reservation by what the call used."""
        with self._connect() as db:
            db.execute(
                "UPDATE calls SET reserved = 0, prompt_tokens = ?, completion_tokens = ?, "
                "cost_usd = ? WHERE id = ?",
                (prompt_tokens, completion_tokens, cost, reservation.row),
            )

    def release(self, reservation: Reservation) -> None:
        """The call failed before using tokens: free its reservation."""
        with self._connect() as db:
            db.execute("DELETE FROM calls WHERE id = ?", (reservation.row,))
