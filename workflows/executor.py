"""Runs a plan's steps inside QueryWorkflow: each step as soon as its inputs are ready (or level
by level), recorded as a StepResult, with events on the way.

Per step, in order: missing inputs (skip; or run without them when the tool accepts that and at
least one input is there) -> condition (skip when false) -> its calls (``steps``: loops, the
tool with Temporal retries, its fallbacks). A failed step never fails its siblings; it is
recorded and the caller decides whether to replan.
"""

from __future__ import annotations

import asyncio

from pydantic import JsonValue
from temporalio import workflow

from models.config import Scheduling
from models.events import EventData, EventKind
from models.grammar import evaluate, level_of_steps, levels
from models.plan import Plan, Step
from models.query import StepResult, StepStatus
from workflows import dag
from workflows.confidence import step_confidence
from workflows.failures import StepFailure
from workflows.progress import EventLog, ms_since
from workflows.steps import StepCalls, StepOutcome
from workflows.usage import LlmTally


class _Place:
    """Where a step runs: its level in its plan, and which plan (0 first, n the n-th replan).
    A plain class, not a NamedTuple: see ``workflows.steps``."""

    __slots__ = ("level", "replan")

    def __init__(self, level: int, replan: int) -> None:
        self.level = level
        self.replan = replan


class PlanExecutor:
    """Executes plans against a shared output map; one instance per query."""

    def __init__(
        self,
        *,
        outputs: dict[str, JsonValue],
        events: EventLog,
        max_parallel: int,
        scheduling: Scheduling,
    ) -> None:
        self.outputs = outputs
        self.events = events
        self.results: dict[str, StepResult] = {}
        self.levels: list[list[str]] = []
        self.not_retryable: set[str] = set()
        """Steps whose failure a retry cannot fix (bad input): a replan replaces them."""
        self.llm = LlmTally(events)
        self.calls = StepCalls(
            outputs=outputs, events=events, llm=self.llm, max_parallel=max_parallel
        )
        self._scheduling = scheduling
        self._needs: dict[str, set[str]] = {}
        """Each step's dependencies (``dag.step_needs``) in the plan running it."""

    @property
    def max_in_flight(self) -> int:
        """The most activities this query had running at once."""
        return self.calls.max_in_flight

    # ---- scheduling ------------------------------------------------------------------------

    async def run(self, plan: Plan, *, replan: int = 0) -> None:
        """Run every step of ``plan`` that has no output yet (a replanned plan keeps steps that
        failed or were skipped before: they run again); returns when each has completed, failed
        or been skipped."""
        steps = plan.steps
        needs = dag.step_needs(steps)
        self._needs.update(needs)
        grouped = levels(steps, needs)
        level_of = level_of_steps(steps, grouped)
        self.levels += grouped
        by_id = {s.id: s for s in steps}
        deps = dag.dependency_map(steps, needs)
        finished: set[str] = {s.id for s in steps if s.id in self.outputs}
        started: set[str] = set(finished)
        running: dict[str, asyncio.Task[None]] = {}
        try:
            while True:
                ready = dag.ready_steps(steps, finished | set(self.outputs), started, deps)
                if self._scheduling == "levels" and ready:
                    unfinished = [s.id for s in steps if s.id not in finished]
                    ready = dag.lowest_level_only(ready, level_of, unfinished)
                for step_id in ready:
                    started.add(step_id)
                    step = by_id[step_id]
                    self.events.emit(
                        EventKind.STEP_SCHEDULED,
                        step.description,
                        step_id=step_id,
                        tool=step.tool,
                        data=EventData(level=level_of[step_id]),
                    )
                    place = _Place(level_of[step_id], replan)
                    running[step_id] = asyncio.create_task(self._run_step(step, place))
                if not running:
                    return
                await workflow.wait(list(running.values()), return_when=asyncio.FIRST_COMPLETED)
                for step_id in [s for s, t in running.items() if t.done()]:
                    running.pop(step_id).result()
                    finished.add(step_id)
        except asyncio.CancelledError:
            for step_id, task in running.items():
                task.cancel()
                self._record(
                    by_id[step_id],
                    _Place(level_of[step_id], replan),
                    StepStatus.CANCELLED,
                    error="cancelled",
                )
            raise

    # ---- one step --------------------------------------------------------------------------

    async def _run_step(self, step: Step, place: _Place) -> None:
        missing, none_left = self._missing_dependencies(step)
        if missing and (none_left or not step.policy.accepts_missing_inputs):
            self._skip(step, place, f"missing input from {', '.join(missing)}")
            return
        if step.condition is not None and not evaluate(step.condition, self.outputs):
            c = step.condition
            self._skip(step, place, f"condition false: {c.ref} {c.op.value} {c.value!r}")
            return
        started = self.events.now()
        try:
            outcome = await self.calls.run(step, drop_missing=bool(missing))
        except StepFailure as failure:
            self._failed(step, place, failure, ms_since(started))
            return
        self._completed(step, place, outcome, missing, ms_since(started))

    def _missing_dependencies(self, step: Step) -> tuple[list[str], bool]:
        """The step's inputs from steps that failed or were skipped, and whether that is all of
        them (a tool that accepts missing inputs still needs one)."""
        ran = [d for d in self._needs[step.id] if d in self.results]
        missing = sorted(d for d in ran if self.results[d].status is not StepStatus.COMPLETED)
        return missing, len(missing) == len(ran)

    def _completed(
        self, step: Step, place: _Place, outcome: StepOutcome, missing: list[str], ms: float
    ) -> None:
        confidence = step_confidence(
            outcome.signal,
            reliability_weight=step.policy.reliability_weight,
            attempts=outcome.attempts,
            fell_back=outcome.fell_back_from is not None,
            missing_inputs=bool(missing),
        )
        self.outputs[step.id] = outcome.output
        self._record(
            step,
            place,
            StepStatus.COMPLETED,
            tool=outcome.tool,
            attempts=outcome.attempts,
            duration_ms=ms,
            confidence=confidence,
            fell_back_from=outcome.fell_back_from,
            iterations=outcome.iterations,
            error=f"ran without {', '.join(missing)}" if missing else None,
        )
        self.events.emit(
            EventKind.STEP_COMPLETED,
            step.description,
            step_id=step.id,
            tool=outcome.tool,
            data=EventData(
                confidence=confidence, attempts=outcome.attempts, duration_ms=round(ms, 1)
            ),
        )

    def _failed(self, step: Step, place: _Place, failure: StepFailure, ms: float) -> None:
        if not failure.retryable:
            self.not_retryable.add(step.id)
        self._record(
            step,
            place,
            StepStatus.FAILED,
            attempts=failure.attempts,
            duration_ms=ms,
            error=str(failure),
            error_type=failure.error_type,
        )
        self.events.emit(
            EventKind.STEP_FAILED,
            str(failure),
            step_id=step.id,
            tool=step.tool,
            data=EventData(error_type=failure.error_type),
        )

    def _skip(self, step: Step, place: _Place, why: str) -> None:
        self._record(step, place, StepStatus.SKIPPED, error=why)
        self.events.emit(EventKind.STEP_SKIPPED, why, step_id=step.id, tool=step.tool)

    def _record(
        self,
        step: Step,
        place: _Place,
        status: StepStatus,
        *,
        tool: str | None = None,
        attempts: int = 0,
        duration_ms: float = 0.0,
        confidence: float = 0.0,
        fell_back_from: str | None = None,
        error: str | None = None,
        error_type: str | None = None,
        iterations: int = 1,
    ) -> None:
        self.results[step.id] = StepResult(
            step_id=step.id,
            tool=tool or step.tool,
            status=status,
            level=place.level,
            attempts=attempts,
            duration_ms=duration_ms,
            confidence=confidence,
            fell_back_from=fell_back_from,
            error=error,
            error_type=error_type,
            replan=place.replan,
            iterations=iterations,
        )

    def not_run(self, plan: Plan | None = None, stopped: str | None = None) -> dict[str, str]:
        """Step id -> why it did not complete; with ``plan`` and ``stopped`` (why the query
        stopped early), also the plan's steps that never started."""
        why = {
            r.step_id: r.error or r.status.value
            for r in self.results.values()
            if r.status is not StepStatus.COMPLETED
        }
        if plan is not None and stopped:
            for step in plan.steps:
                if step.id not in self.results:
                    why[step.id] = f"not started: {stopped}"
        return why
