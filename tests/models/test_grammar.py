"""The plan grammar: references, dependencies, cycles, levels, and what a reference means over
step outputs (fields, indexes, counts, fan-in, missing inputs, predicates)."""

from __future__ import annotations

from typing import Any

import pytest

from models import grammar
from models.plan import Predicate, PredicateOp, Step
from tests.plan_shapes import DIAMOND, step

# ---- syntax -----------------------------------------------------------------------------------


def test_references_are_strings_starting_with_the_prefix() -> None:
    assert grammar.is_reference("$a.b")
    assert not grammar.is_reference("a.$b")
    assert not grammar.is_reference(["$a"])
    assert grammar.parse_reference("$search_1.passages.0") == ("search_1", ["passages", "0"])
    assert grammar.parse_reference("$input") == ("input", [])


def test_references_are_found_anywhere_in_order() -> None:
    value = {"p": ["$x.a", {"q": "$y"}], "t": ("$z",), "n": 3, "s": "plain"}
    assert list(grammar.reference_strings(value)) == ["$x.a", "$y", "$z"]
    assert grammar.references_in(value) == {"x", "y", "z"}
    assert grammar.contains_reference({"deep": [[{"k": "$w"}]]})
    assert not grammar.contains_reference({"k": ["plain", 1, None]})


def test_step_references_cover_params_condition_loop_and_for_each() -> None:
    s = Step(
        id="s",
        tool="t",
        params={"p": "$a.x"},
        condition=Predicate(ref="$b.count", op=PredicateOp.GT, value=0),
        repeat_until=Predicate(ref="$self.ok", op=PredicateOp.EQ, value=True),
        for_each="$c.items",
    )
    assert grammar.step_references(s) == ["$a.x", "$b.count", "$self.ok", "$c.items"]


# ---- structure ----------------------------------------------------------------------------------


def test_dependencies_come_from_references_depends_on_condition_and_for_each() -> None:
    s = Step(
        id="s",
        tool="t",
        params={"p": ["$x.a", {"q": "$y"}], "n": 3},
        depends_on=("z",),
        condition=Predicate(ref="$w.count", op=PredicateOp.GT, value=0),
        for_each="$v.items",
    )
    assert grammar.dependencies(s) == {"x", "y", "z", "w", "v"}


def test_loop_names_are_not_dependencies_and_the_loop_predicate_adds_none() -> None:
    s = Step(
        id="s",
        tool="t",
        params={"p": "$item.id", "k": "$iteration", "o": "$self.x", "d": "$input.documents"},
        for_each="$a.items",
        repeat_until=Predicate(ref="$b.done", op=PredicateOp.EQ, value=True),
    )
    assert grammar.dependencies(s) == {"a", "input"}


def test_levels_group_steps_by_depth_in_plan_order() -> None:
    assert grammar.levels(DIAMOND) == [["a"], ["b", "c"], ["d"]]
    assert grammar.level_of_steps(DIAMOND) == {"a": 1, "b": 2, "c": 2, "d": 3}
    assert grammar.levels([]) == []
    # outside names (the input, steps of an earlier plan) put no step on a later level
    assert grammar.levels([step("x", d="$input.documents", p="$done.passages")]) == [["x"]]


def test_cycle_is_named() -> None:
    cyclic = [step("a", x="$c"), step("b", x="$a"), step("c", x="$b")]
    assert grammar.find_cycle(cyclic) == ["a", "c", "b", "a"]
    assert grammar.find_cycle(DIAMOND) is None
    assert grammar.find_cycle([step("s", x="$s.passages")]) == ["s", "s"]


def test_a_cycle_is_found_behind_an_outside_name() -> None:
    # z1 reads the input (sorted first) and then z2, which reads z1
    cyclic = [step("z1", d="$input.documents", p="$z2.passages"), step("z2", p="$z1.passages")]
    assert grammar.find_cycle(cyclic) == ["z1", "z2", "z1"]


def test_a_cycle_is_found_past_a_finished_branch() -> None:
    # a's first dependency (b) is fully explored before its second (c) closes the cycle
    steps = [step("a", x=["$b", "$c"]), step("b"), step("c", x="$a")]
    assert grammar.find_cycle(steps) == ["a", "c", "a"]
    shared = [step("a", x=["$b", "$c"]), step("b", x="$d"), step("c", x="$d"), step("d")]
    assert grammar.find_cycle(shared) is None


def test_transitive_dependencies_and_dependents() -> None:
    assert grammar.transitive_dependencies(DIAMOND, "d") == {"a", "b", "c"}
    assert grammar.transitive_dependencies(DIAMOND, "a") == set()
    assert grammar.transitive_dependencies(DIAMOND, "not-a-step") == set()
    with_input = [step("s", d="$input.documents"), step("t", p="$s.passages")]
    assert grammar.transitive_dependencies(with_input, "t") == {"s"}
    assert grammar.dependents(DIAMOND, "b") == {"d"}
    assert grammar.dependents(DIAMOND, "a") == {"b", "c", "d"}


# ---- meaning over outputs -----------------------------------------------------------------------

OUTPUTS: dict[str, Any] = {
    "a": {"passages": [1, 2], "count": 7, "nested": {"k": "v"}},
    "b": {"passages": [3]},
    "input": {"documents": [{"id": "d0"}, {"id": "d1"}], "query": "q"},
}


