"""Scheduling: eager (a step starts as soon as its inputs are ready) vs level by level
(``QueryConfig(scheduling="levels")``) on plans with uneven step durations, and the speedup of
parallel over sequential execution (``max_parallel_steps=1``) against its theoretical bound
(sum of durations / critical path).

All three modes run docorch's QueryWorkflow with the same given plan of sleep steps, back to
back in each round; makespan is the step execution read from the history.
"""

from __future__ import annotations

import random
from typing import Any

from bench.dags import Dag, DagStep, sleep_registry
from bench.histories import step_window_ms
from bench.paths import SAMPLE_DOCUMENT
from bench.results import md_table
from bench.stats import median, paired_ratio, summary
from bench.workers import docorch_worker
from client.sdk import OrchestratorClient
from models.query import QueryConfig, QueryStatus

NAME = "scheduling"
TITLE = "Scheduling: eager vs levels, parallel vs sequential"
MODES: dict[str, QueryConfig] = {
    "eager": QueryConfig(max_parallel_steps=64, scheduling="eager", confidence_threshold=0.0),
    "levels": QueryConfig(max_parallel_steps=64, scheduling="levels", confidence_threshold=0.0),
    "sequential": QueryConfig(max_parallel_steps=1, scheduling="eager", confidence_threshold=0.0),
}


def _crossed_chains() -> Dag:
    return Dag(
        "two crossed chains",
        (
            DagStep("a1", 50),
            DagStep("a2", 300, ("a1",)),
            DagStep("b1", 300),
            DagStep("b2", 50, ("b1",)),
            DagStep("join", 50, ("a2", "b2")),
        ),
    )


def _rotated_pipelines() -> Dag:
    durations = [50, 150, 300]
    steps: list[DagStep] = []
    for p in range(3):
        rotated = durations[p:] + durations[:p]
        for stage, ms in enumerate(rotated, start=1):
            deps = (f"p{p + 1}s{stage - 1}",) if stage > 1 else ()
            steps.append(DagStep(f"p{p + 1}s{stage}", ms, deps))
    steps.append(DagStep("join", 50, tuple(f"p{p + 1}s3" for p in range(3))))
    return Dag("three rotated pipelines", tuple(steps))


def _random_dag(n: int = 12, seed: int = 7) -> Dag:
    """Seeded: each step depends on up to two earlier ones; the sinks join in a last step."""
    rng = random.Random(seed)
    steps: list[DagStep] = []
    for i in range(n):
        earlier = [s.id for s in steps]
        deps = tuple(sorted(rng.sample(earlier, k=min(len(earlier), rng.choice([0, 1, 1, 2])))))
        steps.append(DagStep(f"r{i + 1}", rng.choice([30, 60, 120, 240]), deps))
    used = {d for s in steps for d in s.deps}
    steps.append(DagStep("join", 30, tuple(s.id for s in steps if s.id not in used)))
    return Dag(f"random {n} (seed {seed})", tuple(steps))


def plans(quick: bool) -> list[Dag]:
    every = [_crossed_chains(), _rotated_pipelines(), _random_dag()]
    return every[:2] if quick else every


async def _run(sdk: OrchestratorClient, dag: Dag, config: QueryConfig) -> dict[str, float]:
    handle = await sdk.start(
        f"benchmark {dag.name}",
        [str(SAMPLE_DOCUMENT)],
        plan=dag.plan().model_dump(mode="json"),
        config=config,
    )
    result = await handle.result()
    if result.status is not QueryStatus.COMPLETED:
        raise RuntimeError(f"{dag.name}: ended {result.status}")
    history = await handle.fetch_history()
    return {
        "steps_ms": step_window_ms(history, [s.id for s in dag.steps]),
        "max_concurrent": float(result.execution_summary.max_concurrent_steps),
    }


