"""The chaos soak's audit: no step's side effect recorded twice, counted in the store and checked
against the Temporal histories.

What a step writes beyond its own Temporal history (its result lives there, once, whatever the
retries), found by reading what the activities write through ``store/``:

* **tool figures** (``ToolFigures.record_call``, ``activities.registry``): one row per tool call
  outcome. A step that *completed* (``ActivityTaskCompleted`` in its workflow's history) must
  have exactly one success row: a second one means an attempt whose completion never reached the
  server (its worker was killed right after the call, or the server was down) and whose retry
  recorded the same success again. Failed attempts are rows of their own (each one was a call);
  Temporal keeps only a step's last failure in history, so they are counted, not matched.
* **documents** (``DocumentStore.put_document``, the resolve activity): one row per distinct
  bytes, with as many chunk rows and search-index entries as it says it has chunks; a resolve
  attempt retried after a kill must not index a document again.
* **content bytes** (``put_content``, the SDK's uploads): one per distinct upload.
* **LLM ledger** (``UsageLedger``): rows per LLM call and attempt; none here (no LLM endpoint
  configured: template and given plans, extractive tools).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import TimeoutType
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client

from bench.results import md_table
from models.settings import Settings
from store.urls import parse_store_url

PLAIN_ACTIVITIES = frozenset({"plan_query", "resolve_documents"})
"""Activities that are not tools: they record no figures."""


def _cause(failure: Failure) -> str:
    """Why an attempt failed, in a few words (which timeout, or the error type)."""
    if failure.HasField("timeout_failure_info"):
        return (
            TimeoutType.Name(failure.timeout_failure_info.timeout_type)
            .removeprefix("TIMEOUT_TYPE_")
            .lower()
            .replace("_", "-")
            + " timeout"
        )
    if failure.HasField("application_failure_info"):
        return failure.application_failure_info.type or "error"
    return failure.message[:40] or "unknown"


async def _wait_closed(client: Client, within: float = 300) -> int:
    """Wait until no workflow runs on the server (queries whose callers gave up go on); how
    many still run after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        running = await client.count_workflows("ExecutionStatus = 'Running'")
        if not running.count or loop.time() > deadline:
            return running.count
        await asyncio.sleep(1)


_ENDINGS = {
    f"{name}_event_attributes": name
    for name in (
        "activity_task_completed",
        "activity_task_failed",
        "activity_task_timed_out",
        "activity_task_canceled",
    )
}
"""History events that end a step's activity, by their attributes' field name."""


async def _steps(client: Client, quiet: set[str]) -> dict[str, Any]:
    """Over every workflow run on the server: the tool steps that completed (key
    ``workflow/run/step``, as the figures key them), which steps ran more than one attempt and
    why, and how many workflow tasks timed out, in the runs of queries ``quiet`` (no kill while
    they ran) and in the others."""
    completed: Counter[str] = Counter()
    keys: set[str] = set()
    retried: Counter[str] = Counter()
    retried_quietly: Counter[str] = Counter()
    task_timeouts = Counter({"quiet": 0, "soak": 0})
    states: dict[str, str] = {}
    workflows = [w async for w in client.list_workflows()]
    for execution in workflows:
        is_quiet = (execution.parent_id or execution.id) in quiet
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        history = await handle.fetch_history()
        scheduled: dict[int, tuple[str, str]] = {}
        for event in history.events:
            ended = _ENDINGS.get(event.WhichOneof("attributes") or "")
            if ended is not None:
                ending = getattr(event, f"{ended}_event_attributes")
                activity_id = scheduled[ending.scheduled_event_id][0]
                states[f"{execution.id}/{execution.run_id}/{activity_id}"] = ended
            if event.HasField("activity_task_scheduled_event_attributes"):
                attributes = event.activity_task_scheduled_event_attributes
                scheduled[event.event_id] = (attributes.activity_id, attributes.activity_type.name)
            elif event.HasField("activity_task_started_event_attributes"):
                started = event.activity_task_started_event_attributes
                if started.attempt > 1:
                    tool = scheduled[started.scheduled_event_id][1]
                    cause = f"{tool}: {_cause(started.last_failure)}"
                    (retried_quietly if is_quiet else retried)[cause] += 1
            elif event.HasField("workflow_task_timed_out_event_attributes"):
                task_timeouts["quiet" if is_quiet else "soak"] += 1
            elif event.HasField("activity_task_completed_event_attributes"):
                step, tool = scheduled[
                    event.activity_task_completed_event_attributes.scheduled_event_id
                ]
                if tool not in PLAIN_ACTIVITIES:
                    completed[tool] += 1
                    keys.add(f"{execution.id}/{execution.run_id}/{step}")
    return {
        "completed": completed,
        "keys": keys,
        "states": states,
        "retried": retried,
        "retried_quietly": retried_quietly,
        "task_timeouts": task_timeouts,
        "runs": len(workflows),
    }


