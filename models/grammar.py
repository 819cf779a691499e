"""The plan grammar: references, the dependencies they make, levels, cycles, and what a reference
means over step outputs. Pure (stdlib + the plan models): planning validates with it, the
workflow schedules and binds with it, and unit tests cover it without Temporal.

References are strings starting with ``$``:

- ``"$<step>"`` is a step's whole output, ``"$<step>.a.b"`` a field inside it, ``"$<step>.a.0"``
  an item of a list, and ``"$<step>.a.count"`` the length of a list;
- ``"$input.query"`` and ``"$input.documents"`` are the query's own input;
- ``"$item"`` (in a for_each step), ``"$iteration"`` and ``"$self"`` (in a repeat_until step)
  are bound by the loop, not by another step.

A list whose items are references that resolve to lists is concatenated: that is how fan-in is
written. A step depends on the steps its references name and on its ``depends_on``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from models.plan import Predicate, PredicateOp, Step
from models.tools import ForEachOutput

REFERENCE_PREFIX = "$"
INPUT_NAME = "input"
"""Pseudo-step whose output is the query's input: ``$input.documents``, ``$input.query``."""
INPUT_FIELDS = frozenset({"documents", "query"})
ITEM = "item"
ITERATION = "iteration"
SELF = "self"
LOCAL_NAMES = frozenset({ITEM, ITERATION, SELF})
"""Names bound by a step's own loop: never steps, never dependencies."""
FOR_EACH_FIELDS = frozenset(ForEachOutput.model_fields)
"""The fields of a for_each step's output."""


class MissingInput(Exception):
    """A reference points at a step that produced no output (failed or skipped)."""

    def __init__(self, step_id: str) -> None:
        super().__init__(f"missing input from step {step_id!r}")
        self.step_id = step_id


class BadReference(Exception):
    """A reference names a field its step's output does not have."""


# ---- syntax ---------------------------------------------------------------------------------


def is_reference(value: object) -> bool:
    """True for a string that refers to an output (``"$..."``)."""
    return isinstance(value, str) and value.startswith(REFERENCE_PREFIX)


def parse_reference(value: str) -> tuple[str, list[str]]:
    """``"$search_1.passages"`` -> ``("search_1", ["passages"])``."""
    head, *path = value[len(REFERENCE_PREFIX) :].split(".")
    return head, path


