"""Step and global state in the data directory, beside (not instead of) Temporal.

* Step scope: every step's output is written to ``state/steps/<workflow id>/<activity id>.json``
  so the trace, the API and later steps can read it by reference. A TTL cleanup removes the
  outputs of executions older than the TTL, except those a running query or an open session
  still refers to (the caller passes that set: it comes from Temporal visibility).
* Global scope: per-tool call outcomes (success, duration) feed success rates and duration
  percentiles that the planner and the API read.

Session and execution state live in their workflows (SessionWorkflow, QueryWorkflow.state).
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.state import CleanupReport, ScopeSummary, ToolStats

CALLS_KEPT_PER_TOOL = 1000
TRIM_EVERY = 100
_SAFE = re.compile(r"[^A-Za-z0-9_.\-\[\]#~]")


def _safe(name: str) -> str:
    return _SAFE.sub("_", name)[:200]


def _iso(timestamp: float | None) -> str | None:
    return datetime.fromtimestamp(timestamp, UTC).isoformat() if timestamp else None


class StateStore:
    """Thread-safe; every method is a short transaction or a single file operation."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir).expanduser().resolve() / "state"
        self.steps_dir = self.root / "steps"
        self.steps_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "global.sqlite"
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        with self._connect() as db:
            db.executescript(
                """PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS tool_calls (
                    id INTEGER PRIMARY KEY, tool TEXT NOT NULL, ok INTEGER NOT NULL,
                    ms REAL NOT NULL, at REAL NOT NULL);
                CREATE INDEX IF NOT EXISTS tool_calls_tool ON tool_calls(tool, id);
                CREATE INDEX IF NOT EXISTS tool_calls_durations ON tool_calls(tool, ok, ms);"""
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """The store's one connection, opened on first use and kept, one transaction at a time.

        Not one connection per call: closing the last connection checkpoints the WAL, which made
        every recorded tool call cost ~5 ms of I/O on the worker's event loop."""
        with self._lock:
            if self._db is None:
                self._db = sqlite3.connect(self.db_path, timeout=30, check_same_thread=False)
                self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                yield self._db
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise

    # ---- step scope ------------------------------------------------------------------------

    def save_step_output(self, workflow_id: str, activity_id: str, output: Any) -> str:
        """Write a step's output; returns its reference ``<workflow id>/<activity id>``."""
        folder = self.steps_dir / _safe(workflow_id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{_safe(activity_id)}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(output), encoding="utf-8")
        tmp.replace(path)
        return f"{_safe(workflow_id)}/{_safe(activity_id)}"

    def load_step_output(self, reference: str) -> Any:
        workflow_id, _, activity_id = reference.partition("/")
        path = self.steps_dir / _safe(workflow_id) / f"{_safe(activity_id)}.json"
        return json.loads(path.read_text(encoding="utf-8"))

    def step_outputs(self, workflow_id: str) -> dict[str, Any]:
        folder = self.steps_dir / _safe(workflow_id)
        if not folder.is_dir():
            return {}
        return {
            p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))
        }

    def _executions(self) -> Iterable[tuple[Path, float, int, int]]:
        """(folder, newest modification time, files, bytes) per execution."""
        for folder in self.steps_dir.iterdir():
            if not folder.is_dir():
                continue
            files = list(folder.glob("*.json"))
            newest = max((f.stat().st_mtime for f in files), default=folder.stat().st_mtime)
            yield folder, newest, len(files), sum(f.stat().st_size for f in files)

    def cleanup_step_outputs(self, *, ttl_seconds: float, keep: Iterable[str]) -> CleanupReport:
        """Remove step outputs of executions idle for longer than the TTL, except ``keep``
        (workflow ids a running query or an open session refers to)."""
        kept_ids = {_safe(k) for k in keep}
        cutoff = time.time() - ttl_seconds
        report = CleanupReport()
        for folder, newest, files, size in list(self._executions()):
            if newest >= cutoff:
                continue
            if folder.name in kept_ids:
                report.kept_referenced += 1
                continue
            shutil.rmtree(folder, ignore_errors=True)
            report.removed_executions += 1
            report.removed_files += files
            report.freed_bytes += size
        return report

    def step_scope(self) -> ScopeSummary:
        executions = list(self._executions())
        oldest = min((e[1] for e in executions), default=None)
        return ScopeSummary(
            scope="step",
            entries=sum(e[2] for e in executions),
            bytes=sum(e[3] for e in executions),
            oldest=_iso(oldest),
            details={"executions": len(executions)},
        )

    # ---- global scope ----------------------------------------------------------------------

    def record_tool_call(self, tool: str, *, ok: bool, ms: float) -> None:
        """Record one call; every TRIM_EVERY calls, each tool's older calls beyond
        CALLS_KEPT_PER_TOOL are dropped (trimming on every call cost more than the insert)."""
        with self._connect() as db:
            row = db.execute(
                "INSERT INTO tool_calls(tool, ok, ms, at) VALUES (?,?,?,?)",
                (tool, int(ok), ms, time.time()),
            ).lastrowid
            if row is not None and row % TRIM_EVERY == 0:
                db.execute(
                    "DELETE FROM tool_calls WHERE id IN (SELECT id FROM (SELECT id, row_number() "
                    "OVER (PARTITION BY tool ORDER BY id DESC) AS n FROM tool_calls) WHERE n > ?)",
                    (CALLS_KEPT_PER_TOOL,),
                )

    def tool_stats(self) -> list[ToolStats]:
        """Calls, success rate and duration percentiles per tool, aggregated in SQLite: the
        planner reads this for every query, and fetching every row took milliseconds."""
        stats = []
        with self._connect() as db:
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

    def global_scope(self, registered_tools: int) -> ScopeSummary:
        with self._connect() as db:
            calls, oldest = db.execute("SELECT count(*), min(at) FROM tool_calls").fetchone()
        size = self.db_path.stat().st_size if self.db_path.exists() else 0
        return ScopeSummary(
            scope="global",
            entries=int(calls),
            bytes=size,
            oldest=_iso(oldest),
            details={"registered_tools": registered_tools},
        )


def _percentile_ms(db: sqlite3.Connection, tool: str, succeeded: int, q: float) -> float:
    """The q-quantile (nearest rank) of the tool's successful call durations."""
    if not succeeded:
        return 0.0
    index = min(succeeded - 1, max(0, round(q * (succeeded - 1))))
    row = db.execute(
        "SELECT ms FROM tool_calls WHERE tool=? AND ok=1 ORDER BY ms LIMIT 1 OFFSET ?",
        (tool, index),
    ).fetchone()
    return float(row[0]) if row else 0.0
