"""Before and after: docorch at this checkout against docorch at an earlier commit, side by side
on one dev server, in the same run, each worker in its own process (the earlier one runs from a
``git archive`` of the commit, compiled to bytecode like this one).

    python -m bench.versus 8adcfe0               # 6 rounds of 40 queries, 20 in flight,
                                                 # then 12 rounds end to end per DAG
    python -m bench.versus 8adcfe0 --rounds 10 --concurrency 5 --e2e-rounds 0

The queries are ``throughput``'s rotation over the sample documents (stored by a warm-up on each
side). A round runs one batch on each checkout, alternating which goes first; figures are
medians over rounds, the ratio the median of per-round ratios (p10–p90 in brackets). The result
goes to ``bench/results/versus.json`` and its own section of BENCHMARKS.md; ``python -m bench``
does not run it (it needs a commit to compare with).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bench import environment as bench_environment
from bench.dags import Dag
from bench.environment import environment
from bench.overhead import shapes
from bench.paths import REPO, SAMPLE_DOCUMENT, SAMPLES
from bench.results import md_table, measured_on, write_report
from bench.stats import median, ratio_spread, summary
from bench.throughput import batch, docorch_runner
from bench.workers import new_task_queue, serving_child
from client.sdk import OrchestratorClient
from models.query import QueryConfig

NAME = "versus"
TITLE = "Before and after: this checkout against an earlier commit"

_WORKER = """
import asyncio, logging, sys
from pathlib import Path
from client.connection import connect
from client.logs import configure_logging
from models.settings import Settings
from worker import build_worker

async def main(address, queue, data, root, tools):
    configure_logging("console", level=logging.WARNING)
    settings = Settings(data_dir=Path(data), allowed_roots=(Path(root),))
    client = await connect(settings, address=address)
    options = {}
    if tools == "sleep":
        from bench.dags import sleep_registry
        options = {"registry": sleep_registry(), "max_concurrent_activities": 64}
    async with build_worker(client, settings, task_queue=queue, **options):
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.read)

asyncio.run(main(*sys.argv[1:]))
"""
"""A worker process through APIs every docorch commit has (``connect``, ``build_worker``,
``bench.dags.sleep_registry``): the built-in tools, or the sleep tool of ``overhead``'s DAGs."""


