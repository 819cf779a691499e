"""The calls of one step: its loop (for_each over a list, or repeat_until a predicate holds),
each call an activity named after its tool with the step's policy, then its fallbacks in order.

Activity ids come from ``models.names``: the step id, ``step#n`` for the n-th repetition,
``step[i]`` for a for_each item and ``...~tool`` for a fallback.

The outcomes are plain classes with ``__slots__``: the sandbox imports this module afresh for
every workflow run, and a dataclass or a NamedTuple costs ten times as much to define (a
NamedTuple compiles each field's annotation and its ``__new__``; see BENCHMARKS.md,
"Throughput").
"""

from __future__ import annotations

import asyncio
from collections import ChainMap
from collections.abc import Mapping
from datetime import timedelta

from pydantic import JsonValue
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from models.events import EventData, EventKind
from models.grammar import ITEM, ITERATION, SELF, BadReference, MissingInput, evaluate, lookup
from models.grammar import resolve as resolve_references
from models.names import ActivityId, repetition_id
from models.plan import Step
from models.summaries import activity_summary
from models.tools import ForEachOutput, ToolCallResult
from workflows.failures import StepFailure, reraise_cancellation, step_failure
from workflows.progress import EventLog
from workflows.usage import LlmTally


class CallOutcome:
    """A call of a step that succeeded, possibly through a fallback."""

    __slots__ = ("attempts", "fell_back_from", "result", "tool")

    def __init__(
        self, result: ToolCallResult, tool: str, attempts: int, fell_back_from: str | None
    ) -> None:
        self.result = result
        self.tool = tool
        """The tool that produced the result."""
        self.attempts = attempts
        """Attempts over every tool tried for this call."""
        self.fell_back_from = fell_back_from


class StepOutcome:
    """A step that produced an output: what later steps refer to, and how it came about."""

    __slots__ = ("attempts", "fell_back_from", "iterations", "output", "signal", "tool")

    def __init__(
        self,
        *,
        output: JsonValue,
        signal: float | None,
        tool: str,
        attempts: int,
        fell_back_from: str | None,
        iterations: int,
    ) -> None:
        self.output = output
        self.signal = signal
        """The output's own confidence signal (None: the tool reports none)."""
        self.tool = tool
        self.attempts = attempts
        self.fell_back_from = fell_back_from
        self.iterations = iterations


def retry_policy(step: Step) -> RetryPolicy:
    """The step's registry policy as Temporal's retry policy."""
    p = step.policy
    return RetryPolicy(
        initial_interval=timedelta(seconds=p.initial_interval_seconds),
        backoff_coefficient=p.backoff_coefficient,
        maximum_interval=timedelta(seconds=p.maximum_interval_seconds),
        maximum_attempts=p.max_attempts,
        non_retryable_error_types=list(p.non_retryable_error_types),
    )


def _outcome(call: CallOutcome, attempts: int, iterations: int) -> StepOutcome:
    return StepOutcome(
        output=call.result.output,
        signal=call.result.confidence,
        tool=call.tool,
        attempts=attempts,
        fell_back_from=call.fell_back_from,
        iterations=iterations,
    )


