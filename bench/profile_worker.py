"""Where a worker's time goes under the throughput load: py-spy samples docorch's worker process
and the bare baseline's (``throughput``'s), each during its own batches, and the samples are
summed by what they were doing.

    python -m bench.profile_worker              # 4 rounds of 40 queries, 20 in flight
    python -m bench.profile_worker --rounds 2 --concurrency 5

Needs py-spy (``pip install py-spy``; it reads the worker processes, so it must be allowed to
ptrace them). py-spy samples every thread that is not idle, 250 times a second, without pausing
the process: a sample is 4 ms of a thread running or waiting for the GIL, so the figures are
shares of busy time, close to but not CPU time. The result goes to
``bench/results/profile_worker.json`` and a section of BENCHMARKS.md; ``python -m bench`` does
not run it.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import bare_calls
from bench import environment as bench_environment
from bench.environment import environment
from bench.results import md_table, measured_on, write_report
from bench.throughput import Runner, bare_runner, batch, docorch_runner, record_bare_calls
from bench.workers import bare_worker_process, new_task_queue, worker_process
from client.sdk import OrchestratorClient

NAME = "profile_worker"
TITLE = "Where the worker's time goes (py-spy, under the throughput load)"
RATE = 250

CATEGORIES: tuple[tuple[str, str], ...] = (
    ("sandbox: a workflow's modules imported", "SandboxedWorkflowRunner.create_instance"),
    ("workflow code: activations in the sandbox", "_Instance.activate"),
    ("activation completed (to the SDK core)", "Worker.complete_workflow_activation"),
    ("payloads decoded/encoded for workflows", "PayloadVisitor.visit"),
    ("the sandbox asked for payload serialization contexts", "_Instance.get_serialization_context"),
    ("activities: their code", "_ActivityInboundImpl.execute_activity"),
    ("activities: completed (to the SDK core)", "Worker.complete_activity_task"),
    ("activities: heartbeats", "_ActivityWorker._heartbeat_async"),
    ("tool figures written to the store", "EmbeddedFigures.record_call"),
    ("logging", "structlog"),
)
"""(label, a frame that marks it): a sample counts for every category whose frame is on its
stack, so the categories may overlap."""


_PLUMBING = ("(asyncio/", "(concurrent/", "(threading.py", "(<frozen", "(<string>")


def _telling(frame: str) -> bool:
    """Whether a frame says what the worker was doing (not the event loop or a thread pool)."""
    return "/" in frame and not any(p in frame for p in _PLUMBING)


def _summarise(path: Path, queries: int) -> dict[str, Any]:
    """Samples per query: all, by category, and the frames most often on the stack."""
    total = 0
    by_category: collections.Counter[str] = collections.Counter()
    frames: collections.Counter[str] = collections.Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        names = {re.sub(r":\d+\)$", ")", f) for f in stack.split(";")}
        for label, marker in CATEGORIES:
            if any(marker in name for name in names):
                by_category[label] += n
        for name in names:
            frames[name] += n
    ms = 1000 / RATE / queries
    return {
        "ms_per_query": round(total * ms, 2),
        "categories": {label: round(by_category[label] * ms, 2) for label, _ in CATEGORIES},
        "top_frames": [
            (name, round(n * ms, 2)) for name, n in frames.most_common(80) if _telling(name)
        ][:25],
    }


def _py_spy() -> str | None:
    """The py-spy executable: on PATH, or beside this Python (a venv's bin)."""
    beside = Path(sys.executable).parent / "py-spy"
    return shutil.which("py-spy") or (str(beside) if beside.exists() else None)


async def _sampled(
    pid: int,
    run_one: Runner,
    pids: dict[str, int | None],
    out: Path,
    concurrency: int,
    queries: int,
) -> dict[str, Any]:
    spy = subprocess.Popen(
        [
            _py_spy() or "py-spy",
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(RATE),
            "--format",
            "raw",
            "--nonblocking",
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await asyncio.sleep(1.0)  # py-spy attaches
    measured = await batch(run_one, concurrency, queries, pids)
    spy.send_signal(2)
    spy.wait(timeout=30)
    return measured


async def profile(*, rounds: int, queries: int, concurrency: int) -> dict[str, Any]:
    """docorch's and the bare baseline's workers sampled under the same load, in turns."""
    bench = await environment()
    docorch_queue, bare_queue = new_task_queue("profile"), new_task_queue("profile-bare")
    calls_file = bench.root / f"{bare_queue}.json"
    samples: dict[str, list[Path]] = {"docorch": [], "bare": []}
    cpu: dict[str, list[float]] = {"docorch": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="docorch-profile-") as tmp:
        async with worker_process(docorch_queue) as docorch_pid:
            sdk = OrchestratorClient(bench.client, task_queue=docorch_queue)
            docorch = docorch_runner(sdk)
            docorch_pids = {"worker": docorch_pid, "server": bench.server_pid, "client": None}
            await batch(docorch, 4, 8, docorch_pids)
            bare_calls.save(await record_bare_calls(sdk), calls_file)
            async with bare_worker_process(bare_queue, calls_file) as bare_pid:
                bare = bare_runner(bare_queue)
                bare_pids = {**docorch_pids, "worker": bare_pid}
                await batch(bare, 4, 8, bare_pids)
                sides = {
                    "docorch": (docorch_pid, docorch, docorch_pids),
                    "bare": (bare_pid, bare, bare_pids),
                }
                for r in range(rounds):
                    for name in ("docorch", "bare") if r % 2 == 0 else ("bare", "docorch"):
                        pid, run_one, pids = sides[name]
                        out = Path(tmp) / f"{name}-{r}.txt"
                        measured = await _sampled(pid, run_one, pids, out, concurrency, queries)
                        samples[name].append(out)
                        cpu[name].append(measured["cpu_ms_per_query"]["worker"])
        result: dict[str, Any] = {
            "rounds": rounds,
            "queries_per_batch": queries,
            "concurrency": concurrency,
            "rate_hz": RATE,
        }
        for name, paths in samples.items():
            merged = Path(tmp) / f"{name}.txt"
            merged.write_text("".join(p.read_text() for p in paths if p.exists()))
            result[name] = _summarise(merged, rounds * queries)
            result[name]["worker_cpu_ms_per_query"] = round(
                sorted(cpu[name])[len(cpu[name]) // 2], 2
            )
    result["goals"] = []
    return result


def table(results: dict[str, Any]) -> str:
    """The profile as markdown."""
    d, b = results["docorch"], results["bare"]
    rows = [[label, d["categories"][label], b["categories"][label]] for label, _ in CATEGORIES]
    rows.append(["**all sampled time**", d["ms_per_query"], b["ms_per_query"]])
    rows.append(
        ["worker CPU (from /proc)", d["worker_cpu_ms_per_query"], b["worker_cpu_ms_per_query"]]
    )
    top = md_table(
        ["frame on the stack (docorch)", "ms per query"],
        [[f"`{name}`", ms] for name, ms in d["top_frames"] if _telling(name)][:15],
    )
    return (
        f"{results['rounds']} rounds of {results['queries_per_batch']} queries at "
        f"{results['concurrency']} in flight (`throughput`'s rotation and baseline), each "
        f"worker sampled by py-spy at {results['rate_hz']} Hz during its own batches. "
        "Sampled ms per query: time a thread of the worker was running or waiting for the "
        "GIL, by what was on its stack (categories overlap).\n\n"
        + md_table(["", "docorch", "bare"], rows)
        + "\n\n"
        + top
        + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_worker", description=__doc__)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--queries", type=int, default=40, help="queries per batch")
    parser.add_argument("--concurrency", type=int, default=20, help="queries in flight")
    args = parser.parse_args(argv)
    if _py_spy() is None:
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 2
    started = time.perf_counter()
    machine = measured_on()

    async def go() -> dict[str, Any]:
        try:
            return await profile(
                rounds=args.rounds, queries=args.queries, concurrency=args.concurrency
            )
        finally:
            await bench_environment.close()

    results = asyncio.run(go())
    command = (
        f"python -m bench.profile_worker --rounds {args.rounds} "
        f"--queries {args.queries} --concurrency {args.concurrency}"
    )
    return write_report(
        NAME, results, machine=machine, command=command, started=started, rendered=table(results)
    )


if __name__ == "__main__":
    sys.exit(main())