def reference_strings(value: object) -> Iterator[str]:
    """Every reference anywhere inside ``value`` (strings, mappings, lists, tuples), in order."""
    if is_reference(value):
        yield str(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from reference_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from reference_strings(item)


def contains_reference(value: object) -> bool:
    """True when ``value`` holds a reference anywhere inside it."""
    return next(reference_strings(value), None) is not None


def references_in(value: object) -> set[str]:
    """Names referenced anywhere inside ``value`` (step ids and local names)."""
    return {parse_reference(r)[0] for r in reference_strings(value)}


def step_references(step: Step) -> list[str]:
    """Every reference of a step: in its parameters, condition, loop predicate and for_each."""
    refs = list(reference_strings(step.params))
    if step.condition is not None:
        refs.append(step.condition.ref)
    if step.repeat_until is not None:
        refs.append(step.repeat_until.ref)
    if step.for_each is not None:
        refs.append(step.for_each)
    return refs


# ---- structure ------------------------------------------------------------------------------


def dependencies(step: Step) -> set[str]:
    """Every name ``step`` must wait for: its ``depends_on`` and what its parameters, condition
    and for_each refer to (loop names left out; ``input`` kept: it is there from the start)."""
    names = set(step.depends_on) | references_in(step.params)
    if step.condition is not None:
        names |= references_in(step.condition.ref)
    if step.for_each is not None:
        names |= references_in(step.for_each)
    return names - LOCAL_NAMES


def find_cycle(steps: Sequence[Step]) -> list[str] | None:
    """A dependency cycle as a list of step ids ending where it starts, or None."""
    graph = {s.id: sorted(dependencies(s)) for s in steps}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in graph[node]:
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for step_id in graph:
        if step_id not in state:
            cycle = visit(step_id)
            if cycle:
                return cycle
    return None


def levels(
    steps: Sequence[Step], needs: Mapping[str, Collection[str]] | None = None
) -> list[list[str]]:
    """Steps grouped by depth, in plan order: level 1 (index 0) has no inputs from other steps;
    each later level depends only on earlier ones. Assumes no cycle. ``needs`` (step id ->
    ``dependencies`` of the step, computed already) saves walking the references again."""
    depth: dict[str, int] = {}
    by_id = {s.id: s for s in steps}

    def level_of(step_id: str) -> int:
        if step_id not in depth:
            named = needs[step_id] if needs is not None else dependencies(by_id[step_id])
            deps = [d for d in named if d in by_id]
            depth[step_id] = 1 + max((level_of(d) for d in deps), default=0)
        return depth[step_id]

    for step in steps:
        level_of(step.id)
    grouped: list[list[str]] = [[] for _ in range(max(depth.values(), default=0))]
    for step in steps:
        grouped[depth[step.id] - 1].append(step.id)
    return grouped


def level_of_steps(
    steps: Sequence[Step], grouped: Sequence[Sequence[str]] | None = None
) -> dict[str, int]:
    """Step id -> its level (1-based); ``grouped``: ``levels(steps)``, computed already."""
    grouped = levels(steps) if grouped is None else grouped
    return {step_id: index + 1 for index, group in enumerate(grouped) for step_id in group}


def transitive_dependencies(steps: Sequence[Step], step_id: str) -> set[str]:
    """The steps of ``steps`` that ``step_id`` needs, directly or through others."""
    by_id = {s.id: s for s in steps}
    found: set[str] = set()
    todo = [step_id]
    while todo:
        current = todo.pop()
        for dep in dependencies(by_id[current]) if current in by_id else ():
            if dep in by_id and dep not in found:
                found.add(dep)
                todo.append(dep)
    return found


def dependents(steps: Sequence[Step], step_id: str) -> set[str]:
    """Steps that (transitively) depend on ``step_id``."""
    return {s.id for s in steps if step_id in transitive_dependencies(steps, s.id)}


# ---- meaning over outputs -------------------------------------------------------------------


def _walk(value: Any, path: Sequence[str], reference: str) -> Any:
    for key in path:
        if isinstance(value, Mapping) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        elif isinstance(value, list) and key == "count":
            value = len(value)
        else:
            raise BadReference(f"{reference}: no field {key!r}")
    return value


def lookup(reference: str, outputs: Mapping[str, Any]) -> Any:
    """The value ``reference`` names. Raises MissingInput when its step has no output and
    BadReference when the output has no such field."""
    head, path = parse_reference(reference)
    if head not in outputs:
        raise MissingInput(head)
    return _walk(outputs[head], path, reference)


def resolve(value: Any, outputs: Mapping[str, Any], *, drop_missing: bool = False) -> Any:
    """``value`` with every reference replaced by what it names.

    With ``drop_missing``, references to missing outputs inside lists are left out and a
    top-level missing reference becomes None (for tools that accept missing inputs).
    """
    if is_reference(value):
        try:
            return lookup(value, outputs)
        except MissingInput:
            if drop_missing:
                return None
            raise
    if isinstance(value, Mapping):
        return {k: resolve(v, outputs, drop_missing=drop_missing) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items: list[Any] = []
        for item in value:
            try:
                resolved = resolve(item, outputs)
            except MissingInput:
                if drop_missing:
                    continue
                raise
            if is_reference(item) and isinstance(resolved, list):
                items.extend(resolved)
            else:
                items.append(resolved)
        return items
    return value


def _compare(op: PredicateOp, left: Any, right: Any) -> bool:
    if op is PredicateOp.EMPTY:
        return not left
    if op is PredicateOp.NOT_EMPTY:
        return bool(left)
    if op is PredicateOp.EQ:
        return bool(left == right)
    if op is PredicateOp.NE:
        return bool(left != right)
    if isinstance(left, list):
        left = len(left)
    try:
        if op is PredicateOp.LT:
            return bool(left < right)
        if op is PredicateOp.LE:
            return bool(left <= right)
        if op is PredicateOp.GT:
            return bool(left > right)
        return bool(left >= right)
    except TypeError:
        return False


def evaluate(predicate: Predicate, outputs: Mapping[str, Any]) -> bool:
    """Whether ``predicate`` holds over ``outputs``. A reference to a missing output is False for
    comparisons and True for ``empty``."""
    try:
        value = lookup(predicate.ref, outputs)
    except (MissingInput, BadReference):
        return predicate.op is PredicateOp.EMPTY
    return _compare(predicate.op, value, predicate.value)
