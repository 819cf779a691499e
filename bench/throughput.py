"""Throughput: queries per second on one docorch worker against a bare Temporal workflow doing the
same work, side by side on the same dev server, in the same run, each worker in its own process.

docorch: its default worker (default settings, built-in tools), template plans over the demo
corpus. Bare: ``BareCallsWorkflow`` on a plain SDK worker with docorch's activities, making the
calls one docorch run of each query made (read back from its history: same activities, same
inputs, so the same payload sizes; same timeouts; the plan's dependencies), nothing more.

At each concurrency N, N client loops start a query (or a bare workflow) and wait for its answer,
over and over, until the batch is done (a closed loop). A round runs one docorch batch and one
bare batch, in alternating order; queries per second = batch / wall time; CPU per query = CPU
time of the worker process (and of the dev server, and of this process: the client) over the
batch / queries. Figures are medians over rounds; docorch ÷ bare is the median of per-round
ratios, with their p10–p90.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from bench import bare_calls
from bench.bare_calls import BareCall
from bench.bare_calls_workflow import BARE_CALLS_WORKFLOW
from bench.cpu import cpu_seconds, machine_cpu
from bench.environment import environment
from bench.paths import SAMPLES
from bench.replica import recorded_calls
from bench.results import md_table
from bench.stats import median, percentile, ratio_spread, summary
from bench.workers import bare_worker_process, new_task_queue, worker_process
from client.sdk import OrchestratorClient, query_request
from models.query import QueryStatus

NAME = "throughput"
TITLE = "Throughput on one worker, side by side with bare Temporal"
RATIO_GOAL = 0.9
"""Issue 15: docorch's queries per second ≥ 0.9 × a bare workflow doing the same work, where
throughput is bound by the machine (the levels in ``SATURATED``); below, one query at a time,
queries per second is one over the latency."""
SATURATED = (20, 50)

QUERIES: list[tuple[str, list[str]]] = [
    (
        "What is the notice period for termination for convenience?",
        ["contract_acme_globex.md", "contract_acme_initech.md"],
    ),
    ("Summarize these documents", ["q3_operations_report.md", "steering_meeting_notes.txt"]),
    ("What is the monthly fee?", ["contract_acme_globex.md"]),
    ("What are the main risks?", ["q3_operations_report.md", "contract_acme_globex.md"]),
]

Runner = Callable[[int], Awaitable[bool]]
"""Runs query number ``i`` of the rotation to its end; True when it completed."""


def _paths(names: list[str]) -> list[str]:
    return [str(SAMPLES / n) for n in names]


async def batch(
    run_one: Runner, concurrency: int, queries: int, pids: dict[str, int | None]
) -> dict[str, Any]:
    work = itertools.cycle(range(len(QUERIES)))
    remaining = itertools.count()
    latencies: list[float] = []
    completed = 0

    async def client_loop() -> None:
        nonlocal completed
        while next(remaining) < queries:
            started = time.perf_counter()
            ok = await run_one(next(work))
            latencies.append((time.perf_counter() - started) * 1000)
            completed += ok

    cpu_before = {k: cpu_seconds(pid) for k, pid in pids.items()}
    machine_before = machine_cpu()
    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    machine_after = machine_cpu()
    cpu = {k: (cpu_seconds(pid) - cpu_before[k]) * 1000 / queries for k, pid in pids.items()}
    machine_seconds = max(1e-9, machine_after[1] - machine_before[1])
    return {
        "qps": queries / wall,
        "latencies": latencies,
        "cpu_ms_per_query": cpu,
        "completed": completed,
        "queries": queries,
        "machine_busy": (machine_after[0] - machine_before[0]) / machine_seconds,
        "our_cpu_share": sum(cpu.values()) * queries / 1000 / machine_seconds,
    }


def docorch_runner(sdk: OrchestratorClient) -> Runner:
    async def run_one(i: int) -> bool:
        question, names = QUERIES[i]
        result = await (await sdk.start(question, _paths(names))).result()
        return result.status is QueryStatus.COMPLETED

    return run_one


def bare_runner(queue: str) -> Runner:
    async def run_one(i: int) -> bool:
        bench = await environment()
        await bench.client.execute_workflow(
            BARE_CALLS_WORKFLOW, str(i), id=f"bare-{uuid.uuid4()}", task_queue=queue
        )
        return True

    return run_one


async def record_bare_calls(sdk: OrchestratorClient) -> dict[str, list[BareCall]]:
    """Each query of the rotation run once by docorch (its documents stored by then), and
    its calls read back from the history."""
    calls: dict[str, list[BareCall]] = {}
    for i, (question, names) in enumerate(QUERIES):
        request = query_request(question, _paths(names))
        handle = await sdk.start(question, _paths(names))
        await handle.result()
        calls[str(i)] = await recorded_calls(sdk.temporal, await handle.fetch_history(), request)
    return calls


def _level(
    concurrency: int, queries: int, pairs: list[tuple[dict[str, Any], dict[str, Any]]]
) -> dict[str, Any]:
    def side(batches: list[dict[str, Any]]) -> dict[str, Any]:
        latencies = [x for b in batches for x in b["latencies"]]
        keys = batches[0]["cpu_ms_per_query"]
        return {
            "qps": summary([b["qps"] for b in batches]),
            "latency_ms": {
                "p50": round(percentile(latencies, 50), 1),
                "p95": round(percentile(latencies, 95), 1),
            },
            "cpu_ms_per_query": {
                k: round(median([b["cpu_ms_per_query"][k] for b in batches]), 2) for k in keys
            },
            "machine_busy": round(median([b["machine_busy"] for b in batches]), 3),
            "our_cpu_share": round(median([b["our_cpu_share"] for b in batches]), 3),
            "completed_share": round(
                sum(b["completed"] for b in batches) / sum(b["queries"] for b in batches), 3
            ),
        }

    docorch = [d for d, _ in pairs]
    bare = [b for _, b in pairs]
    cpu_total = [
        (sum(d["cpu_ms_per_query"].values()), sum(b["cpu_ms_per_query"].values())) for d, b in pairs
    ]
    return {
        "concurrency": concurrency,
        "queries_per_batch": queries,
        "rounds": len(pairs),
        "docorch": side(docorch),
        "bare": side(bare),
        "ratio_qps": ratio_spread([d["qps"] for d in docorch], [b["qps"] for b in bare]),
        "ratio_cpu_per_query": ratio_spread([d for d, _ in cpu_total], [b for _, b in cpu_total]),
    }


async def run(quick: bool) -> dict[str, Any]:
    # (in flight, rounds, queries per batch): short batches, many rounds, so that a round's two
    # batches see the same load on a shared machine
    levels = (
        [(1, 2, 8), (20, 3, 20)]
        if quick
        else [(1, 4, 12), (5, 3, 20), (SATURATED[0], 10, 40), (SATURATED[1], 6, 50)]
    )
    bench = await environment()
    docorch_queue = new_task_queue("throughput")
    bare_queue = new_task_queue("throughput-bare")
    calls_file = bench.root / f"{bare_queue}.json"
    out = []
    async with worker_process(docorch_queue) as docorch_pid:
        sdk = OrchestratorClient(bench.client, task_queue=docorch_queue)
        docorch_pids = {"worker": docorch_pid, "server": bench.server_pid, "client": None}
        if bench.server_pid is None:
            del docorch_pids["server"]
        docorch = docorch_runner(sdk)
        await batch(docorch, 4, 8, docorch_pids)  # warm-up: ingests the corpus, fills caches
        calls = await record_bare_calls(sdk)
        bare_calls.save(calls, calls_file)
        async with bare_worker_process(bare_queue, calls_file) as bare_pid:
            bare_pids = {**docorch_pids, "worker": bare_pid}
            bare = bare_runner(bare_queue)
            await batch(bare, 4, 8, bare_pids)  # warm-up
            for concurrency, rounds, queries in levels:
                pairs = []
                for r in range(rounds):
                    if r % 2 == 0:
                        d = await batch(docorch, concurrency, queries, docorch_pids)
                        b = await batch(bare, concurrency, queries, bare_pids)
                    else:
                        b = await batch(bare, concurrency, queries, bare_pids)
                        d = await batch(docorch, concurrency, queries, docorch_pids)
                    pairs.append((d, b))
                out.append(_level(concurrency, queries, pairs))
    peak = max(out, key=lambda r: r["docorch"]["qps"]["median"])
    return {
        "queries": [{"query": q, "documents": d} for q, d in QUERIES],
        "bare_calls": {k: [(c.activity, c.id) for c in v] for k, v in calls.items()},
        "levels": out,
        "peak": {"concurrency": peak["concurrency"], "qps": peak["docorch"]["qps"]["median"]},
        "cores": os.cpu_count(),
        "goals": [
            {
                "goal": f"docorch ≥ {RATIO_GOAL} × bare Temporal queries/s, same activities, "
                f"{' and '.join(map(str, SATURATED))} in flight",
                "measured": "; ".join(
                    f"{r['concurrency']} in flight {r['ratio_qps']['median']:.2f}× "
                    f"(p10–p90 {r['ratio_qps']['p10']:.2f}–{r['ratio_qps']['p90']:.2f}), "
                    f"CPU/query {r['ratio_cpu_per_query']['median']:.2f}×"
                    for r in out
                    if r["concurrency"] in SATURATED
                ),
                "met": all(
                    r["ratio_qps"]["median"] >= RATIO_GOAL
                    for r in out
                    if r["concurrency"] in SATURATED
                ),
            }
        ],
    }


def _cpu(side: dict[str, Any]) -> str:
    cpu = side["cpu_ms_per_query"]
    return " / ".join(f"{cpu[k]:.1f}" for k in ("worker", "server", "client") if k in cpu)


def table(results: dict[str, Any]) -> str:
    rows = []
    for r in results["levels"]:
        d, b = r["docorch"], r["bare"]
        rows.append(
            [
                r["concurrency"],
                f"{r['queries_per_batch']} × {r['rounds']}",
                f"{d['qps']['median']:.2f} / {b['qps']['median']:.2f}",
                f"**{r['ratio_qps']['median']:.3f}**"
                + (
                    " ✗"
                    if r["concurrency"] in SATURATED and r["ratio_qps"]["median"] < RATIO_GOAL
                    else ""
                )
                + f" ({r['ratio_qps']['p10']:.2f}–{r['ratio_qps']['p90']:.2f})",
                f"{d['latency_ms']['p50']:.0f} / {b['latency_ms']['p50']:.0f}",
                f"{d['latency_ms']['p95']:.0f} / {b['latency_ms']['p95']:.0f}",
                _cpu(d),
                _cpu(b),
                f"{r['ratio_cpu_per_query']['median']:.3f}",
                f"{d['machine_busy']:.0%} ({d['our_cpu_share']:.0%}) / "
                f"{b['machine_busy']:.0%} ({b['our_cpu_share']:.0%})",
                f"{d['completed_share']:.0%} / {b['completed_share']:.0%}",
            ]
        )
    queries = "; ".join(f"“{q['query']}” over {len(q['documents'])}" for q in results["queries"])
    shapes = "; ".join(
        " → ".join(call_id for _, call_id in calls) for calls in results["bare_calls"].values()
    )
    return (
        "*docorch*: its worker in its own process (`build_worker` defaults: sandboxed "
        "workflows, pydantic converter, built-in tools), template plans. *bare*: "
        "`BareCallsWorkflow` on a plain SDK worker in its own process (sandboxed, pydantic "
        "converter, the same activity slots) with docorch's activities, making the calls one "
        "docorch run of each query made, read back from its history (same inputs, same "
        f"timeouts, the plan's dependencies): {shapes}. Queries, in rotation: {queries} sample "
        "document(s), stored by a warm-up. Each round runs a docorch batch and a bare batch "
        "(alternating which goes first) on the same dev server; medians over rounds, ratios "
        "the median of per-round ratios (p10–p90 in brackets). CPU per query in ms: worker / "
        "dev server / client (this process). *Machine busy*: share of all cores busy during "
        "the batches (ours: the share used by worker, server and client).\n\n"
        + md_table(
            [
                "in flight",
                "queries × rounds",
                "queries/s docorch / bare",
                f"docorch ÷ bare (goal ≥ {RATIO_GOAL} at {', '.join(map(str, SATURATED))})",
                "latency p50 docorch / bare",
                "latency p95 docorch / bare",
                "docorch CPU/query",
                "bare CPU/query",
                "CPU/query docorch ÷ bare",
                "machine busy (ours) docorch / bare",
                "completed docorch / bare",
            ],
            rows,
        )
        + f"\n\nPeak: **{results['peak']['qps']:.1f} docorch queries/s** at "
        f"{results['peak']['concurrency']} in flight. " + _where_cpu_goes(results) + "\n"
    )


def _where_cpu_goes(results: dict[str, Any]) -> str:
    peak = next(r for r in results["levels"] if r["concurrency"] == results["peak"]["concurrency"])
    cpu = peak["docorch"]["cpu_ms_per_query"]
    bare = peak["bare"]["cpu_ms_per_query"]
    if "server" not in cpu:
        return ""
    total = sum(cpu.values())
    text = (
        f"There a docorch query costs {total:.0f} ms of CPU ({cpu['server'] / total:.0%} in "
        f"the dev server, {cpu['worker'] / total:.0%} in the worker, "
        f"{cpu['client'] / total:.0%} in the client) and the bare workflow "
        f"{sum(bare.values()):.0f} ms (worker {bare['worker']:.0f}, server "
        f"{bare['server']:.0f})."
    )
    busy = peak["docorch"]["machine_busy"]
    if busy >= 0.9:
        others = busy - peak["docorch"]["our_cpu_share"]
        text += (
            f" The machine's {results.get('cores', 1)} cores were {busy:.0%} busy"
            + (f", {others:.0%} with other work on the machine" if others > 0.05 else "")
            + ": throughput is bound by CPU."
        )
    return text
