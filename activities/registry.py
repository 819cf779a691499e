"""The tool registry: a plain typed function becomes a described, validated Temporal activity.

``register_function`` reads the function's signature and docstring and builds the tool's
parameter and result JSON schemas, its retry/timeout policy (from reliability and estimated
duration) and an activity named after the tool. Planners read ``catalog()``, the worker
registers ``activities()``, and plan validation calls ``validate_params``.
"""

from __future__ import annotations

import asyncio
import difflib
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import structlog
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import context as tool_context
from activities.errors import (
    BAD_INPUT_ERROR_TYPES,
    BadInput,
    InvalidParameters,
    RateLimited,
    UnknownTool,
)
from activities.heartbeat import HEARTBEAT_AFTER_SECONDS, heartbeat_while
from activities.llm.scope import call_scope, scope_of_current_activity
from activities.signature import describe_function, return_type_name
from activities.tool_call import call_tool
from models.grammar import contains_reference
from models.names import WORKER_ACTIVITIES
from models.plan import StepPolicy
from models.tools import Reliability, ToolCallResult, ToolFailureDetails, ToolSpec, signals_of

log = structlog.get_logger(__name__)

ToolFunction = Callable[..., Any]

# reliability -> (maximum attempts, initial retry interval in seconds)
_RETRIES: dict[Reliability, tuple[int, float]] = {
    Reliability.HIGH: (3, 0.2),
    Reliability.MEDIUM: (4, 0.3),
    Reliability.LOW: (5, 0.5),
    Reliability.EXPERIMENTAL: (2, 0.5),
}


@dataclass(frozen=True)
class RegisteredTool:
    spec: ToolSpec
    function: ToolFunction
    params_model: type[BaseModel]
    result_adapter: TypeAdapter[Any]
    policy: StepPolicy
    activity: Callable[[dict[str, Any]], Awaitable[ToolCallResult]]


def default_policy(
    reliability: Reliability,
    estimated_duration: float,
    timeout: float | None,
    *,
    heartbeat: float | None = None,
    idempotent: bool = True,
) -> StepPolicy:
    """Retry and timeout policy for a tool: attempts from reliability (one attempt when the
    tool is not idempotent: a retry could repeat its effect), timeout from duration, and a
    heartbeat timeout for every tool that may run longer than HEARTBEAT_AFTER_SECONDS (or
    ``heartbeat`` when given) so that a call on a worker that died is retried after the
    heartbeat timeout instead of the whole start-to-close (10 s even for a search: the chaos
    soak, bench/chaos.py, measured it)."""
    attempts, initial = _RETRIES[reliability]
    if not idempotent:
        attempts = 1
    start_to_close = timeout if timeout is not None else max(10.0, estimated_duration * 10)
    if heartbeat is None and start_to_close > HEARTBEAT_AFTER_SECONDS:
        heartbeat = max(HEARTBEAT_AFTER_SECONDS, min(30.0, start_to_close / 4))
    return StepPolicy(
        start_to_close_seconds=start_to_close,
        heartbeat_seconds=heartbeat,
        max_attempts=attempts,
        initial_interval_seconds=initial,
        maximum_interval_seconds=max(2.0, initial * 8),
        non_retryable_error_types=BAD_INPUT_ERROR_TYPES,
        reliability_weight=reliability.weight,
    )


def _expected_type(schema: dict[str, Any], field: str) -> str:
    prop = schema.get("properties", {}).get(field, {})
    if "type" in prop:
        return str(prop["type"])
    if "anyOf" in prop:
        return " | ".join(
            str(p.get("type", p.get("$ref", "?")).split("/")[-1]) for p in prop["anyOf"]
        )
    if "$ref" in prop:
        return str(prop["$ref"]).split("/")[-1]
    if "items" in prop:
        return "array"
    return "any"


def figure_key(info: activity.Info, *, ok: bool) -> str:
    """The idempotency key of a tool call's figure: the workflow run and step for a success (a
    step succeeds once, however often a completion lost to a killed worker or an unreachable
    server makes Temporal run it again), and the attempt too for a failure (each failed
    attempt was a call of its own)."""
    step = f"{info.workflow_id}/{info.workflow_run_id}/{info.activity_id}"
    return step if ok else f"{step}#{info.attempt}"


def _observe(tool: str, *, ok: bool, ms: float) -> None:
    """Feed the global per-tool figures, once per call (``figure_key``); never fails the
    call."""
    context = tool_context.installed()
    if context is None:
        return
    try:
        key = figure_key(activity.info(), ok=ok)
        context.figures.record_call(tool, ok=ok, ms=ms, key=key)
    except Exception:
        log.warning("tool_stats_not_recorded", tool=tool, exc_info=True)


