"""Throughput: queries per second on one docorch worker (its own process, default settings and
built-in tools), template plans over the demo corpus, at 1 to 200 queries in flight.

At each concurrency N, N client loops start a query and wait for its answer, over and over, until
the batch's queries are done (a closed loop). Queries per second = batch / wall time; CPU per
query = CPU time of the worker process (and of the dev server, and of this process: the client)
over the batch / queries. Each figure is the median over repeated batches.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from typing import Any

from bench.cpu import cpu_seconds, machine_cpu
from bench.environment import environment
from bench.paths import SAMPLES
from bench.results import md_table
from bench.stats import median, percentile, summary
from bench.workers import new_task_queue, worker_process
from client.sdk import OrchestratorClient
from models.query import QueryResult, QueryStatus

NAME = "throughput"
TITLE = "Throughput on one worker"

QUERIES: list[tuple[str, list[str]]] = [
    (
        "What is the notice period for termination for convenience?",
        ["contract_acme_globex.md", "contract_acme_initech.md"],
    ),
    ("Summarize these documents", ["q3_operations_report.md", "steering_meeting_notes.txt"]),
    ("What is the monthly fee?", ["contract_acme_globex.md"]),
    ("What are the main risks?", ["q3_operations_report.md", "contract_acme_globex.md"]),
]


async def _batch(
    sdk: OrchestratorClient, concurrency: int, queries: int, pids: dict[str, int | None]
) -> dict[str, Any]:
    work = itertools.cycle(QUERIES)
    remaining = itertools.count()
    latencies: list[float] = []
    statuses: dict[str, int] = {}

    async def client_loop() -> None:
        while next(remaining) < queries:
            question, names = next(work)
            started = time.perf_counter()
            handle = await sdk.start(question, [str(SAMPLES / n) for n in names])
            result: QueryResult = await handle.result()
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[result.status.value] = statuses.get(result.status.value, 0) + 1

    cpu_before = {k: cpu_seconds(pid) for k, pid in pids.items()}
    machine_before = machine_cpu()
    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    machine_after = machine_cpu()
    cpu = {k: (cpu_seconds(pid) - cpu_before[k]) * 1000 / queries for k, pid in pids.items()}
    return {
        "qps": queries / wall,
        "latencies": latencies,
        "cpu_ms_per_query": cpu,
        "completed": statuses.get(QueryStatus.COMPLETED.value, 0),
        "queries": queries,
        "machine_busy": (machine_after[0] - machine_before[0])
        / max(1e-9, machine_after[1] - machine_before[1]),
        "our_cpu_share": sum(cpu.values())
        * queries
        / 1000
        / max(1e-9, machine_after[1] - machine_before[1]),
    }


async def run(quick: bool) -> dict[str, Any]:
    levels = [1, 5, 20] if quick else [1, 5, 20, 50, 200]
    repeats = 2 if quick else 3
    bench = await environment()
    queue = new_task_queue("throughput")
    out = []
    async with worker_process(queue) as worker_pid:
        sdk = OrchestratorClient(bench.client, task_queue=queue)
        pids = {"worker": worker_pid, "server": bench.server_pid, "client": None}
        if bench.server_pid is None:
            del pids["server"]
        await _batch(sdk, 4, 8, pids)  # warm-up: ingests the corpus, fills caches
        for concurrency in levels:
            # at least one query per client loop; the biggest levels run one batch fewer
            queries = max(8 if quick else 20, concurrency)
            times = repeats if concurrency < 100 else repeats - 1
            batches = [await _batch(sdk, concurrency, queries, pids) for _ in range(times)]
            latencies = [x for b in batches for x in b["latencies"]]
            out.append(
                {
                    "concurrency": concurrency,
                    "queries_per_batch": queries,
                    "batches": times,
                    "qps": summary([b["qps"] for b in batches]),
                    "latency_ms": {
                        "p50": round(percentile(latencies, 50), 1),
                        "p95": round(percentile(latencies, 95), 1),
                    },
                    "cpu_ms_per_query": {
                        k: round(median([b["cpu_ms_per_query"][k] for b in batches]), 2)
                        for k in pids
                    },
                    "machine_busy": round(median([b["machine_busy"] for b in batches]), 3),
                    "our_cpu_share": round(median([b["our_cpu_share"] for b in batches]), 3),
                    "completed_share": round(
                        sum(b["completed"] for b in batches) / sum(b["queries"] for b in batches), 3
                    ),
                }
            )
    peak = max(out, key=lambda r: r["qps"]["median"])
    return {
        "queries": [{"query": q, "documents": d} for q, d in QUERIES],
        "levels": out,
        "peak": {"concurrency": peak["concurrency"], "qps": peak["qps"]["median"]},
        "cores": os.cpu_count(),
        "goals": [],
    }


def table(results: dict[str, Any]) -> str:
    rows = []
    cores = results.get("cores") or 1
    for r in results["levels"]:
        cpu = r["cpu_ms_per_query"]
        total = sum(v for v in cpu.values() if isinstance(v, int | float))
        rows.append(
            [
                r["concurrency"],
                f"{r['queries_per_batch']} × {r['batches']}",
                r["qps"]["median"],
                r["latency_ms"]["p50"],
                r["latency_ms"]["p95"],
                cpu.get("worker", "-"),
                cpu.get("server", "-"),
                cpu.get("client", "-"),
                round(cores * 1000 / total, 1) if total else "-",
                f"{r.get('machine_busy', 0):.0%} ({r.get('our_cpu_share', 0):.0%})",
                f"{r['completed_share']:.0%}",
            ]
        )
    queries = "; ".join(f"“{q['query']}” over {len(q['documents'])}" for q in results["queries"])
    return (
        "One docorch worker in its own process (`build_worker` defaults: sandboxed workflows, "
        f"pydantic converter, built-in tools); template plans. Queries, in rotation: {queries} "
        "sample document(s). Medians over batches; latency percentiles over all queries of a "
        "level. CPU per query in ms: the worker process, the dev server, and the benchmark "
        "process (the client); *CPU ceiling*: the queries per second the machine's cores "
        "could sustain at that CPU per query, were nothing else running; *machine busy*: share "
        "of all cores busy during the batches (ours: the share used by worker, server and "
        "client).\n\n"
        + md_table(
            [
                "in flight",
                "queries × batches",
                "queries/s",
                "latency p50",
                "latency p95",
                "worker CPU/query",
                "server CPU/query",
                "client CPU/query",
                "CPU ceiling q/s",
                "machine busy (ours)",
                "completed",
            ],
            rows,
        )
        + f"\n\nPeak: **{results['peak']['qps']:.1f} queries/s** at "
        f"{results['peak']['concurrency']} in flight. " + _where_cpu_goes(results) + "\n"
    )


def _where_cpu_goes(results: dict[str, Any]) -> str:
    peak = next(r for r in results["levels"] if r["concurrency"] == results["peak"]["concurrency"])
    cpu = peak["cpu_ms_per_query"]
    if "server" not in cpu:
        return ""
    total = sum(cpu.values())
    text = (
        f"There a query costs {total:.0f} ms of CPU: {cpu['server'] / total:.0%} in the dev "
        f"server, {cpu['worker'] / total:.0%} in the worker, {cpu['client'] / total:.0%} in "
        "the client."
    )
    busy = peak.get("machine_busy")
    if busy is not None and busy >= 0.9:
        others = busy - peak["our_cpu_share"]
        text += (
            f" The machine's {results.get('cores', 1)} cores were {busy:.0%} busy, "
            f"{peak['our_cpu_share']:.0%} with this benchmark's processes"
            + (f" and {others:.0%} with other work on the machine" if others > 0.05 else "")
            + ": throughput is bound by CPU, not by a lock or a queue in docorch."
        )
    elif busy is not None:
        text += f" The machine's cores were only {busy:.0%} busy: something else limits it."
    return text
