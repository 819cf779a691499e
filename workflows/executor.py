"""Runs a plan's steps inside QueryWorkflow: each step one activity named after its tool, with
activity id = step id, started as soon as its inputs are ready (or level by level), at most
``max_parallel`` activities at once.

Per step, in order: missing inputs (skip; or run without them when the tool accepts that and
at least one input is there) -> condition (skip when false) -> for_each / repeat_until -> the
tool with Temporal retries -> its fallbacks in order. A failed step never fails its siblings;
it is recorded and the caller decides whether to replan.
"""

from __future__ import annotations

import asyncio
from collections import ChainMap
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

with workflow.unsafe.imports_passed_through():
    from models.events import EventKind
    from models.plan import Plan, Step
    from models.query import Scheduling, StepResult, StepStatus
    from workflows import dag
    from workflows.confidence import step_confidence
    from workflows.failures import application_cause, reraise_cancellation
    from workflows.progress import EventLog
    from workflows.usage import LlmTally, reported_usage


class StepFailure(Exception):
    """A step (or one call of it) that failed for good; ``attempts`` calls were spent on it.
    Not ``retryable`` when a retry cannot help (bad input, a plan that does not fit)."""

    def __init__(
        self, message: str, error_type: str | None, attempts: int = 0, *, retryable: bool = True
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.attempts = attempts
        self.retryable = retryable


def _attempts_spent(error: ActivityError, cause: ApplicationError | None, max_attempts: int) -> int:
    """How many attempts a failed activity made: the registry puts the last attempt's number in
    the error's details; without it (a timeout) the retry state tells whether all were used."""
    details = cause.details if cause is not None else ()
    if details and isinstance(details[0], dict) and isinstance(details[0].get("attempt"), int):
        return int(details[0]["attempt"])
    if error.retry_state in (RetryState.MAXIMUM_ATTEMPTS_REACHED, RetryState.TIMEOUT):
        return max_attempts
    return 1


def _failure(error: ActivityError, max_attempts: int) -> StepFailure:
    cause = application_cause(error)
    retryable = error.retry_state != RetryState.NON_RETRYABLE_FAILURE
    if cause is not None:
        attempts = _attempts_spent(error, cause, max_attempts)
        return StepFailure(cause.message, cause.type, attempts, retryable=retryable)
    inner = error.__cause__ or error
    return StepFailure(
        str(inner) or type(inner).__name__,
        type(inner).__name__,
        _attempts_spent(error, None, max_attempts),
        retryable=retryable,
    )


def retry_policy(step: Step) -> RetryPolicy:
    p = step.policy
    return RetryPolicy(
        initial_interval=timedelta(seconds=p.initial_interval_seconds),
        backoff_coefficient=p.backoff_coefficient,
        maximum_interval=timedelta(seconds=p.maximum_interval_seconds),
        maximum_attempts=p.max_attempts,
        non_retryable_error_types=list(p.non_retryable_error_types),
    )


class PlanExecutor:
    """Executes plans against a shared output map; one instance per query."""

    def __init__(
        self,
        *,
        outputs: dict[str, Any],
        events: EventLog,
        max_parallel: int,
        scheduling: Scheduling,
    ) -> None:
        self.outputs = outputs
        self.events = events
        self.results: dict[str, StepResult] = {}
        self.levels: list[list[str]] = []
        self._slots = asyncio.Semaphore(max_parallel)
        self._scheduling = scheduling
        self._in_flight = 0
        self.max_in_flight = 0
        self.not_retryable: set[str] = set()
        """Steps whose failure a retry cannot fix (bad input): a replan replaces them."""
        self.llm = LlmTally(events)

    # ---- scheduling ------------------------------------------------------------------------

    async def run(self, plan: Plan, *, replan: int = 0) -> None:
        """Run every step of ``plan`` that has no output yet (a replanned plan keeps steps that
        failed or were skipped before: they run again); returns when each has completed, failed
        or been skipped."""
        steps = plan.steps
        level_of = dag.level_of_steps(steps)
        self.levels += dag.levels(steps)
        by_id = {s.id: s for s in steps}
        deps = dag.dependency_map(steps)
        finished: set[str] = {s.id for s in steps if s.id in self.outputs}
        started: set[str] = set(finished)
        running: dict[str, asyncio.Task[None]] = {}
        try:
            while True:
                ready = dag.ready_steps(steps, finished | set(self.outputs), started, deps)
                if self._scheduling == "levels" and ready:
                    current = min(level_of[s.id] for s in steps if s.id not in finished)
                    ready = [s for s in ready if level_of[s] == current]
                for step_id in ready:
                    started.add(step_id)
                    step = by_id[step_id]
                    self.events.emit(
                        EventKind.STEP_SCHEDULED,
                        step.description,
                        step_id=step_id,
                        tool=step.tool,
                        level=level_of[step_id],
                    )
                    running[step_id] = asyncio.create_task(
                        self._run_step(step, level_of[step_id], replan)
                    )
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
                    level_of[step_id],
                    replan,
                    StepStatus.CANCELLED,
                    error="cancelled",
                )
            raise

    # ---- one step --------------------------------------------------------------------------

    def _record(
        self,
        step: Step,
        level: int,
        replan: int,
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
    ) -> StepResult:
        result = StepResult(
            step_id=step.id,
            tool=tool or step.tool,
            status=status,
            level=level,
            attempts=attempts,
            duration_ms=duration_ms,
            confidence=confidence,
            fell_back_from=fell_back_from,
            error=error,
            error_type=error_type,
            replan=replan,
            iterations=iterations,
        )
        self.results[step.id] = result
        return result

    def _skip(self, step: Step, level: int, replan: int, why: str) -> None:
        self._record(step, level, replan, StepStatus.SKIPPED, error=why)
        self.events.emit(EventKind.STEP_SKIPPED, why, step_id=step.id, tool=step.tool)

    def _missing_dependencies(self, step: Step) -> tuple[list[str], bool]:
        """The step's inputs from steps that failed or were skipped, and whether that is all of
        them (a tool that accepts missing inputs still needs one)."""
        ran = [d for d in dag.dependencies(step) if d in self.results]
        missing = sorted(d for d in ran if self.results[d].status is not StepStatus.COMPLETED)
        return missing, len(missing) == len(ran)

    async def _run_step(self, step: Step, level: int, replan: int) -> None:
        missing, none_left = self._missing_dependencies(step)
        if missing and (none_left or not step.policy.accepts_missing_inputs):
            self._skip(step, level, replan, f"missing input from {', '.join(missing)}")
            return
        if step.condition is not None and not dag.evaluate(step.condition, self.outputs):
            c = step.condition
            self._skip(step, level, replan, f"condition false: {c.ref} {c.op.value} {c.value!r}")
            return
        started = workflow.now()
        try:
            if step.for_each is not None:
                output, tool, attempts, fell_back_from, iterations = await self._for_each(
                    step, bool(missing)
                )
            else:
                output, tool, attempts, fell_back_from, iterations = await self._repeat(
                    step, bool(missing)
                )
        except StepFailure as failure:
            ms = (workflow.now() - started).total_seconds() * 1000
            if not failure.retryable:
                self.not_retryable.add(step.id)
            self._record(
                step,
                level,
                replan,
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
                error_type=failure.error_type,
            )
            return
        ms = (workflow.now() - started).total_seconds() * 1000
        signal = output.get("confidence") if isinstance(output, dict) else None
        confidence = step_confidence(
            signal if isinstance(signal, int | float) else None,
            reliability_weight=step.policy.reliability_weight,
            attempts=attempts,
            fell_back=fell_back_from is not None,
            missing_inputs=bool(missing),
        )
        self.outputs[step.id] = output
        self._record(
            step,
            level,
            replan,
            StepStatus.COMPLETED,
            tool=tool,
            attempts=attempts,
            duration_ms=ms,
            confidence=confidence,
            fell_back_from=fell_back_from,
            iterations=iterations,
            error=f"ran without {', '.join(missing)}" if missing else None,
        )
        self.events.emit(
            EventKind.STEP_COMPLETED,
            step.description,
            step_id=step.id,
            tool=tool,
            confidence=confidence,
            attempts=attempts,
            duration_ms=round(ms, 1),
        )

    async def _repeat(
        self, step: Step, drop_missing: bool
    ) -> tuple[Any, str, int, str | None, int]:
        """The step once, or repeated until its predicate holds (``$iteration``, ``$self``).

        When a repetition fails for good after an earlier one succeeded, the step keeps the
        earlier output (its predicate did not hold, but it is still a result).
        """
        iterations = step.max_iterations if step.repeat_until is not None else 1
        output: Any = None
        most_attempts = 0
        tool = step.tool
        fell_back: str | None = None
        for iteration in range(iterations):
            scope = ChainMap({"iteration": iteration, "self": output}, self.outputs)
            params = self._params(step, scope, drop_missing)
            activity_id = step.id if iteration == 0 else f"{step.id}#{iteration + 1}"
            try:
                output, tool, attempts, fell_back = await self._call_with_fallbacks(
                    step, params, activity_id
                )
            except StepFailure:
                if iteration == 0:
                    raise
                return output, tool, most_attempts, fell_back, iteration
            most_attempts = max(most_attempts, attempts)
            if step.repeat_until is None or dag.evaluate(step.repeat_until, {"self": output}):
                return output, tool, most_attempts, fell_back, iteration + 1
        return output, tool, most_attempts, fell_back, iterations

    async def _for_each(
        self, step: Step, drop_missing: bool
    ) -> tuple[Any, str, int, str | None, int]:
        """The step once per item of a list output, bound to ``$item``; output {items, count}."""
        assert step.for_each is not None
        try:
            items = dag.lookup(step.for_each, self.outputs)
        except (dag.MissingInput, dag.BadReference) as error:
            raise StepFailure(
                f"for_each {step.for_each}: {error}", "MissingInput", retryable=False
            ) from None
        if not isinstance(items, list):
            raise StepFailure(
                f"for_each {step.for_each} is not a list", "InvalidPlan", retryable=False
            )
        items = items[: step.max_items]

        async def one(index: int, item: Any) -> tuple[Any, str, int, str | None]:
            params = self._params(step, ChainMap({"item": item}, self.outputs), drop_missing)
            return await self._call_with_fallbacks(step, params, f"{step.id}[{index}]")

        runs = [asyncio.create_task(one(i, item)) for i, item in enumerate(items)]
        outcomes = await asyncio.gather(*runs, return_exceptions=True)
        outputs = [o[0] for o in outcomes if not isinstance(o, BaseException)]
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        if errors and not outputs:
            raise errors[0]
        attempts = max((o[2] for o in outcomes if not isinstance(o, BaseException)), default=1)
        fell_back = next(
            (o[3] for o in outcomes if not isinstance(o, BaseException) and o[3]), None
        )
        confidences = [o.get("confidence") for o in outputs if isinstance(o, dict)]
        numeric = [c for c in confidences if isinstance(c, int | float)]
        signal = (sum(numeric) / len(numeric)) if numeric else 1.0
        signal *= len(outputs) / max(1, len(items))
        return (
            {"items": outputs, "count": len(outputs), "confidence": signal},
            step.tool,
            attempts,
            fell_back,
            len(items),
        )

    def _params(self, step: Step, scope: Mapping[str, Any], drop_missing: bool) -> dict[str, Any]:
        try:
            resolved: dict[str, Any] = dag.resolve(step.params, scope, drop_missing=drop_missing)
        except (dag.MissingInput, dag.BadReference) as error:
            raise StepFailure(str(error), "InvalidPlan", retryable=False) from None
        return {k: v for k, v in resolved.items() if v is not None or not drop_missing}

    async def _call_with_fallbacks(
        self, step: Step, params: dict[str, Any], activity_id: str
    ) -> tuple[Any, str, int, str | None]:
        """(output, tool that produced it, attempts over every tool tried, tool it fell back
        from). Raises the last StepFailure, with every attempt counted, when all failed."""
        try:
            output, attempts = await self._call(step, step.tool, params, activity_id)
            return output, step.tool, attempts, None
        except StepFailure as first:
            failure = first
        spent = failure.attempts
        failed_tool = step.tool
        for fallback in step.fallback:
            self.events.emit(
                EventKind.STEP_FELL_BACK,
                f"{failed_tool} failed ({failure}); trying {fallback}",
                step_id=step.id,
                tool=fallback,
                failed_tool=failed_tool,
            )
            try:
                output, attempts = await self._call(
                    step, fallback, params, f"{activity_id}~{fallback}"
                )
                return output, fallback, spent + attempts, step.tool
            except StepFailure as error:
                failure = error
                spent += error.attempts
                failed_tool = fallback
        failure.attempts = spent
        raise failure

    async def _call(
        self, step: Step, tool: str, params: dict[str, Any], activity_id: str
    ) -> tuple[Any, int]:
        policy = step.policy
        async with self._slots:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self.events.emit(EventKind.STEP_STARTED, activity_id, step_id=step.id, tool=tool)
            try:
                envelope = await workflow.execute_activity(
                    tool,
                    params,
                    activity_id=activity_id,
                    start_to_close_timeout=timedelta(seconds=policy.start_to_close_seconds),
                    heartbeat_timeout=(
                        timedelta(seconds=policy.heartbeat_seconds)
                        if policy.heartbeat_seconds
                        else None
                    ),
                    retry_policy=retry_policy(step),
                )
            except ActivityError as error:
                reraise_cancellation(error)
                raise _failure(error, policy.max_attempts) from None
            finally:
                self._in_flight -= 1
        self.llm.add(reported_usage(envelope["output"]), step_id=step.id)
        return envelope["output"], int(envelope.get("attempt", 1))

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


def failed_steps_the_answer_needs(plan: Plan, results: dict[str, StepResult]) -> list[Step]:
    """Failed, non-optional steps that the answer step depends on (or is)."""
    needed = dag.transitive_dependencies(plan.steps, plan.answer_step) | {plan.answer_step}
    return [
        s
        for s in plan.steps
        if s.id in needed
        and not s.optional
        and s.id in results
        and results[s.id].status is StepStatus.FAILED
    ]


def dependency_confidences(plan: Plan, results: dict[str, StepResult]) -> Sequence[float]:
    deps = dag.transitive_dependencies(plan.steps, plan.answer_step)
    return [
        results[d].confidence
        for d in deps
        if d in results and results[d].status is StepStatus.COMPLETED
    ]
