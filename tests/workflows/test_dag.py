"""Scheduling over the DAG: the ready set, and level-by-level scheduling."""

from __future__ import annotations

from tests.plan_shapes import DIAMOND, step
from workflows import dag


def test_ready_set_waits_for_every_input() -> None:
    assert dag.ready_steps(DIAMOND, finished=[], started=[]) == ["a"]
    assert dag.ready_steps(DIAMOND, finished=["a"], started=["a"]) == ["b", "c"]
    assert dag.ready_steps(DIAMOND, finished=["a", "b"], started=["a", "b", "c"]) == []
    assert dag.ready_steps(DIAMOND, finished=["a", "b", "c"], started=["a", "b", "c"]) == ["d"]


def test_the_ready_set_follows_the_dependency_map_it_is_given() -> None:
    # the map computed once by the scheduler is what counts (here: d waits for a only)
    deps = {**dag.dependency_map(DIAMOND), "d": frozenset({"a"})}
    assert dag.ready_steps(DIAMOND, finished=["a"], started=["a"], deps=deps) == ["b", "c", "d"]


def test_dependency_map_leaves_outside_names_out() -> None:
    steps = [step("s", d="$input.documents", p="$earlier.passages"), step("t", p="$s.passages")]
    assert dag.dependency_map(steps) == {"s": frozenset(), "t": frozenset({"s"})}


def test_level_scheduling_starts_only_the_lowest_unfinished_level() -> None:
    level_of = {"a": 1, "b": 2, "c": 2, "d": 3}
    assert dag.lowest_level_only(["b", "c"], level_of, ["b", "c", "d"]) == ["b", "c"]
    # c is ready but a level-2 step (b) is not finished: c waits for nothing, d waits
    assert dag.lowest_level_only(["c", "d"], level_of, ["b", "c", "d"]) == ["c"]
    assert dag.lowest_level_only(["d"], level_of, ["b", "d"]) == []
