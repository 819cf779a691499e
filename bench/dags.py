"""A tool of known duration (``sleep_tool``) and DAGs of it: as a docorch Plan, with their
critical path and level bounds, and run in-process with plain asyncio as the floor."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from pydantic import BaseModel

from activities.registry import ToolRegistry
from models.plan import Plan, Step
from models.query import QueryType


class Slept(BaseModel):
    answer: str
    confidence: float = 1.0
    slept_ms: int


async def sleep_tool(ms: int, inputs: tuple[int, ...] = ()) -> Slept:
    """Sleep for ``ms`` milliseconds and say so: a tool of known duration for benchmarks.

    ``inputs`` carries the dependencies' outputs, so the plan's edges are real data edges.
    """
    await asyncio.sleep(ms / 1000)
    return Slept(answer=f"slept {ms} ms after {len(inputs)} input(s)", slept_ms=ms)


SLEEP_TOOL = "sleep_tool"


def sleep_registry() -> ToolRegistry:
    """A registry with only ``sleep_tool`` (plain typed function, registered like any tool)."""
    registry = ToolRegistry()
    registry.register_function(sleep_tool, name=SLEEP_TOOL, estimated_duration=0.1)
    return registry


@dataclass(frozen=True)
class DagStep:
    id: str
    ms: int
    deps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dag:
    """A DAG of sleep steps in topological order; the last step is the answer."""

    name: str
    steps: tuple[DagStep, ...]

    def finish_ms(self) -> dict[str, int]:
        """Earliest finish of each step with unlimited parallelism."""
        finish: dict[str, int] = {}
        for step in self.steps:
            finish[step.id] = step.ms + max((finish[d] for d in step.deps), default=0)
        return finish

    @property
    def critical_path_ms(self) -> int:
        return max(self.finish_ms().values())

    @property
    def total_ms(self) -> int:
        return sum(s.ms for s in self.steps)

    def levels(self) -> list[list[DagStep]]:
        depth: dict[str, int] = {}
        for step in self.steps:
            depth[step.id] = 1 + max((depth[d] for d in step.deps), default=0)
        grouped: list[list[DagStep]] = [[] for _ in range(max(depth.values()))]
        for step in self.steps:
            grouped[depth[step.id] - 1].append(step)
        return grouped

    @property
    def level_bound_ms(self) -> int:
        """Makespan when each level waits for the previous one to finish entirely."""
        return sum(max(s.ms for s in level) for level in self.levels())

    def plan(self) -> Plan:
        """The DAG as a docorch Plan: one sleep_tool step per node, edges as references."""
        steps = tuple(
            Step(
                id=s.id,
                tool=SLEEP_TOOL,
                params={"ms": s.ms, "inputs": [f"${d}.slept_ms" for d in s.deps]},
                description=f"sleep {s.ms} ms",
            )
            for s in self.steps
        )
        return Plan(
            query=f"benchmark {self.name}",
            query_type=QueryType.QA,
            steps=steps,
            answer_step=self.steps[-1].id,
            reasoning=f"benchmark DAG {self.name}",
            source="llm",
        )


async def run_in_process(dag: Dag) -> float:
    """The floor: the DAG with plain asyncio tasks calling the tool directly; makespan in ms."""
    started = time.perf_counter()
    tasks: dict[str, asyncio.Task[Slept]] = {}

    async def one(step: DagStep) -> Slept:
        inputs = tuple([(await tasks[d]).slept_ms for d in step.deps])
        return await sleep_tool(step.ms, inputs)

    for step in dag.steps:
        tasks[step.id] = asyncio.create_task(one(step))
    await asyncio.gather(*tasks.values())
    return (time.perf_counter() - started) * 1000
