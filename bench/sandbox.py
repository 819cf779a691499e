"""Sandbox cost: docorch's workflow code imported inside the workflow sandbox (only third-party
modules and ``models`` passed through, so the sandbox checks ``workflows/``) against the same
code passed through (``workflows`` on the passthrough list, as docorch once had it).

Two measurements, each alternating the variants round by round so drift on a shared machine
cancels (figures are medians of per-round values):

- *replay*: the CPU time of one QueryWorkflow run, replaying a recorded history
  (``tests/histories/qa_two_contracts.json``) many times in this process: workflow code only,
  no server, no activities. A third variant runs the sandbox without bytecode (an empty
  ``sys.pycache_prefix``), as an editable install under ``PYTHONDONTWRITEBYTECODE=1`` does:
  the sandbox then compiles ``workflows/`` from source for every run.
- *end to end*: two workers in this process, one per variant; the same template-plan queries
  (``throughput``'s rotation) on each: queries per second, and CPU time of this process (worker
  and client; the client's share is the same in both) per query.
"""

from __future__ import annotations

import asyncio
import compileall
import contextlib
import itertools
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from bench.environment import environment
from bench.paths import REPO, SAMPLES
from bench.results import md_table
from bench.stats import median, paired_ratio, summary
from bench.throughput import QUERIES
from bench.workers import new_task_queue
from client.plugin import data_converter, sandbox_restrictions, workflow_runner
from client.sdk import OrchestratorClient
from worker import WORKFLOWS, build_worker

NAME = "sandbox"
TITLE = "Sandbox cost: workflow code sandboxed vs passed through"
SANDBOXED, NO_BYTECODE, PASSED = "sandboxed", "sandboxed, no bytecode", "passed through"
HISTORY = REPO / "tests" / "histories" / "qa_two_contracts.json"


def _passed_through() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=sandbox_restrictions().with_passthrough_modules("workflows")
    )


@contextlib.contextmanager
def _without_bytecode() -> Iterator[None]:
    """Imports in the block find no bytecode and write none: they compile from source."""
    prefix, dont_write = sys.pycache_prefix, sys.dont_write_bytecode
    with tempfile.TemporaryDirectory() as empty:
        sys.pycache_prefix, sys.dont_write_bytecode = empty, True
        try:
            yield
        finally:
            sys.pycache_prefix, sys.dont_write_bytecode = prefix, dont_write


async def _replay_ms(runner: SandboxedWorkflowRunner, history: WorkflowHistory, runs: int) -> float:
    """CPU ms of this process per replay of ``history``."""
    replayer = Replayer(
        workflows=list(WORKFLOWS), data_converter=data_converter(), workflow_runner=runner
    )

    async def histories() -> AsyncIterator[WorkflowHistory]:
        for _ in range(runs):
            yield history

    started = time.process_time()
    async with replayer.workflow_replay_iterator(histories()) as results:
        async for result in results:
            if result.replay_failure is not None:
                raise result.replay_failure
    return (time.process_time() - started) * 1000 / runs


async def _replays(rounds: int, runs: int) -> dict[str, list[float]]:
    history = WorkflowHistory.from_json("bench", HISTORY.read_text())
    variants = [SANDBOXED, NO_BYTECODE, PASSED]
    ms: dict[str, list[float]] = {v: [] for v in variants}
    for number in range(rounds + 1):  # round 0 warms up
        for variant in variants if number % 2 else list(reversed(variants)):
            runner = _passed_through() if variant == PASSED else workflow_runner()
            context = _without_bytecode() if variant == NO_BYTECODE else contextlib.nullcontext()
            with context:
                value = await _replay_ms(runner, history, runs)
            if number:
                ms[variant].append(value)
    return ms


async def _batch(sdk: OrchestratorClient, queries: int, concurrency: int) -> tuple[float, float]:
    """(queries per second, CPU ms of this process per query) of one batch."""
    work = itertools.cycle(QUERIES)
    remaining = itertools.count()

    async def client_loop() -> None:
        while next(remaining) < queries:
            question, names = next(work)
            await sdk.run(question, [str(SAMPLES / n) for n in names])

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return queries / wall, cpu * 1000 / queries


