"""The LLM usage ledger in the embedded store: ``<data dir>/llm_usage.sqlite``.

``reserve`` reads what the query spent and inserts its reservation in one ``BEGIN IMMEDIATE``
transaction, so concurrent calls of one query, from any thread or worker process sharing the
data directory, cannot jointly overspend its budget. Entries older than
LEDGER_RETENTION_SECONDS are dropped when the ledger opens.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from store.base import LedgerCall, Reservation, Spending
from store.embedded.database import Database
from store.policy import LEDGER_RETENTION_SECONDS, RESERVATION_HOLD_SECONDS, granted_tokens

SCHEMA_VERSION = 1
_SCHEMA = """
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


class EmbeddedLedger:
    """``store.base.UsageLedger`` in a SQLite file. A reservation stops counting
    ``hold_seconds`` after it was made (its worker presumably died)."""

    def __init__(self, path: Path, *, hold_seconds: float = RESERVATION_HOLD_SECONDS) -> None:
        self.hold_seconds = hold_seconds
        self.db = Database(path, _SCHEMA, version=SCHEMA_VERSION)
        old = time.time() - LEDGER_RETENTION_SECONDS
        with self.db.write() as db:
            db.execute("DELETE FROM calls WHERE at < ?", (old,))
            db.execute("DELETE FROM budgets WHERE at < ?", (old,))

    def set_budget(self, query: str, max_tokens: int) -> None:
        with self.db.write() as db:
            db.execute(
                "INSERT INTO budgets(query, max_tokens, at) VALUES (?, ?, ?) "
                "ON CONFLICT(query) DO UPDATE SET max_tokens = excluded.max_tokens",
                (query, max_tokens, time.time()),
            )

    def _spending(self, db: sqlite3.Connection, query: str) -> Spending:
        fresh = time.time() - self.hold_seconds
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
        with self.db.read() as db:
            return self._spending(db, query)

    def reserve(self, call: LedgerCall, *, prompt_tokens: int, max_tokens: int) -> Reservation:
        with self.db.write() as db:
            spent = self._spending(db, call.query)
            granted = granted_tokens(spent, prompt_tokens=prompt_tokens, max_tokens=max_tokens)
            cursor = db.execute(
                "INSERT INTO calls(query, activity_id, attempt, purpose, model, reserved, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    call.query,
                    call.activity_id,
                    call.attempt,
                    call.purpose,
                    call.model,
                    prompt_tokens + granted,
                    time.time(),
                ),
            )
        return Reservation(id=int(cursor.lastrowid or 0), max_tokens=granted)

    def settle(
        self, reservation: Reservation, *, prompt_tokens: int, completion_tokens: int, cost: float
    ) -> None:
        with self.db.write() as db:
            db.execute(
                "UPDATE calls SET reserved = 0, prompt_tokens = ?, completion_tokens = ?, "
                "cost_usd = ? WHERE id = ?",
                (prompt_tokens, completion_tokens, cost, reservation.id),
            )

    def release(self, reservation: Reservation) -> None:
        with self.db.write() as db:
            db.execute("DELETE FROM calls WHERE id = ?", (reservation.id,))
