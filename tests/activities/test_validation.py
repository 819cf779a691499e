"""Plan validation and policy attachment against a registry of small test tools: every kind of
problem with its exact message, and every policy field a step receives from its tool."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from activities.planning.validation import (
    GIVE_UP_ODDS,
    MAX_OBSERVED_ATTEMPTS,
    attach_policies,
    observed_attempts,
    validate_plan,
)
from activities.registry import ToolRegistry
from models.plan import Plan, Predicate, PredicateOp, Step
from models.query import QueryType
from models.state import ToolStats
from models.tools import Reliability


class Found(BaseModel):
    hits: list[str]
    count: int


class Said(BaseModel):
    answer: str
    confidence: float


def find(query: str) -> Found:
    """Find hits for a query."""
    return Found(hits=[], count=0)


def say(question: str, hits: list[str] | None = None) -> Said:
    """Answer a question from hits."""
    return Said(answer="", confidence=1.0)


def say_backup(question: str, hits: list[str] | None = None) -> Said:
    """Answer a question another way."""
    return Said(answer="", confidence=1.0)


def say_loud(question: str, hits: list[str] | None = None) -> Said:
    """Answer a question loudly."""
    return Said(answer="", confidence=1.0)


def merge(parts: list[Any]) -> Said:
    """Merge answers into one."""
    return Said(answer="", confidence=1.0)


def shout() -> str:
    """Shout something."""
    return ""


def send(question: str) -> Said:
    """Send a question somewhere (not idempotent)."""
    return Said(answer="", confidence=1.0)


def _registry() -> ToolRegistry:
    registry = ToolRegistry()
    registry.register_function(find, timeout=8.0)
    registry.register_function(
        say, alternatives=("say_backup", "say", "missing_tool", "say_backup")
    )
    registry.register_function(say_backup, reliability=Reliability.EXPERIMENTAL)
    registry.register_function(say_loud, reliability=Reliability.LOW)
    registry.register_function(merge, accepts_missing_inputs=True, reliability=Reliability.MEDIUM)
    registry.register_function(shout)
    registry.register_function(send, idempotent=False)
    return registry


REGISTRY = _registry()


def _plan(*steps: Step, answer: str | None = None) -> Plan:
    return Plan(query="q", query_type=QueryType.QA, steps=steps, answer_step=answer or steps[-1].id)


def _find(step_id: str = "f", **options: Any) -> Step:
    return Step(id=step_id, tool="find", params={"query": "q"}, **options)


def _say(step_id: str = "s", hits: Any = "$f.hits", **options: Any) -> Step:
    return Step(id=step_id, tool="say", params={"question": "q", "hits": hits}, **options)


def _problems(*steps: Step, answer: str | None = None, external: tuple[str, ...] = ()) -> list[str]:
    return validate_plan(_plan(*steps, answer=answer), REGISTRY, external=external)


# ---- validation ---------------------------------------------------------------------------------


def test_a_sound_plan_has_no_problems() -> None:
    assert _problems(_find(), _say()) == []


@pytest.mark.parametrize("reserved", ["input", "item", "iteration", "self"])
def test_reserved_step_ids_are_refused(reserved: str) -> None:
    step = Step(id=reserved, tool="say", params={"question": "q"})
    assert _problems(step) == [f"step id {reserved!r} is reserved"]


@pytest.mark.parametrize("bad", ["a.b", "a#2", "a[0]", "a~b", "a b", ""])
def test_step_ids_are_made_of_letters_digits_underscores_and_dashes(bad: str) -> None:
    step = Step(id=bad, tool="say", params={"question": "q"})
    assert _problems(step) == [
        f"step id {bad!r}: use letters, digits, '_' and '-' only (it is the activity id, and "
        "references name it before a '.')"
    ]
    assert _problems(Step(id="ok_Step-2", tool="say", params={"question": "q"})) == []


def test_an_empty_plan_is_refused() -> None:
    assert validate_plan(
        Plan(query="q", query_type=QueryType.QA, steps=(), answer_step="a"), REGISTRY
    ) == ["the plan has no steps"]


def test_duplicate_ids_within_the_plan_and_with_earlier_outputs() -> None:
    assert _problems(_find(), _find(), _say()) == ["duplicate step id 'f'"]
    assert _problems(_find(), _say(), external=("f",)) == ["duplicate step id 'f'"]


def test_every_unknown_tool_is_reported_and_the_rest_still_checked() -> None:
    problems = _problems(
        Step(id="x", tool="finder", params={}),
        Step(id="y", tool="shoot", params={}),
        Step(id="s", tool="say", params={"question": 1}),
    )
    assert problems[0].startswith("step 'x': unknown tool 'finder'; did you mean find?")
    assert problems[1].startswith("step 'y': unknown tool 'shoot'; did you mean shout?")
    assert problems[2].startswith("step 's': say: parameter 'question' expected string, got int")
    assert len(problems) == 3


def test_unknown_fallbacks_are_reported() -> None:
    assert _problems(_find(), _say(fallback=("say_backup",))) == []
    problems = _problems(_find(), _say(fallback=("say_backup", "ghost_tool")))
    assert len(problems) == 1
    assert problems[0].startswith("step 's': fallback unknown tool 'ghost_tool'")


def test_depends_on_must_name_a_step_or_an_earlier_output() -> None:
    assert _problems(_find(), _say(depends_on=("f",))) == []
    assert _problems(_find(), _say(depends_on=("done",)), external=("done",)) == []
    assert _problems(_find(), _say(depends_on=("nowhere",))) == [
        "step 's': depends on unknown step 'nowhere'"
    ]


def test_references_must_name_a_step_the_input_or_an_earlier_output() -> None:
    assert _problems(_say(hits="$done.hits"), external=("done",)) == []
    assert _problems(_say(hits="$nowhere.hits")) == [
        "step 's': reference '$nowhere.hits': no step 'nowhere' in the plan"
    ]
    assert _problems(_say(hits="$s.answer")) == [
        "step 's': reference '$s.answer': a step cannot use its own output",
        "cycle: s -> s",
    ]


def test_input_references_name_its_fields() -> None:
    ok = Step(id="s", tool="say", params={"question": "$input.query", "hits": "$input.documents.0"})
    assert _problems(ok) == []
    assert _problems(_say(hits="$input")) == []
    assert _problems(_say(hits="$input.docs.0")) == [
        "step 's': reference '$input.docs.0': the input has no field 'docs' "
        "(fields: ['documents', 'query'])"
    ]


def test_fields_of_a_tool_result_are_checked() -> None:
    assert _problems(_find(), _say(hits="$f")) == []
    assert _problems(_find(), _say(hits="$f.hits.0")) == []
    assert _problems(_find(), _say(hits="$f.passages")) == [
        "step 's': reference '$f.passages': find returns no field 'passages' "
        "(fields: ['count', 'hits'])"
    ]


def test_fields_of_a_for_each_output_are_items_count_and_confidence() -> None:
    each = _find("each", for_each="$input.documents")
    for field in ("items", "count", "confidence"):
        assert _problems(each, _say(hits=f"$each.{field}")) == []
    assert _problems(each, _say(hits="$each.hits")) == [
        "step 's': reference '$each.hits': find returns no field 'hits' "
        "(fields: ['confidence', 'count', 'items'])"
    ]


def test_a_result_without_fields_is_not_checked_but_cannot_answer() -> None:
    loud = Step(id="loud", tool="shout", params={})
    assert _problems(loud, _say(hits="$loud.anything")) == []
    assert _problems(_find(), loud, answer="loud") == [
        "answer step 'loud': shout does not produce an answer"
    ]
    assert _problems(_find(), answer="f") == ["answer step 'f': find does not produce an answer"]


def test_item_is_bound_only_in_a_for_each_step() -> None:
    each = Step(id="s", tool="say", params={"question": "$item"}, for_each="$input.documents")
    assert _problems(each) == []
    assert _problems(Step(id="s", tool="say", params={"question": "$item"})) == [
        "step 's': reference '$item': $item is only bound in a for_each step"
    ]


@pytest.mark.parametrize("name", ["iteration", "self"])
def test_iteration_and_self_are_bound_only_in_a_repeat_until_step(name: str) -> None:
    until = Predicate(ref="$self.confidence", op=PredicateOp.GE, value=0.5)
    looping = Step(id="s", tool="say", params={"question": f"${name}"}, repeat_until=until)
    assert _problems(looping) == []
    assert _problems(Step(id="s", tool="say", params={"question": f"${name}"})) == [
        f"step 's': reference '${name}': ${name} is only bound in a repeat_until step"
    ]


def test_condition_for_each_and_loop_references_are_checked_too() -> None:
    problems = _problems(
        _find(),
        _say(
            condition=Predicate(ref="$ghost.count", op=PredicateOp.GT, value=0),
            for_each="$phantom.items",
        ),
    )
    assert problems == [
        "step 's': reference '$ghost.count': no step 'ghost' in the plan",
        "step 's': reference '$phantom.items': no step 'phantom' in the plan",
    ]


def test_a_cycle_is_named_even_through_the_input() -> None:
    problems = _problems(
        Step(id="z1", tool="say", params={"question": "$input.query", "hits": "$z2.answer"}),
        Step(id="z2", tool="say", params={"question": "q", "hits": "$z1.answer"}),
    )
    assert problems == ["cycle: z1 -> z2 -> z1"]


# ---- policies -----------------------------------------------------------------------------------


def test_each_step_gets_its_tools_policy() -> None:
    plan = attach_policies(
        _plan(_find(), Step(id="m", tool="merge", params={"parts": ["$f.hits"]})), REGISTRY
    )
    assert plan.step("f").policy == REGISTRY.policy("find")
    assert plan.step("f").policy.start_to_close_seconds == 8.0
    assert plan.step("f").policy.max_attempts == 3
    merged = plan.step("m").policy
    assert merged.accepts_missing_inputs is True
    assert merged.max_attempts == 4 and merged.reliability_weight == 0.95
    assert plan.step("f").policy.accepts_missing_inputs is False


def test_fallbacks_are_the_steps_own_then_the_registered_alternatives() -> None:
    plan = attach_policies(_plan(_find(), _say(fallback=("say_loud", "say_backup"))), REGISTRY)
    # the tool itself, unregistered alternatives and repeats are left out
    assert plan.step("s").fallback == ("say_loud", "say_backup")
    plain = attach_policies(_plan(_find(), _say()), REGISTRY)
    assert plain.step("s").fallback == ("say_backup",)
    assert plain.step("f").fallback == ()


def _stats(
    tool: str, *, calls: int = 50, success_rate: float = 1.0, p95_ms: float = 1.0
) -> ToolStats:
    return ToolStats(tool=tool, calls=calls, success_rate=success_rate, p50_ms=1.0, p95_ms=p95_ms)


def test_a_slow_tool_gets_four_times_its_observed_p95_once_seen_ten_times() -> None:
    plan = _plan(_find(), _say())
    slow = {"find": _stats("find", calls=10, p95_ms=5000.0)}
    assert attach_policies(plan, REGISTRY, slow).step("f").policy.start_to_close_seconds == 20.0
    fast = {"find": _stats("find", calls=10, p95_ms=1000.0)}
    assert attach_policies(plan, REGISTRY, fast).step("f").policy.start_to_close_seconds == 8.0
    rare = {"find": _stats("find", calls=9, p95_ms=5000.0, success_rate=0.5)}
    assert attach_policies(plan, REGISTRY, rare).step("f").policy == REGISTRY.policy("find")


def test_a_flaky_tool_gets_more_attempts_unless_a_retry_could_repeat_its_effect() -> None:
    flaky = {"find": _stats("find", success_rate=0.5), "send": _stats("send", success_rate=0.5)}
    plan = _plan(_find(), Step(id="x", tool="send", params={"question": "q"}))
    ready = attach_policies(plan, REGISTRY, flaky)
    assert ready.step("f").policy.max_attempts == 6
    assert ready.step("x").policy.max_attempts == 1


@pytest.mark.parametrize(
    ("success_rate", "registered", "attempts"),
    [
        (1.0, 3, 3),  # never failed
        (0.99, 5, 5),  # two attempts would do: never fewer than registered
        (0.9, 2, 3),  # 0.1³ = 0.001
        (0.7, 3, 6),
        (0.5, 3, 6),  # would need 10: capped
        (0.2, 3, 6),  # the lowest rate that still counts as flaky
        (0.19, 3, 3),  # looks down: more attempts only delay the fallback
        (0.0, 4, 4),
    ],
)
def test_observed_attempts(success_rate: float, registered: int, attempts: int) -> None:
    assert observed_attempts(success_rate, registered) == attempts


def test_the_observed_attempts_constants() -> None:
    assert MAX_OBSERVED_ATTEMPTS == 6 and GIVE_UP_ODDS == 0.001
