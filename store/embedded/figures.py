"""Tool figures in the embedded store: recent calls per tool in ``<data dir>/state/global.sqlite``,
aggregated in SQLite (the planner reads them for every query; fetching every row took
milliseconds)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from models.state import ToolStats
from store.base import FigureTotals
from store.embedded.database import Database
from store.policy import CALLS_KEPT_PER_TOOL, nearest_rank

SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tool_calls (
    id INTEGER PRIMARY KEY, tool TEXT NOT NULL, ok INTEGER NOT NULL, ms REAL NOT NULL,
    at REAL NOT NULL, call_key TEXT);
CREATE INDEX IF NOT EXISTS tool_calls_tool ON tool_calls(tool, id);
CREATE INDEX IF NOT EXISTS tool_calls_durations ON tool_calls(tool, ok, ms);
CREATE UNIQUE INDEX IF NOT EXISTS tool_calls_key ON tool_calls(call_key);
"""
_UPGRADES = {2: "ALTER TABLE tool_calls ADD COLUMN call_key TEXT"}
"""Version 2: calls carry their idempotency key (``ToolFigures.record_call``)."""
TRIM_EVERY = 100
"""Calls beyond CALLS_KEPT_PER_TOOL are dropped every this many calls (trimming on every call
cost more than the insert)."""


def _percentile_ms(db: sqlite3.Connection, tool: str, succeeded: int, q: float) -> float:
    """The q-quantile (nearest rank) of the tool's successful call durations."""
    if not succeeded:
        return 0.0
    row = db.execute(
        "SELECT ms FROM tool_calls WHERE tool=? AND ok=1 ORDER BY ms LIMIT 1 OFFSET ?",
        (tool, nearest_rank(succeeded, q)),
    ).fetchone()
    return float(row[0]) if row else 0.0


class EmbeddedFigures:
    """``store.base.ToolFigures`` in a SQLite file."""

    def __init__(self, path: Path) -> None:
        self.db = Database(path, _SCHEMA, version=SCHEMA_VERSION, upgrades=_UPGRADES)

    def record_call(self, tool: str, *, ok: bool, ms: float, key: str | None = None) -> None:
        with self.db.write() as db:
            cursor = db.execute(
                "INSERT INTO tool_calls(tool, ok, ms, at, call_key) VALUES (?,?,?,?,?) "
                "ON CONFLICT(call_key) DO NOTHING",
                (tool, int(ok), ms, time.time(), key),
            )
            row = cursor.lastrowid if cursor.rowcount else None
            if row is not None and row % TRIM_EVERY == 0:
                db.execute(
                    "DELETE FROM tool_calls WHERE id IN (SELECT id FROM (SELECT id, row_number() "
                    "OVER (PARTITION BY tool ORDER BY id DESC) AS n FROM tool_calls) WHERE n > ?)",
                    (CALLS_KEPT_PER_TOOL,),
                )

    def tool_stats(self) -> list[ToolStats]:
        stats = []
        with self.db.read() as db:
            totals = db.execute(
                "SELECT tool, count(*), sum(ok) FROM tool_calls GROUP BY tool ORDER BY tool"
            ).fetchall()
            for tool, calls, succeeded in totals:
                stats.append(
                    ToolStats(
                        tool=tool,
                        calls=calls,
                        success_rate=round(succeeded / calls, 4),
                        p50_ms=round(_percentile_ms(db, tool, succeeded, 0.5), 2),
                        p95_ms=round(_percentile_ms(db, tool, succeeded, 0.95), 2),
                    )
                )
        return stats

    def totals(self) -> FigureTotals:
        with self.db.read() as db:
            calls, oldest = db.execute("SELECT count(*), min(at) FROM tool_calls").fetchone()
        return FigureTotals(calls=int(calls), oldest=oldest, bytes=self.db.size_bytes())
