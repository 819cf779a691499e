"""Recovery: a worker killed with SIGKILL in the middle of a long ingest.

**The activity** (probe rounds): a worker process resolves a batch of new documents (small notes
and slow HTML pages, about a second of parsing each); once half of them are indexed it is killed
with SIGKILL, and a second worker process — connected beforehand, polling from the moment of the
kill — takes over. The figures: seconds from the kill until the retried activity runs on the
second worker (the heartbeat timeout), until the batch is done, and where the retry resumed (its
heartbeat details say how many documents the first attempt finished; the rest were already
indexed or are parsed again). One round per setting of the heartbeat timeout, through a probe
workflow that sets only that (``tests/workflows/ingest_probe.py``).

**The query** (``bench.recovery_query``): a real query over notes, slow pages and a 300-page
PDF; the worker is killed while the PDF parses and a new worker process is started at once:
seconds until the answer, from the kill and from the restart.

    python -m bench --only recovery [--quick]     # quick: the 2 s setting, 8 documents
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities.ingest import ResolveProgress
from bench.environment import environment
from bench.recovery_query import query_round, query_table
from bench.results import md_table
from bench.workers import new_task_queue
from client.plugin import workflow_runner
from store import content_id, open_store
from tests.hostile_documents import slow_html
from tests.worker_process import cue, spawn
from tests.workflows.ingest_probe import IngestProbe, IngestProbeWorkflow

NAME = "recovery"
TITLE = "Recovery from a worker killed mid-ingest"
DOCUMENTS = 16
QUICK_DOCUMENTS = 8
SLOW_ELEMENTS = 15_000
GOAL_ANSWER_S = 5.0


async def _progress(client: Client, handle: WorkflowHandle[Any, Any]) -> tuple[int, int]:
    """(attempt, documents done) of the pending resolve activity, from the server."""
    description = await handle.describe()
    for pending in description.raw_description.pending_activities:
        done = 0
        if pending.heartbeat_details.payloads:
            values = await client.data_converter.decode(pending.heartbeat_details.payloads)
            done = ResolveProgress.model_validate(values[0]).done
        return pending.attempt, done
    return 0, 0


def documents(docs_dir: Path, salt: str, count: int) -> list[Path]:
    paths = []
    for n in range(count):
        if n % 2:
            path = docs_dir / f"recovery-{salt}-{n}.html"
            path.write_bytes(slow_html(SLOW_ELEMENTS, salt=f"{salt}{n}"))
        else:
            path = docs_dir / f"recovery-{salt}-{n}.md"
            path.write_text(f"# Note {n}\n\nRecovery run {salt}, note {n}.\n")
        paths.append(path)
    return paths


async def _round(heartbeat_seconds: float, count: int) -> dict[str, Any]:
    bench = await environment()
    client, salt = bench.client, uuid.uuid4().hex[:8]
    paths = documents(bench.docs_dir, salt, count)
    ids = [content_id(p.read_bytes()) for p in paths]
    store = open_store(bench.settings).documents
    queue, probes = new_task_queue("recovery"), new_task_queue("probe")
    probe = IngestProbe(
        sources=[str(p) for p in paths], activity_queue=queue, heartbeat_seconds=heartbeat_seconds
    )
    calls = bench.root / f"calls-{salt}.jsonl"
    async with (
        Worker(
            client,
            task_queue=probes,
            workflows=[IngestProbeWorkflow],
            workflow_runner=workflow_runner(),
        ),
        spawn(
            client.service_client.config.target_host,
            queue,
            data_dir=bench.settings.data_dir,
            allowed_roots=bench.settings.allowed_roots,
            calls=calls,
        ) as first,
        spawn(
            client.service_client.config.target_host,
            queue,
            data_dir=bench.settings.data_dir,
            allowed_roots=bench.settings.allowed_roots,
            calls=calls,
            on_cue=True,
        ) as second,
    ):
        handle = await client.start_workflow(
            IngestProbeWorkflow.run, probe, id=f"recovery-{salt}", task_queue=probes
        )
        while sum(store.get(i) is not None for i in ids) < count // 2:
            await asyncio.sleep(0.05)
        indexed = sum(store.get(i) is not None for i in ids)
        first.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        first.wait()
        await cue(second)
        attempt, resumed_from = 1, 0
        while attempt < 2:
            attempt, resumed_from = await _progress(client, handle)
            await asyncio.sleep(0.05)
        retried = time.monotonic() - killed
        report = await handle.result()
        finished = time.monotonic() - killed
    return {
        "heartbeat_timeout_s": heartbeat_seconds,
        "documents": count,
        "indexed_at_kill": indexed,
        "resumed_after": resumed_from,
        "failures": len(report.failures),
        "retried_s": round(retried, 2),
        "finished_s": round(finished, 2),
    }


async def run(quick: bool) -> dict[str, Any]:
    settings = [2.0] if quick else [5.0, 2.0]
    count = QUICK_DOCUMENTS if quick else DOCUMENTS
    rounds = [await _round(seconds, count) for seconds in settings]
    query = await query_round(count, documents)
    return {
        "rounds": rounds,
        "query": query,
        "goals": [
            {
                "goal": f"kill -9 mid-ingest: the answer < {GOAL_ANSWER_S:g} s after the "
                "worker's restart",
                "measured": f"{query['restart_to_answer_s']} s after the restart "
                f"({query['ready_to_answer_s']} s after the new worker polled)",
                "met": query["restart_to_answer_s"] < GOAL_ANSWER_S,
            }
        ],
    }


def table(results: dict[str, Any]) -> str:
    rows = [
        [
            f"{r['heartbeat_timeout_s']:g} s",
            f"{r['indexed_at_kill']}/{r['documents']}",
            r["resumed_after"],
            r["retried_s"],
            r["finished_s"],
            r["failures"],
        ]
        for r in results["rounds"]
    ]
    headers = [
        "heartbeat timeout",
        "indexed at the kill",
        "retry resumed after (docs)",
        "kill → retry runs, s",
        "kill → batch done, s",
        "failures",
    ]
    return (
        query_table(results["query"])
        + "\n**The activity alone**, one round per heartbeat timeout (5 s: QueryWorkflow's "
        "resolve step before this run; 2 s: now); the second worker polls from the moment of "
        "the kill, so worker start-up is not counted. The SDK holds an activity's heartbeats "
        "back for 0.8 × its heartbeat timeout, docorch's workers for a second at most "
        "(`worker.HEARTBEAT_THROTTLE`), so the server's checkpoint may lag the work a little; "
        "documents indexed past it are found again in the store by their content hash (read "
        "and hashed, not parsed).\n\n" + md_table(headers, rows) + "\n"
    )
