"""Plan validation before anything runs, and the optimisation that drops dead steps.

Every problem is reported (not just the first), each naming the step and what to fix:
duplicate ids, unknown tools (with the closest names), parameters that do not match the tool's
schema, references that do not resolve (unknown step, unknown field), bad loop/condition
bindings, and cycles (named).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from activities.registry import ToolRegistry
from models.grammar import (
    FOR_EACH_FIELDS,
    INPUT_FIELDS,
    INPUT_NAME,
    ITEM,
    LOCAL_NAMES,
    find_cycle,
    parse_reference,
    step_references,
    transitive_dependencies,
)
from models.names import STEP_ID
from models.plan import Plan, Step
from models.state import ToolStats


def _check_reference(
    step: Step, reference: str, by_id: dict[str, Step], registry: ToolRegistry, external: set[str]
) -> str | None:
    head, path = parse_reference(reference)
    where = f"step {step.id!r}: reference {reference!r}"
    if head == ITEM:
        return None if step.for_each else f"{where}: $item is only bound in a for_each step"
    if head in ("iteration", "self"):
        return (
            None if step.repeat_until else f"{where}: ${head} is only bound in a repeat_until step"
        )
    if head == INPUT_NAME:
        if path and path[0] not in INPUT_FIELDS:
            return f"{where}: the input has no field {path[0]!r} (fields: {sorted(INPUT_FIELDS)})"
        return None
    if head in external:
        return None
    if head not in by_id:
        return f"{where}: no step {head!r} in the plan"
    if head == step.id:
        return f"{where}: a step cannot use its own output"
    if not path:
        return None
    target = by_id[head]
    if target.for_each:
        fields = FOR_EACH_FIELDS
    elif target.tool in registry:
        fields = frozenset(registry.get(target.tool).spec.result.get("properties", {}))
    else:
        return None  # the unknown tool is reported on its own
    if fields and path[0] not in fields:
        return f"{where}: {target.tool} returns no field {path[0]!r} (fields: {sorted(fields)})"
    return None


def validate_plan(plan: Plan, registry: ToolRegistry, *, external: Iterable[str] = ()) -> list[str]:
    """Every problem with ``plan``; empty when it may run. ``external`` names outputs that
    exist outside the plan (the completed steps a replan builds on)."""
    problems: list[str] = []
    outside = set(external)
    by_id: dict[str, Step] = {}
    for step in plan.steps:
        if step.id in by_id or step.id in outside:
            problems.append(f"duplicate step id {step.id!r}")
        if step.id == INPUT_NAME or step.id in LOCAL_NAMES:
            problems.append(f"step id {step.id!r} is reserved")
        elif not STEP_ID.fullmatch(step.id):
            problems.append(
                f"step id {step.id!r}: use letters, digits, '_' and '-' only (it is the "
                "activity id, and references name it before a '.')"
            )
        by_id[step.id] = step
    if not plan.steps:
        problems.append("the plan has no steps")
    for step in plan.steps:
        if step.tool not in registry:
            problems.append(f"step {step.id!r}: {registry.unknown_tool_message(step.tool)}")
            continue
        problems += [
            f"step {step.id!r}: {p}" for p in registry.validate_params(step.tool, dict(step.params))
        ]
        for fallback in step.fallback:
            if fallback not in registry:
                problems.append(
                    f"step {step.id!r}: fallback {registry.unknown_tool_message(fallback)}"
                )
        for reference in step_references(step):
            problem = _check_reference(step, reference, by_id, registry, outside)
            if problem:
                problems.append(problem)
        for dep in step.depends_on:
            if dep not in by_id and dep not in outside:
                problems.append(f"step {step.id!r}: depends on unknown step {dep!r}")
    cycle = find_cycle(plan.steps)
    if cycle:
        problems.append(f"cycle: {' -> '.join(cycle)}")
    if plan.answer_step in by_id:
        answer_tool = by_id[plan.answer_step].tool
        if answer_tool in registry:
            fields = registry.get(answer_tool).spec.result.get("properties", {})
            if "answer" not in fields:
                problems.append(
                    f"answer step {plan.answer_step!r}: {answer_tool} does not produce an answer"
                )
    return problems


def drop_dead_steps(plan: Plan) -> tuple[Plan, tuple[str, ...]]:
    """The plan without steps the answer does not (transitively) depend on."""
    needed = transitive_dependencies(plan.steps, plan.answer_step) | {plan.answer_step}
    dropped = tuple(s.id for s in plan.steps if s.id not in needed)
    if not dropped:
        return plan, ()
    kept = tuple(s for s in plan.steps if s.id in needed)
    return plan.model_copy(update={"steps": kept}), dropped


GIVE_UP_ODDS = 0.001
"""Observed failure rates set attempts so that all of them fail at most this often."""
MAX_OBSERVED_ATTEMPTS = 6
LOOKS_DOWN_BELOW = 0.2
"""A tool succeeding less often than this looks down: more attempts would only add delay
before its alternatives, a replan or the direct path take over."""


def observed_attempts(success_rate: float, registered: int) -> int:
    """Attempts for a tool that succeeded ``success_rate`` of its recent calls: enough that
    every one failing is rarer than GIVE_UP_ODDS (at most MAX_OBSERVED_ATTEMPTS), never fewer
    than registered; the registered count for a tool that looks down or never failed."""
    if success_rate >= 1.0 or success_rate < LOOKS_DOWN_BELOW:
        return registered
    needed = math.ceil(math.log(GIVE_UP_ODDS) / math.log(1.0 - success_rate))
    return max(registered, min(MAX_OBSERVED_ATTEMPTS, needed))


def attach_policies(
    plan: Plan, registry: ToolRegistry, observed: Mapping[str, ToolStats] | None = None
) -> Plan:
    """Copy each tool's retry/timeout policy and alternatives onto its steps.

    Where completed steps showed a tool is slower than registered (``observed``, the global
    per-tool figures), the start-to-close timeout grows to four times its observed p95; where
    they showed it fails more often than its registered reliability allows for, it gets more
    attempts (see ``observed_attempts``).
    """
    observed = observed or {}
    steps = []
    for step in plan.steps:
        spec = registry.get(step.tool).spec
        fallback = [
            t for t in (*step.fallback, *spec.alternatives) if t != step.tool and t in registry
        ]
        policy = registry.policy(step.tool)
        stats = observed.get(step.tool)
        timeout = policy.start_to_close_seconds
        attempts = policy.max_attempts
        if stats is not None and stats.calls >= 10:
            timeout = max(timeout, 4 * stats.p95_ms / 1000)
            if spec.idempotent:
                attempts = observed_attempts(stats.success_rate, attempts)
        steps.append(
            step.model_copy(
                update={
                    "policy": policy.model_copy(
                        update={
                            "accepts_missing_inputs": spec.accepts_missing_inputs,
                            "start_to_close_seconds": timeout,
                            "max_attempts": attempts,
                        }
                    ),
                    "fallback": tuple(dict.fromkeys(fallback)),
                }
            )
        )
    return plan.model_copy(update={"steps": tuple(steps)})


__all__ = ["attach_policies", "drop_dead_steps", "observed_attempts", "validate_plan"]
