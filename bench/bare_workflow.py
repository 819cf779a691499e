"""The baseline: a hand-written Temporal workflow that runs a DAG of tool activities, nothing more.

No planning, no event log, no confidence, no fallbacks: each step starts as soon as the steps it
depends on have finished (asyncio tasks awaiting each other), calls the activity named after its
tool with the same parameters docorch would send, and the workflow returns once every step is
done. It lives in its own module, importing only temporalio and the standard library, so the
workflow sandbox has little to load per run.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

BARE_WORKFLOW = "BareDagWorkflow"


@dataclass(frozen=True)
class BareStep:
    """One step: call ``tool`` with ``{"ms": ms, "inputs": [slept_ms of each dependency]}``."""

    id: str
    tool: str
    ms: int
    depends_on: list[str] = field(default_factory=list)


@workflow.defn(name=BARE_WORKFLOW)
class BareDagWorkflow:
    @workflow.run
    async def run(self, steps: list[BareStep]) -> dict[str, Any]:
        tasks: dict[str, asyncio.Task[dict[str, Any]]] = {}

        async def run_step(step: BareStep) -> dict[str, Any]:
            inputs = [(await tasks[d])["slept_ms"] for d in step.depends_on]
            envelope = await workflow.execute_activity(
                step.tool,
                {"ms": step.ms, "inputs": inputs},
                activity_id=step.id,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
            output: dict[str, Any] = envelope["output"]
            return output

        # steps arrive in topological order, so every dependency's task exists already
        for step in steps:
            tasks[step.id] = asyncio.create_task(run_step(step))
        outputs = await asyncio.gather(*tasks.values())
        return dict(zip(tasks, outputs, strict=True))
