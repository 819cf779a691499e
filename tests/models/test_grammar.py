"""The plan grammar: dependencies, cycles, levels, references and predicates."""

from __future__ import annotations

import pytest

from models.plan import Predicate, PredicateOp, Step
from models import grammar


def step(step_id: str, **params: object) -> Step:
    return Step(id=step_id, tool="t", params=dict(params))


DIAMOND = [
    step("a"),
    step("b", x="$a.passages"),
    step("c", x="$a"),
    step("d", x=["$b.passages", "$c.passages"]),
]


def test_dependencies_come_from_references_and_depends_on() -> None:
    s = Step(id="s", tool="t", params={"p": ["$x.a", {"q": "$y"}], "n": 3}, depends_on=("z",))
    assert grammar.dependencies(s) == {"x", "y", "z"}


def test_loop_names_are_not_dependencies() -> None:
    s = Step(id="s", tool="t", params={"p": "$item.id", "k": "$iteration"}, for_each="$a.items")
    assert grammar.dependencies(s) == {"a"}


def test_levels_group_steps_by_depth() -> None:
    assert grammar.levels(DIAMOND) == [["a"], ["b", "c"], ["d"]]
    assert grammar.level_of_steps(DIAMOND)["d"] == 3


def test_cycle_is_named() -> None:
    cyclic = [step("a", x="$c"), step("b", x="$a"), step("c", x="$b")]
    cycle = grammar.find_cycle(cyclic)
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    assert grammar.find_cycle(DIAMOND) is None


def test_references_resolve_fields_indexes_and_fan_in() -> None:
    outputs = {
        "a": {"passages": [1, 2], "count": 2, "nested": {"k": "v"}},
        "b": {"passages": [3]},
        "input": {"documents": [{"id": "d0"}, {"id": "d1"}]},
    }
    assert grammar.resolve("$a.nested.k", outputs) == "v"
    assert grammar.resolve(["$a.passages", "$b.passages"], outputs) == [1, 2, 3]
    assert grammar.resolve({"d": "$input.documents.1"}, outputs) == {"d": {"id": "d1"}}
    assert grammar.resolve(["$input.documents.0"], outputs) == [{"id": "d0"}]
    with pytest.raises(grammar.BadReference):
        grammar.resolve("$a.nope", outputs)


def test_missing_inputs_raise_or_are_dropped() -> None:
    outputs = {"a": {"passages": [1]}}
    with pytest.raises(grammar.MissingInput):
        grammar.resolve(["$a.passages", "$failed.passages"], outputs)
    assert grammar.resolve(["$a.passages", "$failed.passages"], outputs, drop_missing=True) == [1]
    assert grammar.resolve("$failed", outputs, drop_missing=True) is None


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        (PredicateOp.LT, 3, True),
        (PredicateOp.GE, 3, False),
        (PredicateOp.EQ, 2, True),
        (PredicateOp.NE, 2, False),
        (PredicateOp.NOT_EMPTY, None, True),
        (PredicateOp.EMPTY, None, False),
    ],
)
def test_predicates_compare_without_eval(op: PredicateOp, value: object, expected: bool) -> None:
    outputs = {"s": {"count": 2}}
    assert grammar.evaluate(Predicate(ref="$s.count", op=op, value=value), outputs) is expected


def test_predicate_on_a_list_compares_its_length_and_missing_is_empty() -> None:
    assert grammar.evaluate(
        Predicate(ref="$s.passages", op=PredicateOp.LT, value=3), {"s": {"passages": [1]}}
    )
    assert grammar.evaluate(Predicate(ref="$gone.count", op=PredicateOp.EMPTY), {})
    assert not grammar.evaluate(Predicate(ref="$gone.count", op=PredicateOp.GT, value=0), {})


def test_transitive_dependencies_and_dependents() -> None:
    assert grammar.transitive_dependencies(DIAMOND, "d") == {"a", "b", "c"}
    assert grammar.dependents(DIAMOND, "b") == {"d"}
