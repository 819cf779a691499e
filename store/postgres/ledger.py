"""The LLM usage ledger in PostgreSQL (``docorch.llm_budgets``, ``docorch.llm_calls``).

``reserve`` takes a transaction-scoped advisory lock on its query, reads what the query spent
and inserts its reservation before committing, so concurrent calls of one query on any number
of workers cannot jointly overspend its budget; calls of other queries do not wait. Times are
the database's clock, the same for every worker. Entries older than LEDGER_RETENTION_SECONDS
are dropped when a process opens the store.
"""

from __future__ import annotations

from store.base import LedgerCall, Reservation, Spending
from store.policy import LEDGER_RETENTION_SECONDS, RESERVATION_HOLD_SECONDS, granted_tokens
from store.postgres.database import Connection, Database

_NOW = "extract(epoch FROM clock_timestamp())"
_LOCK_QUERY = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 7))"


class PostgresLedger:
    """``store.base.UsageLedger`` in PostgreSQL. A reservation stops counting ``hold_seconds``
    after it was made (its worker presumably died)."""

    def __init__(self, db: Database, *, hold_seconds: float = RESERVATION_HOLD_SECONDS) -> None:
        self.db = db
        self.hold_seconds = hold_seconds
        with self.db.transaction() as conn:
            for table in ("llm_calls", "llm_budgets"):
                conn.execute(
                    f"DELETE FROM docorch.{table} WHERE at < {_NOW} - %s",
                    (LEDGER_RETENTION_SECONDS,),
                )

    def set_budget(self, query: str, max_tokens: int) -> None:
        with self.db.transaction() as db:
            db.execute(_LOCK_QUERY, (query,))
            db.execute(
                "INSERT INTO docorch.llm_budgets (query, max_tokens) VALUES (%s, %s) "
                "ON CONFLICT (query) DO UPDATE SET max_tokens = excluded.max_tokens",
                (query, max_tokens),
            )

    def _spending(self, db: Connection, query: str) -> Spending:
        row = db.execute(
            "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) AS tokens, "
            f"coalesce(sum(reserved) FILTER (WHERE at >= {_NOW} - %s), 0) AS reserved, "
            "count(*) FILTER (WHERE reserved = 0) AS calls, "
            "coalesce(sum(cost_usd), 0) AS cost, "
            "(SELECT max_tokens FROM docorch.llm_budgets WHERE query = %s) AS budget "
            "FROM docorch.llm_calls WHERE query = %s",
            (self.hold_seconds, query, query),
        ).fetchone()
        assert row is not None
        budget = row["budget"]
        return Spending(
            int(row["tokens"]),
            int(row["reserved"]),
            int(row["calls"]),
            float(row["cost"]),
            int(budget) if budget is not None else None,
        )

    def spending(self, query: str) -> Spending:
        with self.db.connection() as db:
            return self._spending(db, query)

    def reserve(self, call: LedgerCall, *, prompt_tokens: int, max_tokens: int) -> Reservation:
        with self.db.transaction() as db:
            db.execute(_LOCK_QUERY, (call.query,))
            spent = self._spending(db, call.query)
            granted = granted_tokens(spent, prompt_tokens=prompt_tokens, max_tokens=max_tokens)
            row = db.execute(
                "INSERT INTO docorch.llm_calls "
                "(query, activity_id, attempt, purpose, model, reserved) "
                "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (
                    call.query,
                    call.activity_id,
                    call.attempt,
                    call.purpose,
                    call.model,
                    prompt_tokens + granted,
                ),
            ).fetchone()
        assert row is not None
        return Reservation(id=int(row["id"]), max_tokens=granted)

    def settle(
        self, reservation: Reservation, *, prompt_tokens: int, completion_tokens: int, cost: float
    ) -> None:
        with self.db.connection() as db:
            db.execute(
                "UPDATE docorch.llm_calls SET reserved = 0, prompt_tokens = %s, "
                "completion_tokens = %s, cost_usd = %s WHERE id = %s",
                (prompt_tokens, completion_tokens, cost, reservation.id),
            )

    def release(self, reservation: Reservation) -> None:
        with self.db.connection() as db:
            db.execute("DELETE FROM docorch.llm_calls WHERE id = %s", (reservation.id,))