def _embedded_rows(data_dir: Path) -> dict[str, Any]:
    figures = sqlite3.connect(data_dir / "state" / "global.sqlite")
    columns = {row[1] for row in figures.execute("PRAGMA table_info(tool_calls)")}
    key = "call_key" if "call_key" in columns else "NULL"
    calls = figures.execute(f"SELECT tool, ok, {key} FROM tool_calls").fetchall()
    index = sqlite3.connect(data_dir / "store" / "index.sqlite")
    documents, declared = index.execute(
        "SELECT count(*), coalesce(sum(chunks), 0) FROM documents"
    ).fetchone()
    (chunks,) = index.execute("SELECT count(*) FROM chunks").fetchone()
    (indexed,) = index.execute("SELECT count(*) FROM chunks_fts_docsize").fetchone()
    content = sum(1 for p in (data_dir / "store" / "content").glob("*/*") if p.is_file())
    ledger = sqlite3.connect(data_dir / "llm_usage.sqlite")
    (llm,) = ledger.execute("SELECT count(*) FROM calls").fetchone()
    return {
        "calls": [(t, bool(ok), k) for t, ok, k in calls],
        "documents": documents,
        "declared_chunks": declared,
        "chunks": chunks,
        "indexed": indexed,
        "content": content,
        "llm_calls": llm,
    }


def _postgres_rows(url: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(url) as db:
        columns = {
            r[0]
            for r in db.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'docorch' AND table_name = 'tool_calls'"
            )
        }
        key = "call_key" if "call_key" in columns else "NULL"
        calls = db.execute(f"SELECT tool, ok, {key} FROM docorch.tool_calls").fetchall()
        documents, declared = db.execute(
            "SELECT count(*), coalesce(sum(chunks), 0) FROM docorch.documents"
        ).fetchone() or (0, 0)
        (chunks,) = db.execute("SELECT count(*) FROM docorch.chunks").fetchone() or (0,)
        (content,) = db.execute("SELECT count(*) FROM docorch.content").fetchone() or (0,)
        (llm,) = db.execute("SELECT count(*) FROM docorch.llm_calls").fetchone() or (0,)
    return {
        "calls": [(t, bool(ok), k) for t, ok, k in calls],
        "documents": documents,
        "declared_chunks": declared,
        "chunks": chunks,
        "indexed": chunks,  # the search vector is a column of the chunk row
        "content": content,
        "llm_calls": llm,
    }


