"""Tool figures in PostgreSQL (``docorch.tool_calls``): recent calls per tool, shared by every
worker and the API."""

from __future__ import annotations

from models.state import ToolStats
from store.base import FigureTotals
from store.policy import CALLS_KEPT_PER_TOOL, nearest_rank
from store.postgres.database import Database

TRIM_EVERY = 100
"""Calls beyond CALLS_KEPT_PER_TOOL are dropped every this many calls."""


def _quantile(durations: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of sorted durations; 0 without any."""
    return float(durations[nearest_rank(len(durations), q)]) if durations else 0.0


class PostgresFigures:
    """``store.base.ToolFigures`` in PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record_call(self, tool: str, *, ok: bool, ms: float, key: str | None = None) -> None:
        with self.db.transaction() as db:
            row = db.execute(
                "INSERT INTO docorch.tool_calls (tool, ok, ms, call_key) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (call_key) DO NOTHING RETURNING id",
                (tool, ok, ms, key),
            ).fetchone()
            if row is not None and row["id"] % TRIM_EVERY == 0:
                db.execute(
                    "DELETE FROM docorch.tool_calls WHERE id IN (SELECT id FROM (SELECT id, "
                    "row_number() OVER (PARTITION BY tool ORDER BY id DESC) AS n "
                    "FROM docorch.tool_calls) AS ranked WHERE n > %s)",
                    (CALLS_KEPT_PER_TOOL,),
                )

    def tool_stats(self) -> list[ToolStats]:
        with self.db.connection() as db:
            rows = db.execute(
                "SELECT tool, count(*) AS calls, count(*) FILTER (WHERE ok) AS succeeded, "
                "coalesce(array_agg(ms ORDER BY ms) FILTER (WHERE ok), '{}') AS durations "
                "FROM docorch.tool_calls GROUP BY tool ORDER BY tool"
            ).fetchall()
        return [
            ToolStats(
                tool=r["tool"],
                calls=r["calls"],
                success_rate=round(r["succeeded"] / r["calls"], 4),
                p50_ms=round(_quantile(r["durations"], 0.5), 2),
                p95_ms=round(_quantile(r["durations"], 0.95), 2),
            )
            for r in rows
        ]

    def totals(self) -> FigureTotals:
        with self.db.connection() as db:
            row = db.execute(
                "SELECT count(*) AS calls, min(at) AS oldest FROM docorch.tool_calls"
            ).fetchone()
        assert row is not None
        return FigureTotals(
            calls=int(row["calls"]), oldest=row["oldest"], bytes=self.db.size_bytes("tool_calls")
        )