async def _end_to_end(
    rounds: int, queries: int, concurrency: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    bench = await environment()
    variants = {SANDBOXED: None, PASSED: _passed_through()}
    qps: dict[str, list[float]] = {v: [] for v in variants}
    cpu: dict[str, list[float]] = {v: [] for v in variants}
    async with contextlib.AsyncExitStack() as stack:
        sdks = {}
        for variant, runner in variants.items():
            queue = new_task_queue(f"sandbox-{variant.split()[0]}")
            worker = build_worker(
                bench.client, bench.settings, task_queue=queue, workflow_runner=runner
            )
            await stack.enter_async_context(worker)
            sdks[variant] = OrchestratorClient(bench.client, task_queue=queue)
        for sdk in sdks.values():  # warm-up: ingest the corpus, import every module once
            await _batch(sdk, 4, 2)
        for number in range(rounds):
            order = list(variants) if number % 2 == 0 else list(reversed(variants))
            for variant in order:
                rate, ms = await _batch(sdks[variant], queries, concurrency)
                qps[variant].append(rate)
                cpu[variant].append(ms)
    return qps, cpu


def _extra(more: list[float], less: list[float]) -> float:
    return round(median([a - b for a, b in zip(more, less, strict=True)]), 2)


async def run(quick: bool) -> dict[str, Any]:
    # the shipped packages compiled, as a wheel install has them (pip compiles on install)
    for package in ("models", "workflows"):
        compileall.compile_dir(str(REPO / package), quiet=1)
    replay = await _replays(rounds=3 if quick else 8, runs=10 if quick else 30)
    rounds, queries, concurrency = (3, 8, 4) if quick else (8, 24, 8)
    qps, cpu = await _end_to_end(rounds, queries, concurrency)
    return {
        "replay": {
            "runs_per_round": 10 if quick else 30,
            "rounds": len(replay[SANDBOXED]),
            "ms_per_run": {v: summary(values) for v, values in replay.items()},
            "extra_ms": _extra(replay[SANDBOXED], replay[PASSED]),
            "extra_ms_no_bytecode": _extra(replay[NO_BYTECODE], replay[PASSED]),
        },
        "end_to_end": {
            "rounds": rounds,
            "queries_per_round": queries,
            "concurrency": concurrency,
            "qps": {v: summary(values) for v, values in qps.items()},
            "cpu_ms_per_query": {v: summary(values) for v, values in cpu.items()},
            "qps_ratio": paired_ratio(qps[SANDBOXED], qps[PASSED]),
            "extra_cpu_ms": _extra(cpu[SANDBOXED], cpu[PASSED]),
        },
        "goals": [],
    }


def table(results: dict[str, Any]) -> str:
    replay, e2e = results["replay"], results["end_to_end"]
    replay_rows = [
        [v, s["median"], f"{s['p10']}–{s['p90']}"] for v, s in replay["ms_per_run"].items()
    ]
    e2e_rows = [
        [
            v,
            e2e["qps"][v]["median"],
            f"{e2e['qps'][v]['p10']}–{e2e['qps'][v]['p90']}",
            e2e["cpu_ms_per_query"][v]["median"],
        ]
        for v in e2e["qps"]
    ]
    return (
        "*sandboxed*: docorch's workers (only third-party modules and `models` pass through, "
        "so `workflows/` is imported inside the sandbox for every workflow run and its calls "
        "are checked); *passed through*: the same with `workflows` on the passthrough list. "
        "The shipped packages are compiled to bytecode first, as a wheel install has them.\n\n"
        f"Replay of one recorded QueryWorkflow history ({replay['runs_per_round']} runs × "
        f"{replay['rounds']} rounds), CPU ms per workflow run:\n\n"
        + md_table(["variant", "ms per run", "p10–p90"], replay_rows)
        + f"\n\nEnd to end, {e2e['rounds']} rounds of {e2e['queries_per_round']} template-plan "
        f"queries ({e2e['concurrency']} in flight) per variant, two workers in this process; "
        "CPU of this process (worker and client) per query:\n\n"
        + md_table(["variant", "queries/s", "p10–p90", "CPU ms/query"], e2e_rows)
        + f"\n\n**Sandboxing our workflow code costs {replay['extra_ms']} ms of CPU per "
        f"workflow run** in replay and {e2e['extra_cpu_ms']} ms per query end to end (queries/s "
        f"× {e2e['qps_ratio']}), medians of per-round differences. Without bytecode (an "
        "editable install under `PYTHONDONTWRITEBYTECODE=1`, as on this machine) it is "
        f"{replay['extra_ms_no_bytecode']} ms per run: the sandbox compiles `workflows/` from "
        "source each time, so `make install` compiles it. The executor's outcomes are "
        "NamedTuples and the child workflows are started by name for the same reason: a module "
        "the sandbox imports per run should define little.\n\n"
        "Reproduce: `.venv/bin/python -m bench --only sandbox`.\n"
    )