class StepCalls:
    """Makes the activity calls of steps against the query's outputs, at most ``max_parallel``
    at once over the whole query."""

    def __init__(
        self,
        *,
        outputs: dict[str, JsonValue],
        events: EventLog,
        llm: LlmTally,
        max_parallel: int,
    ) -> None:
        self.outputs = outputs
        self.events = events
        self.llm = llm
        self._slots = asyncio.Semaphore(max_parallel)
        self._in_flight = 0
        self.max_in_flight = 0

    async def run(self, step: Step, *, drop_missing: bool) -> StepOutcome:
        """The step's output; raises StepFailure when it failed for good. ``drop_missing``
        leaves inputs of failed steps out (a tool that accepts missing inputs)."""
        if step.for_each is not None:
            return await self._for_each(step, step.for_each, drop_missing)
        return await self._repeat(step, drop_missing)

    async def _repeat(self, step: Step, drop_missing: bool) -> StepOutcome:
        """The step once, or repeated until its predicate holds (``$iteration``, ``$self``).

        When a repetition fails for good after an earlier one succeeded, the step keeps the
        earlier output (its predicate did not hold, but it is still a result).
        """
        last: CallOutcome | None = None
        most_attempts = 0
        iteration = 0
        while True:
            bound = {ITERATION: iteration, SELF: last.result.output if last else None}
            params = self._params(step, ChainMap(bound, self.outputs), drop_missing)
            try:
                call = await self._with_fallbacks(step, params, repetition_id(step.id, iteration))
            except StepFailure:
                if last is None:
                    raise
                return _outcome(last, most_attempts, iteration)
            last = call
            most_attempts = max(most_attempts, call.attempts)
            iteration += 1
            until = step.repeat_until
            if until is None or iteration >= step.max_iterations:
                return _outcome(call, most_attempts, iteration)
            if evaluate(until, {SELF: call.result.output}):
                return _outcome(call, most_attempts, iteration)

    async def _for_each(self, step: Step, source: str, drop_missing: bool) -> StepOutcome:
        """The step once per item of a list output, bound to ``$item``; its output is a
        ForEachOutput over the items that succeeded."""
        try:
            items = lookup(source, self.outputs)
        except (MissingInput, BadReference) as error:
            raise StepFailure(
                f"for_each {source}: {error}", "MissingInput", retryable=False
            ) from None
        if not isinstance(items, list):
            raise StepFailure(f"for_each {source} is not a list", "InvalidPlan", retryable=False)
        items = items[: step.max_items]

        async def one(index: int, item: JsonValue) -> CallOutcome:
            params = self._params(step, ChainMap({ITEM: item}, self.outputs), drop_missing)
            return await self._with_fallbacks(step, params, ActivityId(step.id, item=index))

        runs = [asyncio.create_task(one(i, item)) for i, item in enumerate(items)]
        outcomes = await asyncio.gather(*runs, return_exceptions=True)
        calls = [o for o in outcomes if isinstance(o, CallOutcome)]
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        if errors and not calls:
            raise errors[0]
        signals = [c.result.confidence for c in calls if c.result.confidence is not None]
        signal = (sum(signals) / len(signals)) if signals else 1.0
        signal *= len(calls) / max(1, len(items))
        output = ForEachOutput(
            items=[c.result.output for c in calls], count=len(calls), confidence=signal
        )
        return StepOutcome(
            output=output.model_dump(mode="json"),
            signal=signal,
            tool=step.tool,
            attempts=max((c.attempts for c in calls), default=1),
            fell_back_from=next((c.fell_back_from for c in calls if c.fell_back_from), None),
            iterations=len(items),
        )

    def _params(
        self, step: Step, scope: Mapping[str, JsonValue], drop_missing: bool
    ) -> dict[str, JsonValue]:
        try:
            resolved: dict[str, JsonValue] = resolve_references(
                step.params, scope, drop_missing=drop_missing
            )
        except (MissingInput, BadReference) as error:
            raise StepFailure(str(error), "InvalidPlan", retryable=False) from None
        return {k: v for k, v in resolved.items() if v is not None or not drop_missing}

    async def _with_fallbacks(
        self, step: Step, params: dict[str, JsonValue], call_id: ActivityId
    ) -> CallOutcome:
        """The call with the step's tool, then each fallback in order. Raises the last
        StepFailure, with every attempt counted, when all failed."""
        try:
            result = await self._call(step, step.tool, params, call_id)
            return CallOutcome(result, step.tool, result.attempt, None)
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
                data=EventData(failed_tool=failed_tool),
            )
            try:
                result = await self._call(step, fallback, params, call_id.falling_back_to(fallback))
                return CallOutcome(result, fallback, spent + result.attempt, step.tool)
            except StepFailure as error:
                failure = error
                spent += error.attempts
                failed_tool = fallback
        failure.attempts = spent
        raise failure

    async def _call(
        self, step: Step, tool: str, params: dict[str, JsonValue], call_id: ActivityId
    ) -> ToolCallResult:
        policy = step.policy
        activity_id = str(call_id)
        async with self._slots:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self.events.emit(EventKind.STEP_STARTED, activity_id, step_id=step.id, tool=tool)
            try:
                result: ToolCallResult = await workflow.execute_activity(
                    tool,
                    params,
                    result_type=ToolCallResult,
                    activity_id=activity_id,
                    summary=activity_summary(step, tool, params, call_id),
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
                raise step_failure(error, policy.max_attempts) from None
            finally:
                self._in_flight -= 1
        self.llm.add(result.usage, step_id=step.id)
        return result
