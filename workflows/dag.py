"""Scheduling over a plan's DAG: which steps may start now. The grammar itself (references,
levels, cycles, what a reference means) is ``models.grammar``; this is the part only the
scheduler needs. Pure: unit-tested without Temporal."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from models.grammar import dependencies
from models.plan import Step


def step_needs(steps: Sequence[Step]) -> dict[str, set[str]]:
    """Each step's ``dependencies``: every name it waits for (``input`` and steps of an
    earlier plan included), its references walked once. Inside the workflow sandbox, where
    every ``isinstance`` goes through the sandbox's checks, that walk is what scheduling
    costs most: a 50-wide plan's join step holds 50 references."""
    return {s.id: dependencies(s) for s in steps}


def dependency_map(
    steps: Sequence[Step], needs: Mapping[str, set[str]] | None = None
) -> dict[str, frozenset[str]]:
    """Each step's dependencies among ``steps`` (outside names such as ``input`` left out);
    ``needs``: ``step_needs(steps)``, computed already."""
    known = {s.id for s in steps}
    needs = needs if needs is not None else step_needs(steps)
    return {s.id: frozenset(needs[s.id] & known) for s in steps}


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


def lowest_level_only(
    ready: Sequence[str], level_of: Mapping[str, int], unfinished: Iterable[str]
) -> list[str]:
    """Level-by-level scheduling: of the ``ready`` steps, those on the lowest level that still
    has an unfinished step. ``unfinished`` must not be empty (it holds the ready steps)."""
    current = min(level_of[s] for s in unfinished)
    return [s for s in ready if level_of[s] == current]