async def run(quick: bool) -> dict[str, Any]:
    rounds = 3 if quick else 5
    out = []
    async with docorch_worker(sleep_registry(), max_concurrent_activities=64) as sdk:
        for n, dag in enumerate(plans(quick)):
            if n == 0 or not quick:
                for config in MODES.values():
                    await _run(sdk, dag, config)  # warm-up
            measured: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
            names = list(MODES)
            for r in range(rounds):
                for mode in names[r % 3 :] + names[: r % 3]:
                    measured[mode].append(await _run(sdk, dag, MODES[mode]))
            ms = {mode: [x["steps_ms"] for x in runs] for mode, runs in measured.items()}
            cp, bound, total = dag.critical_path_ms, dag.level_bound_ms, dag.total_ms
            speedup = paired_ratio(ms["sequential"], ms["eager"])
            out.append(
                {
                    "plan": dag.name,
                    "steps": len(dag.steps),
                    "levels": len(dag.levels()),
                    "durations_ms": {s.id: s.ms for s in dag.steps},
                    "critical_path_ms": cp,
                    "level_bound_ms": bound,
                    "sum_ms": total,
                    "makespan_ms": {mode: summary(values) for mode, values in ms.items()},
                    "max_concurrent_steps": {
                        mode: median([x["max_concurrent"] for x in runs])
                        for mode, runs in measured.items()
                    },
                    "levels_over_eager": paired_ratio(ms["levels"], ms["eager"]),
                    "levels_over_eager_bound": round(bound / cp, 3),
                    "speedup": speedup,
                    "speedup_bound": round(total / cp, 3),
                    "speedup_efficiency": round(speedup / (total / cp), 3),
                    # what each mode pays on top of its bound: sequential once per step,
                    # eager and levels once per level
                    "over_bound_ms": {
                        "eager_per_level": round((median(ms["eager"]) - cp) / len(dag.levels()), 1),
                        "levels_per_level": round(
                            (median(ms["levels"]) - bound) / len(dag.levels()), 1
                        ),
                        "sequential_per_step": round(
                            (median(ms["sequential"]) - total) / len(dag.steps), 1
                        ),
                    },
                }
            )
    return {
        "rounds": rounds,
        "plans": out,
        "goals": [],
    }


def table(results: dict[str, Any]) -> str:
    rows = []
    for p in results["plans"]:
        m = p["makespan_ms"]
        rows.append(
            [
                p["plan"],
                p["steps"],
                p["critical_path_ms"],
                p["level_bound_ms"],
                p["sum_ms"],
                m["eager"]["median"],
                m["levels"]["median"],
                m["sequential"]["median"],
                f"{p['levels_over_eager']:.2f} (bound {p['levels_over_eager_bound']:.2f})",
                f"{p['speedup']:.2f} (bound {p['speedup_bound']:.2f})",
                _over(p),
            ]
        )
    return (
        f"Medians of {results['rounds']} rounds, ms of step execution (history). *critical path*: "
        "eager's lower bound; *level bound*: sum over levels of the longest step, the lower bound "
        "of level-by-level; *sum*: sequential's lower bound. Eager and levels run with "
        "`max_parallel_steps=64`, sequential with `max_parallel_steps=1`.\n\n"
        + md_table(
            [
                "plan",
                "steps",
                "critical path",
                "level bound",
                "sum",
                "eager",
                "levels",
                "sequential",
                "levels ÷ eager",
                "speedup sequential ÷ eager",
                "ms over bound: eager, levels per level / sequential per step",
            ],
            rows,
        )
        + "\n\nThe speedup's bound (sum ÷ critical path) assumes steps cost only their "
        "duration. Each step also pays an activity round trip: sequential pays it once per "
        "step, eager once per level of the critical path, so the measured speedup can come "
        "out above the bound when the round trip is long (a loaded machine).\n"
    )


def _over(p: dict[str, Any]) -> str:
    over = p.get("over_bound_ms")
    if not over:
        return "-"
    return (
        f"{over['eager_per_level']:+.0f}, {over['levels_per_level']:+.0f} / "
        f"{over['sequential_per_step']:+.0f}"
    )
