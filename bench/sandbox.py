"""Sandbox cost: what running docorch's workflows in Temporal's sandbox costs per workflow run, with
Temporal's runner, with docorch's (``client.runner``), and with our workflow code passed through
(the floor: what the sandbox costs when it does not check our code).

- *Temporal's runner*: ``SandboxedWorkflowRunner`` with docorch's restrictions, as docorch ran
  before issue 15: each run finds, reads and unmarshals our 14 workflow modules, and the worker
  asks the sandbox for every payload's serialization context.
- *docorch's runner*: the same sandbox and restrictions; the modules' code objects come from
  memory and, docorch's data converter needing no serialization context, the worker does not
  ask the sandbox for it (what ``DocorchPlugin`` gives workers and replayers).
- *passed through*: docorch's runner with ``workflows`` on the passthrough list (never shipped:
  the sandbox would no longer check our code).

Two measurements, alternating the variants round by round so drift on a shared machine cancels
(figures are medians of per-round values):

- *a sandboxed instance*: CPU time of creating one QueryWorkflow instance (the imports of its
  modules into a fresh sandbox and the workflow class's definition), as the worker does for
  every run (``WorkflowRunner.prepare_workflow`` creates one the same way);
- *replay*: CPU time of one QueryWorkflow run, replaying recorded histories of the current shape
  (``tests/histories/*_protocol2.json``) many times in this process: workflow code and payload
  handling, no server, no activities.
"""

from __future__ import annotations

import asyncio
import compileall
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from bench.paths import REPO
from bench.results import md_table
from bench.stats import median, summary
from client.plugin import data_converter, sandbox_restrictions, workflow_runner
from client.runner import DocorchWorkflowRunner, fitted
from worker import WORKFLOWS
from workflows.query import QueryWorkflow

NAME = "sandbox"
TITLE = "Sandbox cost: Temporal's runner, docorch's, and our code passed through"
TEMPORAL, DOCORCH, PASSED = "Temporal's runner", "docorch's runner", "passed through"
HISTORIES = [
    REPO / "tests" / "histories" / f"{name}_protocol2.json"
    for name in ("qa_stored_contracts", "qa_two_contracts", "summary_two_docs")
]


def _runners() -> dict[str, Callable[[], WorkflowRunner]]:
    def docorch() -> WorkflowRunner:
        runner = fitted(workflow_runner(), data_converter())
        assert runner is not None
        return runner

    def passed() -> WorkflowRunner:
        restrictions = sandbox_restrictions().with_passthrough_modules("workflows")
        return DocorchWorkflowRunner(restrictions=restrictions, payload_context=False)

    return {
        TEMPORAL: lambda: SandboxedWorkflowRunner(restrictions=sandbox_restrictions()),
        DOCORCH: docorch,
        PASSED: passed,
    }


async def _instance_ms(runner: WorkflowRunner, count: int) -> float:
    """CPU ms per sandboxed QueryWorkflow instance created by ``runner``."""
    definition = workflow._Definition.must_from_class(QueryWorkflow)
    started = time.process_time()
    for _ in range(count):
        runner.prepare_workflow(definition)
    return (time.process_time() - started) * 1000 / count


async def _replay_ms(runner: WorkflowRunner, histories: list[WorkflowHistory], runs: int) -> float:
    """CPU ms of this process per replayed workflow run."""
    replayer = Replayer(
        workflows=list(WORKFLOWS), data_converter=data_converter(), workflow_runner=runner
    )

    async def feed() -> AsyncIterator[WorkflowHistory]:
        for n in range(runs):
            yield histories[n % len(histories)]

    started = time.process_time()
    async with replayer.workflow_replay_iterator(feed()) as results:
        async for result in results:
            if result.replay_failure is not None:
                raise result.replay_failure
    return (time.process_time() - started) * 1000 / runs


