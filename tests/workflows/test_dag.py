"""Scheduling over the DAG: the ready set, and level-by-level scheduling."""

from __future__ import annotations

from models.plan import Step
from workflows import dag


def step(step_id: str, **params: object) -> Step:
    return Step(id=step_id, tool="t", params=dict(params))


DIAMOND = [
    step("a"),
    step("b", x="$a.passages"),
    step("c", x="$a"),
    step("d", x=["$b.passages", "$c.passages"]),
]


def test_ready_set_waits_for_every_input() -> None:
    assert dag.ready_steps(DIAMOND, finished=[], started=[]) == ["a"]
    assert dag.ready_steps(DIAMOND, finished=["a"], started=["a"]) == ["b", "c"]
    assert dag.ready_steps(DIAMOND, finished=["a", "b"], started=["a", "b", "c"]) == []
    assert dag.ready_steps(DIAMOND, finished=["a", "b", "c"], started=["a", "b", "c"]) == ["d"]