def test_references_resolve_fields_indexes_counts_and_fan_in() -> None:
    assert grammar.resolve("$a.nested.k", OUTPUTS) == "v"
    assert grammar.resolve("$a", OUTPUTS) == OUTPUTS["a"]
    assert grammar.resolve("$a.count", OUTPUTS) == 7  # a field named count wins
    assert grammar.resolve("$a.passages.count", OUTPUTS) == 2  # the length of a list
    assert grammar.resolve("$a.passages.1", OUTPUTS) == 2
    assert grammar.resolve(["$a.passages", "$b.passages"], OUTPUTS) == [1, 2, 3]
    assert grammar.resolve(("$a.nested", "$b.passages"), OUTPUTS) == [{"k": "v"}, 3]
    assert grammar.resolve({"d": "$input.documents.1"}, OUTPUTS) == {"d": {"id": "d1"}}
    assert grammar.resolve(["$input.documents.0", "x", 4], OUTPUTS) == [{"id": "d0"}, "x", 4]
    assert grammar.resolve(5, OUTPUTS) == 5


@pytest.mark.parametrize(
    ("reference", "field"),
    [
        ("$a.nope", "nope"),
        ("$a.passages.2", "2"),  # one past the end
        ("$a.passages.x", "x"),
        ("$input.query.0", "0"),  # a string is not indexed
        ("$a.nested.count", "count"),  # count is the length of lists only
    ],
)
def test_a_field_the_output_does_not_have_is_a_bad_reference(reference: str, field: str) -> None:
    with pytest.raises(grammar.BadReference) as raised:
        grammar.resolve(reference, OUTPUTS)
    assert str(raised.value) == f"{reference}: no field {field!r}"


def test_missing_inputs_raise_or_are_dropped() -> None:
    with pytest.raises(grammar.MissingInput) as raised:
        grammar.resolve(["$a.passages", "$failed.passages"], OUTPUTS)
    assert raised.value.step_id == "failed"
    assert str(raised.value) == "missing input from step 'failed'"
    dropped = grammar.resolve(
        ["$failed.passages", "$a.passages", "$gone", "$b.passages"], OUTPUTS, drop_missing=True
    )
    assert dropped == [1, 2, 3]
    assert grammar.resolve("$failed", OUTPUTS, drop_missing=True) is None
    assert grammar.resolve({"p": "$failed.x", "q": "$b"}, OUTPUTS, drop_missing=True) == {
        "p": None,
        "q": {"passages": [3]},
    }
    # inside a list, a missing reference nested deeper is dropped with its item
    nested = grammar.resolve([["$failed.x"], "$b.passages"], OUTPUTS, drop_missing=True)
    assert nested == [3]


def test_lookup_names_the_missing_step() -> None:
    with pytest.raises(grammar.MissingInput) as raised:
        grammar.lookup("$ghost.passages", OUTPUTS)
    assert raised.value.step_id == "ghost"


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        (PredicateOp.LT, 3, True),
        (PredicateOp.LT, 2, False),
        (PredicateOp.LE, 2, True),
        (PredicateOp.LE, 1, False),
        (PredicateOp.GT, 1, True),
        (PredicateOp.GT, 2, False),
        (PredicateOp.GE, 2, True),
        (PredicateOp.GE, 3, False),
        (PredicateOp.EQ, 2, True),
        (PredicateOp.EQ, 3, False),
        (PredicateOp.NE, 3, True),
        (PredicateOp.NE, 2, False),
        (PredicateOp.NOT_EMPTY, None, True),
        (PredicateOp.EMPTY, None, False),
    ],
)
def test_predicates_compare_without_eval(op: PredicateOp, value: object, expected: bool) -> None:
    outputs = {"s": {"count": 2}}
    assert grammar.evaluate(Predicate(ref="$s.count", op=op, value=value), outputs) is expected


def test_predicate_on_a_list_compares_its_length_and_empty_tests_the_value() -> None:
    listing = {"s": {"passages": [1]}, "e": {"passages": []}}
    assert grammar.evaluate(Predicate(ref="$s.passages", op=PredicateOp.LT, value=2), listing)
    assert not grammar.evaluate(Predicate(ref="$s.passages", op=PredicateOp.GT, value=1), listing)
    assert grammar.evaluate(Predicate(ref="$e.passages", op=PredicateOp.EMPTY), listing)
    assert not grammar.evaluate(Predicate(ref="$e.passages", op=PredicateOp.NOT_EMPTY), listing)


def test_missing_is_empty_and_incomparable_values_are_false() -> None:
    assert grammar.evaluate(Predicate(ref="$gone.count", op=PredicateOp.EMPTY), {})
    assert not grammar.evaluate(Predicate(ref="$gone.count", op=PredicateOp.GT, value=0), {})
    assert grammar.evaluate(Predicate(ref="$s.nope", op=PredicateOp.EMPTY), {"s": {}})
    text = {"s": {"name": "x"}}
    for op in (PredicateOp.LT, PredicateOp.LE, PredicateOp.GT, PredicateOp.GE):
        assert not grammar.evaluate(Predicate(ref="$s.name", op=op, value=3), text)