async def audit(
    client: Client, settings: Settings, *, uploads: int, samples: int, quiet: set[str]
) -> dict[str, Any]:
    """Every side effect of the workflow runs on the server (the server and the store serve
    this run alone) counted in the store and checked against their histories: ``uploads``
    distinct uploaded documents and ``samples`` distinct worker files were named. ``duplicated``
    sums what was recorded more than once. ``quiet``: the queries that ran without a kill (their
    retries and workflow task timeouts are counted apart: false alarms)."""
    still_running = await _wait_closed(client)
    steps = await _steps(client, quiet)
    location = parse_store_url(settings.store_url, data_dir=settings.data_dir)
    if location.scheme == "embedded":
        rows = await asyncio.to_thread(_embedded_rows, Path(location.target))
    else:
        rows = await asyncio.to_thread(_postgres_rows, location.target)
    ok = Counter(tool for tool, success, _ in rows["calls"] if success)
    failed = sum(1 for _, success, _ in rows["calls"] if not success)
    keyed = Counter(key for _, success, key in rows["calls"] if success and key is not None)
    completed: Counter[str] = steps["completed"]
    per_tool = {
        tool: {"completed": completed[tool], "success_rows": ok[tool]}
        for tool in sorted(set(completed) | set(ok))
    }
    extra_successes = sum(max(0, ok[t] - completed[t]) for t in per_tool)
    missing = sum(max(0, completed[t] - ok[t]) for t in per_tool)
    unmatched = [key for key in keyed if key not in steps["keys"]]
    documents_expected = uploads + samples
    duplicated = (
        extra_successes
        + sum(n - 1 for n in keyed.values() if n > 1)
        + max(0, rows["documents"] - documents_expected)
        + max(0, rows["chunks"] - rows["declared_chunks"])
        + max(0, rows["indexed"] - rows["chunks"])
        + max(0, rows["content"] - uploads)
    )
    return {
        "runs": steps["runs"],
        "steps_completed": sum(completed.values()),
        "still_running": still_running,
        "steps_retried": sum(steps["retried"].values()),
        "retried_because": dict(steps["retried"].most_common()),
        "retried_without_kills": dict(steps["retried_quietly"].most_common()),
        "workflow_task_timeouts": dict(steps["task_timeouts"]),
        "per_tool": per_tool,
        "success_rows": sum(ok.values()),
        "extra_success_rows": extra_successes,
        "missing_success_rows": missing,
        "keyed": bool(keyed),
        "success_rows_of_no_completed_step": len(unmatched),
        "of_no_completed_step": [
            f"{key}: {steps['states'].get(key, 'not in a history')}" for key in unmatched[:5]
        ],
        "failure_rows": failed,
        "documents": rows["documents"],
        "documents_expected": documents_expected,
        "chunks": rows["chunks"],
        "declared_chunks": rows["declared_chunks"],
        "indexed_chunks": rows["indexed"],
        "content": rows["content"],
        "uploads": uploads,
        "llm_calls": rows["llm_calls"],
        "duplicated": duplicated,
    }


def audit_table(audited: dict[str, Any]) -> str:
    """The audit as a markdown table and a line."""
    a = audited
    retried = ", ".join(f"{n} × {why}" for why, n in a["retried_because"].items()) or "none"
    counted = (  # side effect, what it should match, and the audit's keys of both counts
        ("tool figures: success rows", "completed tool steps", "steps_completed", "success_rows"),
        ("documents", "distinct bytes", "documents_expected", "documents"),
        ("chunks", "declared by the documents", "declared_chunks", "chunks"),
        ("search-index entries", "chunks", "chunks", "indexed_chunks"),
        ("content bytes", "uploads", "uploads", "content"),
    )
    rows: list[list[Any]] = [
        [name, f"{a[expected]} {what}", a[recorded], max(0, a[recorded] - a[expected])]
        for name, what, expected, recorded in counted
    ]
    rows[0][3] = a["extra_success_rows"]  # per tool: one tool's missing row hides no other's extra
    rows.append(["LLM ledger calls", "0 (no LLM endpoint)", a["llm_calls"], "–"])
    quietly = ", ".join(f"{n} × {why}" for why, n in a["retried_without_kills"].items()) or "none"
    timeouts = a["workflow_task_timeouts"]
    return (
        f"Side effects of all {a['runs']} workflow runs (warm-up, baseline, soak), counted in "
        "the store against the histories once every run had closed. Steps that ran more than "
        f"one attempt in the soak: {retried}; in the runs without kills (false alarms): "
        f"{quietly}. Workflow tasks timed out (a dead worker's sticky queue): "
        f"{timeouts.get('soak', 0)} in the soak, {timeouts.get('quiet', 0)} without kills. "
        f"Failed attempts recorded as failures: {a['failure_rows']}.\n\n"
        + md_table(["side effect", "expected", "recorded", "recorded twice"], rows)
        + "\n"
    )