def _invalid_output(message: str, attempt: int) -> ApplicationError:
    """A tool's output that a retry will not make valid: InvalidToolOutput, not retried."""
    return ApplicationError(
        message,
        ToolFailureDetails(attempt=attempt),
        type="InvalidToolOutput",
        non_retryable=True,
    )


def _to_application_error(tool: str, error: Exception, attempt: int) -> ApplicationError:
    """The tool's error as Temporal sees it: bad input is non-retryable, a rate limit sets the
    next retry's delay, anything else is retried. The details carry the attempt number, so the
    workflow can count the attempts a step spent."""
    details = ToolFailureDetails(attempt=attempt)
    if isinstance(error, BadInput):
        return ApplicationError(str(error), details, type=error.error_type, non_retryable=True)
    if isinstance(error, RateLimited):
        delay = timedelta(seconds=error.retry_after) if error.retry_after else None
        return ApplicationError(str(error), details, type="RateLimited", next_retry_delay=delay)
    return ApplicationError(
        f"{tool}: {type(error).__name__}: {error}", details, type=type(error).__name__
    )


class ToolRegistry:
    """Registered tools by name. One registry per worker; tests build their own."""

    def __init__(self) -> None:
        self._tools: dict[str, RegisteredTool] = {}
        # (tool, parameter) -> its validator, built on first use: building one costs more than
        # the validation, and every plan validates every step's parameters
        self._field_adapters: dict[tuple[str, str], TypeAdapter[Any]] = {}

    def register_function(
        self,
        func: ToolFunction,
        *,
        name: str | None = None,
        reliability: Reliability = Reliability.HIGH,
        estimated_duration: float = 1.0,
        alternatives: Iterable[str] = (),
        idempotent: bool = True,
        accepts_missing_inputs: bool = False,
        timeout: float | None = None,
        heartbeat: float | None = None,
    ) -> ToolSpec:
        """Register ``func`` as a tool; returns its spec. Raises ValueError for an undescribable
        function (no docstring, untyped parameters) and for a name taken (by another tool, or
        by one of the worker's own activities).

        ``timeout`` is the start-to-close timeout of one call (default: 10 × the estimated
        duration, at least 10 s); ``heartbeat`` the heartbeat timeout (default: set for calls
        that may take over HEARTBEAT_AFTER_SECONDS). The activity heartbeats for the tool every
        half of it.
        """
        tool_name = name or func.__name__
        if tool_name in self._tools:
            raise ValueError(
                f"tool {tool_name!r} is already registered; register yours under another name "
                "(register_function(..., name=...))"
            )
        if tool_name in WORKER_ACTIVITIES:
            raise ValueError(
                f"tool {tool_name!r}: the name of one of docorch's own activities "
                f"({', '.join(sorted(WORKER_ACTIVITIES))}); register it under another name "
                "(register_function(..., name=...))"
            )
        described = describe_function(tool_name, func)
        params_model, result_adapter = described.params_model, described.result_adapter
        spec = ToolSpec(
            name=tool_name,
            description=described.description,
            parameters=described.parameters,
            result=described.result,
            reliability=reliability,
            estimated_duration=estimated_duration,
            alternatives=tuple(alternatives),
            idempotent=idempotent,
            accepts_missing_inputs=accepts_missing_inputs,
        )
        policy = default_policy(
            reliability, estimated_duration, timeout, heartbeat=heartbeat, idempotent=idempotent
        )
        self._tools[tool_name] = RegisteredTool(
            spec=spec,
            function=func,
            params_model=params_model,
            result_adapter=result_adapter,
            policy=policy,
            activity=self._make_activity(tool_name, func, params_model, result_adapter, policy),
        )
        return spec

    @staticmethod
    def _make_activity(
        tool_name: str,
        func: ToolFunction,
        params_model: type[BaseModel],
        result_adapter: TypeAdapter[Any],
        policy: StepPolicy,
    ) -> Callable[[dict[str, Any]], Awaitable[ToolCallResult]]:
        interval = (policy.heartbeat_seconds or HEARTBEAT_AFTER_SECONDS * 2) / 2

        # The input is the tool's parameters as a JSON object, validated here by the tool's own
        # model (built from its signature when it was registered): the workflow, which has no
        # registry, cannot name that model, and a bad parameter must become a non-retryable
        # InvalidParameters error with the field's name rather than a conversion failure.
        async def run_tool(params: dict[str, Any]) -> ToolCallResult:
            info = activity.info()
            bound = log.bind(workflow_id=info.workflow_id, step_id=info.activity_id, tool=tool_name)
            started = time.perf_counter()
            try:
                args = params_model.model_validate(params)
            except ValidationError as error:
                raise ApplicationError(
                    f"{tool_name}: {_validation_messages(error)}",
                    ToolFailureDetails(attempt=info.attempt),
                    type=InvalidParameters.error_type,
                    non_retryable=True,
                ) from None
            kwargs = {field: getattr(args, field) for field in type(args).model_fields}
            # the task (and its thread) inherit the scope: LLM calls in the tool are attributed
            # to this query and attempt, and bounded by it
            with call_scope(scope_of_current_activity()):
                task = call_tool(func, kwargs)
            try:
                await heartbeat_while(task, interval)
                output = task.result()
            except asyncio.CancelledError:
                task.cancel()
                raise
            except Exception as error:
                bound.warning("tool_failed", attempt=info.attempt, error=str(error))
                _observe(tool_name, ok=False, ms=(time.perf_counter() - started) * 1000)
                raise _to_application_error(tool_name, error, info.attempt) from error
            elapsed = (time.perf_counter() - started) * 1000
            bound.debug("tool_completed", attempt=info.attempt, ms=round(elapsed, 1))
            try:
                # warnings as errors: a result unlike the signature's return type is refused
                dumped = result_adapter.dump_python(output, mode="json", warnings="error")
            except PydanticSerializationError as error:
                raise _invalid_output(
                    f"{tool_name}: its result {_short(output)} is not a JSON value of its "
                    f"return type {return_type_name(func)}: {' '.join(str(error).split())}",
                    info.attempt,
                ) from None
            try:
                signals = signals_of(dumped)
            except ValidationError as error:
                raise _invalid_output(
                    f"{tool_name}: its output's confidence or usage is malformed: "
                    f"{_validation_messages(error)}",
                    info.attempt,
                ) from None
            _observe(tool_name, ok=True, ms=elapsed)
            return ToolCallResult(
                output=dumped,
                confidence=signals.confidence,
                usage=signals.usage,
                attempt=info.attempt,
                duration_ms=elapsed,
            )

        run_tool.__name__ = f"tool_{tool_name}"
        return activity.defn(name=tool_name)(run_tool)

    def names(self) -> list[str]:
        return sorted(self._tools)

    def get(self, name: str) -> RegisteredTool:
        """The registered tool; UnknownTool (naming the closest tools) when there is none."""
        try:
            return self._tools[name]
        except KeyError:
            raise UnknownTool(self.unknown_tool_message(name)) from None

    def unknown_tool_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, self._tools, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"unknown tool {name!r}{hint} (registered: {', '.join(self.names())})"

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def catalog(self) -> list[ToolSpec]:
        """Every tool's spec, sorted by name: for planners and the API."""
        return [self._tools[n].spec for n in self.names()]

    def activities(self) -> list[Callable[..., Any]]:
        """One activity per tool, each named after its tool: for the worker."""
        return [self._tools[n].activity for n in self.names()]

    def policy(self, name: str) -> StepPolicy:
        return self.get(name).policy

    def validate_params(self, tool: str, params: dict[str, Any]) -> list[str]:
        """Problems with ``params`` for ``tool``, each naming the field and the expected type.

        Values that are references to earlier outputs are checked when the step runs, since
        their value is not known yet; here they only count as present.
        """
        if tool not in self._tools:
            return [self.unknown_tool_message(tool)]
        registered = self._tools[tool]
        schema = registered.spec.parameters
        problems: list[str] = []
        known = set(registered.params_model.model_fields)
        for name in params:
            if name not in known:
                problems.append(
                    f"{tool}: unknown parameter {name!r}; expected one of {sorted(known)}"
                )
        concrete = {k: v for k, v in params.items() if k in known and not contains_reference(v)}
        for field_name, field in registered.params_model.model_fields.items():
            if field_name not in params and field.is_required():
                problems.append(
                    f"{tool}: missing required parameter {field_name!r} "
                    f"(expected {_expected_type(schema, field_name)})"
                )
        for field_name, value in concrete.items():
            try:
                self._field_adapter(tool, field_name).validate_python(value)
            except ValidationError as error:
                problems.append(
                    f"{tool}: parameter {field_name!r} expected "
                    f"{_expected_type(schema, field_name)}, got {type(value).__name__} "
                    f"{_short(value)} ({error.errors()[0]['msg']})"
                )
        return problems

    def _field_adapter(self, tool: str, field_name: str) -> TypeAdapter[Any]:
        adapter = self._field_adapters.get((tool, field_name))
        if adapter is None:
            field = self._tools[tool].params_model.model_fields[field_name]
            # with the field's constraints (an Annotated bound in the tool's signature)
            constrained: Any = Annotated[field.annotation or Any, field]
            adapter = self._field_adapters[(tool, field_name)] = TypeAdapter(constrained)
        return adapter


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _validation_messages(error: ValidationError) -> str:
    return "; ".join(
        f"parameter {'.'.join(str(p) for p in e['loc'])!r}: {e['msg']}" for e in error.errors()
    )