async def _rounds(measure: Callable[[WorkflowRunner], Any], rounds: int) -> dict[str, list[float]]:
    """``measure(runner)`` for each variant, ``rounds`` times (after a warm-up round), in
    alternating order."""
    runners = _runners()
    ms: dict[str, list[float]] = {v: [] for v in runners}
    for number in range(rounds + 1):  # round 0 warms up
        order = list(runners) if number % 2 else list(reversed(runners))
        for variant in order:
            value = await measure(runners[variant]())
            if number:
                ms[variant].append(value)
    return ms


def _saved(more: list[float], less: list[float]) -> float:
    return round(median([a - b for a, b in zip(more, less, strict=True)]), 2)


async def run(quick: bool) -> dict[str, Any]:
    # the shipped packages compiled, as a wheel install has them (pip compiles on install)
    for package in ("models", "workflows"):
        compileall.compile_dir(str(REPO / package), quiet=1)
    histories = [WorkflowHistory.from_json(p.stem, p.read_text()) for p in HISTORIES]
    count, runs, rounds = (20, 6, 3) if quick else (150, 30, 8)
    instances = await _rounds(lambda runner: _instance_ms(runner, count), rounds)
    await asyncio.sleep(0)
    replays = await _rounds(lambda runner: _replay_ms(runner, histories, runs), rounds)
    return {
        "instances_per_round": count,
        "replays_per_round": runs,
        "rounds": rounds,
        "histories": [p.name for p in HISTORIES],
        "instance_ms": {v: summary(values) for v, values in instances.items()},
        "replay_ms": {v: summary(values) for v, values in replays.items()},
        "saved_ms": {
            "instance": _saved(instances[TEMPORAL], instances[DOCORCH]),
            "replay": _saved(replays[TEMPORAL], replays[DOCORCH]),
        },
        "sandboxing_ms": {
            "instance": _saved(instances[DOCORCH], instances[PASSED]),
            "replay": _saved(replays[DOCORCH], replays[PASSED]),
        },
        "goals": [],
    }


def table(results: dict[str, Any]) -> str:
    rows = [
        [
            variant,
            results["instance_ms"][variant]["median"],
            f"{results['instance_ms'][variant]['p10']}–{results['instance_ms'][variant]['p90']}",
            results["replay_ms"][variant]["median"],
            f"{results['replay_ms'][variant]['p10']}–{results['replay_ms'][variant]['p90']}",
        ]
        for variant in results["instance_ms"]
    ]
    saved, sandboxing = results["saved_ms"], results["sandboxing_ms"]
    histories = ", ".join(f"`{name}`" for name in results["histories"])
    return (
        f"*{TEMPORAL}*: `SandboxedWorkflowRunner` with docorch's restrictions (docorch before "
        "issue 15): every run finds, reads and unmarshals our workflow modules, and the worker "
        "asks the sandbox for each payload's serialization context (about 4 sandbox entries per "
        f"payload written, 3 per payload read). *{DOCORCH}* (`client.runner`, what the docorch "
        "plugin gives workers and replayers): the same sandbox and restrictions, the modules' "
        "code objects kept in memory, and no context questions (docorch's data converter needs "
        f"none). *{PASSED}*: docorch's runner with `workflows` on the passthrough list, never "
        "shipped: the floor, where the sandbox no longer checks our code. CPU ms, medians of "
        f"{results['rounds']} alternating rounds: creating a sandboxed QueryWorkflow instance "
        f"(its modules imported, its class defined; {results['instances_per_round']} per "
        f"round), and a replayed QueryWorkflow run ({histories}, "
        f"{results['replays_per_round']} per round).\n\n"
        + md_table(
            ["runner", "instance ms", "p10–p90", "replayed run ms", "p10–p90"],
            rows,
        )
        + f"\n\n**docorch's runner saves {saved['instance']} ms per sandboxed instance and "
        f"{saved['replay']} ms per replayed run** against Temporal's (medians of per-round "
        f"differences). Checking our code in the sandbox still costs {sandboxing['instance']} "
        f"ms per instance and {sandboxing['replay']} ms per run over passing it through.\n\n"
        "Reproduce: `.venv/bin/python -m bench --only sandbox`.\n"
    )
