"""Pure DAG logic over a plan's steps: dependencies, cycles, levels, the ready set, references
and predicates. No Temporal, no I/O: unit-tested on its own and used by the workflow and by
plan validation alike.

References: ``"$<step>"`` is a step's whole output, ``"$<step>.a.b"`` a field inside it, and
``"$item"`` / ``"$iteration"`` / ``"$self"`` are bound by for_each and repeat_until.
A list whose items are references that resolve to lists is concatenated (fan-in).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from models.plan import REFERENCE_PREFIX, Predicate, PredicateOp, Step

LOCAL_NAMES = frozenset({"item", "iteration", "self"})


class MissingInput(Exception):
    """A reference points at a step that produced no output (failed or skipped)."""

    def __init__(self, step_id: str) -> None:
        super().__init__(f"missing input from step {step_id!r}")
        self.step_id = step_id


class BadReference(Exception):
    """A reference names a field its step's output does not have."""


def parse_reference(value: str) -> tuple[str, list[str]]:
    """``"$search_1.passages"`` -> ``("search_1", ["passages"])``."""
    body = value[len(REFERENCE_PREFIX) :]
    head, *path = body.split(".")
    return head, path


def references_in(value: Any) -> set[str]:
    """Names referenced anywhere inside ``value`` (step ids and local names)."""
    if isinstance(value, str):
        return {parse_reference(value)[0]} if value.startswith(REFERENCE_PREFIX) else set()
    if isinstance(value, Mapping):
        return set().union(*(references_in(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(references_in(v) for v in value)) if value else set()
    return set()


def dependencies(step: Step) -> set[str]:
    """Every step ``step`` must wait for: explicit ones and those its references name."""
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
        for dep in graph.get(node, []):
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


def levels(steps: Sequence[Step]) -> list[list[str]]:
    """Steps grouped by depth: level 1 (index 0) has no inputs; each later level depends only on
    earlier ones. Assumes no cycle."""
    depth: dict[str, int] = {}
    by_id = {s.id: s for s in steps}

    def level_of(step_id: str) -> int:
        if step_id not in depth:
            deps = [d for d in dependencies(by_id[step_id]) if d in by_id]
            depth[step_id] = 1 + max((level_of(d) for d in deps), default=0)
        return depth[step_id]

    for step in steps:
        level_of(step.id)
    grouped: list[list[str]] = [[] for _ in range(max(depth.values(), default=0))]
    for step in steps:
        grouped[depth[step.id] - 1].append(step.id)
    return grouped


def level_of_steps(steps: Sequence[Step]) -> dict[str, int]:
    return {step_id: index + 1 for index, group in enumerate(levels(steps)) for step_id in group}


def dependency_map(steps: Sequence[Step]) -> dict[str, frozenset[str]]:
    """Each step's dependencies among ``steps`` (outside names such as ``input`` left out)."""
    known = {s.id for s in steps}
    return {s.id: frozenset(dependencies(s) & known) for s in steps}


def ready_steps(
    steps: Sequence[Step],
    finished: Iterable[str],
    started: Iterable[str],
    deps: Mapping[str, frozenset[str]] | None = None,
) -> list[str]:
    """Steps not yet started whose dependencies have all finished, in plan order.

    A scheduler that asks after every completion passes ``deps`` (``dependency_map(steps)``,
    computed once): recomputing every step's references each time made a 50-wide plan spend
    tens of milliseconds of workflow time here."""
    done = set(finished)
    begun = set(started)
    deps = deps if deps is not None else dependency_map(steps)
    return [s.id for s in steps if s.id not in begun and deps[s.id] <= done]


def transitive_dependencies(steps: Sequence[Step], step_id: str) -> set[str]:
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


def lookup(reference: str, outputs: Mapping[str, Any], missing: Iterable[str] = ()) -> Any:
    """The value ``reference`` names. Raises MissingInput for a step in ``missing`` (or absent)."""
    head, path = parse_reference(reference)
    if head not in outputs:
        raise MissingInput(head)
    return _walk(outputs[head], path, reference)


def resolve(value: Any, outputs: Mapping[str, Any], *, drop_missing: bool = False) -> Any:
    """``value`` with every reference replaced by what it names.

    With ``drop_missing``, references to missing outputs inside lists are left out and a
    top-level missing reference becomes None (for tools that accept missing inputs).
    """
    if isinstance(value, str) and value.startswith(REFERENCE_PREFIX):
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
            is_ref = isinstance(item, str) and item.startswith(REFERENCE_PREFIX)
            try:
                resolved = resolve(item, outputs, drop_missing=False)
            except MissingInput:
                if drop_missing:
                    continue
                raise
            if is_ref and isinstance(resolved, list):
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