def _checkout(commit: str, into: Path) -> str:
    """``commit``'s tree in ``into``, compiled; its short hash."""
    archive = subprocess.run(
        ["git", "archive", commit], cwd=REPO, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    for room in ("models", "workflows"):
        compileall.compile_dir(str(into / room), quiet=1)
    return subprocess.run(
        ["git", "rev-parse", "--short", commit],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@contextlib.asynccontextmanager
async def _worker(
    checkout: Path, queue: str, data: Path, tools: str = "default"
) -> AsyncIterator[int]:
    """docorch's worker from ``checkout`` in a child process (``tools``: ``default`` or
    ``sleep``); yields its process id."""
    bench = await environment()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _WORKER,
        bench.client.service_client.config.target_host,
        queue,
        str(data),
        str(SAMPLES),
        tools,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=checkout,
    )
    async with serving_child(process, f"the worker of {checkout}") as pid:
        yield pid


def _side(batches: list[dict[str, Any]]) -> dict[str, Any]:
    keys = batches[0]["cpu_ms_per_query"]
    return {
        "qps": summary([b["qps"] for b in batches]),
        "latency_p50_ms": round(median([median(b["latencies"]) for b in batches]), 1),
        "cpu_ms_per_query": {
            k: round(median([b["cpu_ms_per_query"][k] for b in batches]), 2) for k in keys
        },
        "machine_busy": round(median([b["machine_busy"] for b in batches]), 3),
    }


async def compare(commit: str, *, rounds: int, queries: int, concurrency: int) -> dict[str, Any]:
    """This checkout's docorch against ``commit``'s, side by side (see the module docstring)."""
    bench = await environment()
    with tempfile.TemporaryDirectory(prefix="docorch-versus-") as tmp:
        earlier = Path(tmp) / "checkout"
        earlier.mkdir()
        short = _checkout(commit, earlier)
        this_queue, that_queue = new_task_queue("this"), new_task_queue("that")
        async with (
            _worker(REPO, this_queue, bench.root / "this-data") as this_pid,
            _worker(earlier, that_queue, bench.root / "that-data") as that_pid,
        ):
            sides = {
                "this": (
                    docorch_runner(OrchestratorClient(bench.client, task_queue=this_queue)),
                    {"worker": this_pid, "server": bench.server_pid, "client": None},
                ),
                "that": (
                    docorch_runner(OrchestratorClient(bench.client, task_queue=that_queue)),
                    {"worker": that_pid, "server": bench.server_pid, "client": None},
                ),
            }
            for run_one, pids in sides.values():  # warm-up: stores the documents
                await batch(run_one, 4, 8, pids)
            batches: dict[str, list[dict[str, Any]]] = {"this": [], "that": []}
            for r in range(rounds):
                for name in ("this", "that") if r % 2 == 0 else ("that", "this"):
                    run_one, pids = sides[name]
                    batches[name].append(await batch(run_one, concurrency, queries, pids))
    cpu = {
        name: [sum(b["cpu_ms_per_query"].values()) for b in side] for name, side in batches.items()
    }
    return {
        "earlier": short,
        "rounds": rounds,
        "queries_per_batch": queries,
        "concurrency": concurrency,
        "this": _side(batches["this"]),
        "that": _side(batches["that"]),
        "ratio_qps": ratio_spread(
            [b["qps"] for b in batches["this"]], [b["qps"] for b in batches["that"]]
        ),
        "ratio_cpu_per_query": ratio_spread(cpu["this"], cpu["that"]),
        "goals": [],
    }


async def compare_e2e(commit: str, *, rounds: int) -> list[dict[str, Any]]:
    """End to end (client start -> result) on ``overhead``'s DAGs, one query at a time, this
    checkout against ``commit``, alternating which goes first in each round."""
    bench = await environment()
    with tempfile.TemporaryDirectory(prefix="docorch-versus-") as tmp:
        earlier = Path(tmp) / "checkout"
        earlier.mkdir()
        _checkout(commit, earlier)
        queues = {"this": new_task_queue("this-e2e"), "that": new_task_queue("that-e2e")}
        async with (
            _worker(REPO, queues["this"], bench.root / "this-e2e", "sleep"),
            _worker(earlier, queues["that"], bench.root / "that-e2e", "sleep"),
        ):
            sdks = {k: OrchestratorClient(bench.client, task_queue=q) for k, q in queues.items()}
            out = []
            for dag in shapes():
                for sdk in sdks.values():  # warm-up: stores the document, fills caches
                    await _e2e_ms(sdk, dag)
                ms: dict[str, list[float]] = {"this": [], "that": []}
                for r in range(rounds):
                    for name in ("this", "that") if r % 2 == 0 else ("that", "this"):
                        ms[name].append(await _e2e_ms(sdks[name], dag))
                out.append(
                    {
                        "shape": dag.name,
                        "this_ms": summary(ms["this"]),
                        "that_ms": summary(ms["that"]),
                        "ratio": ratio_spread(ms["this"], ms["that"]),
                    }
                )
    return out


async def _e2e_ms(sdk: OrchestratorClient, dag: Dag) -> float:
    started = time.perf_counter()
    handle = await sdk.start(
        f"benchmark {dag.name}",
        [str(SAMPLE_DOCUMENT)],
        plan=dag.plan().model_dump(mode="json"),
        config=QueryConfig(max_parallel_steps=64, confidence_threshold=0.0),
    )
    await handle.result()
    return (time.perf_counter() - started) * 1000


def table(results: dict[str, Any]) -> str:
    """The comparison as markdown."""
    rows = []
    for name, label in (("that", f"before (`{results['earlier']}`)"), ("this", "after")):
        side = results[name]
        cpu = side["cpu_ms_per_query"]
        rows.append(
            [
                label,
                side["qps"]["median"],
                f"{side['qps']['p10']:.2f}–{side['qps']['p90']:.2f}",
                side["latency_p50_ms"],
                cpu.get("worker", "-"),
                cpu.get("server", "-"),
                cpu.get("client", "-"),
                f"{side['machine_busy']:.0%}",
            ]
        )
    r = results["ratio_qps"]
    c = results["ratio_cpu_per_query"]
    return (
        f"docorch at this checkout against commit `{results['earlier']}` (a `git archive` of "
        "it, compiled), each worker in its own process on one dev server; "
        f"{results['rounds']} rounds of {results['queries_per_batch']} queries at "
        f"{results['concurrency']} in flight (`throughput`'s rotation), alternating which "
        "goes first. CPU per query in ms.\n\n"
        + md_table(
            [
                "docorch",
                "queries/s",
                "p10–p90",
                "latency p50",
                "worker CPU/query",
                "server CPU/query",
                "client CPU/query",
                "machine busy",
            ],
            rows,
        )
        + f"\n\nAfter ÷ before: **{r['median']:.3f}×** queries/s (p10–p90 "
        f"{r['p10']:.2f}–{r['p90']:.2f}), {c['median']:.3f}× CPU per query (worker + server + "
        f"client; p10–p90 {c['p10']:.2f}–{c['p90']:.2f}).\n"
        + _e2e_table(results.get("e2e"), results["earlier"])
    )


def _e2e_table(rows: list[dict[str, Any]] | None, earlier: str) -> str:
    if not rows:
        return ""
    return (
        f"\nEnd to end on `overhead`'s DAGs (steps of 100 ms; client start → result, one query "
        f"at a time, {rows[0]['ratio']['n']} rounds alternating which checkout goes first), "
        "ms:\n\n"
        + md_table(
            ["shape", f"before (`{earlier}`)", "after", "after ÷ before (p10–p90)"],
            [
                [
                    r["shape"],
                    r["that_ms"]["median"],
                    r["this_ms"]["median"],
                    f"**{r['ratio']['median']:.3f}** "
                    f"({r['ratio']['p10']:.2f}–{r['ratio']['p90']:.2f})",
                ]
                for r in rows
            ],
        )
        + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.versus", description=__doc__)
    parser.add_argument("commit", help="the earlier commit (any git revision)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--queries", type=int, default=40, help="queries per batch")
    parser.add_argument("--concurrency", type=int, default=20, help="queries in flight")
    parser.add_argument(
        "--e2e-rounds", type=int, default=12, help="rounds per DAG end to end (0: none)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    machine = measured_on()

    async def go() -> dict[str, Any]:
        try:
            results = await compare(
                args.commit,
                rounds=args.rounds,
                queries=args.queries,
                concurrency=args.concurrency,
            )
            if args.e2e_rounds:
                results["e2e"] = await compare_e2e(args.commit, rounds=args.e2e_rounds)
            return results
        finally:
            await bench_environment.close()

    results = asyncio.run(go())
    command = (
        f"python -m bench.versus {args.commit} --rounds {args.rounds} "
        f"--queries {args.queries} --concurrency {args.concurrency} "
        f"--e2e-rounds {args.e2e_rounds}"
    )
    return write_report(
        NAME, results, machine=machine, command=command, started=started, rendered=table(results)
    )


if __name__ == "__main__":
    sys.exit(main())
