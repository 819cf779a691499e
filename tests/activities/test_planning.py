"""Classification, templates, validation (every error kind) and optimisation."""

from __future__ import annotations

import pytest

from activities.errors import InvalidPlan
from activities.planning.activity import Planner
from activities.planning.classify import classify_query
from activities.planning.validation import attach_policies, drop_dead_steps, validate_plan
from activities.tools.catalog import default_registry
from models.documents import DocumentRef
from models.plan import Plan, PlanRequest, Predicate, PredicateOp, Step, StepPolicy
from models.query import QueryConfig, QueryType, Strategy
from models.state import ToolStats

DOCS = tuple(DocumentRef(id=f"d{i}", name=f"doc{i}.md") for i in range(3))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Compare the termination clauses of these two contracts", QueryType.COMPARISON),
        ("Summarize these 40 reports", QueryType.SUMMARY),
        ("List every amount due after March", QueryType.EXTRACTION),
        ("Analyse the risks in the operations report", QueryType.ANALYSIS),
        ("Find where the warranty is mentioned", QueryType.SEARCH),
        ("What is the notice period?", QueryType.QA),
    ],
)
def test_queries_are_classified(query: str, expected: QueryType) -> None:
    assert classify_query(query).query_type is expected


def _plan(query: str, **config: object) -> Plan:
    request = PlanRequest(query=query, documents=DOCS, config=QueryConfig.model_validate(config))
    return Planner(default_registry()).plan(request).plan


def test_parallel_strategy_fans_out_per_document() -> None:
    plan = _plan("What is the notice period?")
    searches = [s for s in plan.steps if s.tool == "search_documents"]
    assert len(searches) == len(DOCS)
    assert plan.step(plan.answer_step).tool == "answer_question"


def test_simple_strategy_searches_once() -> None:
    plan = _plan("What is the notice period?", strategy=Strategy.SIMPLE)
    assert [s.tool for s in plan.steps] == ["search_documents", "answer_question"]


def test_search_broadens_when_it_finds_too_little() -> None:
    search = _plan("What is the notice period?").steps[0]
    assert search.repeat_until is not None and search.params["broaden"] == "$iteration"


def test_summary_summarises_each_document_then_composes() -> None:
    plan = _plan("Summarize these documents")
    assert sorted(s.tool for s in plan.steps) == ["compose_answers"] + ["summarize_document"] * 3


def test_policies_are_attached_from_the_registry() -> None:
    plan = _plan("What is the notice period?")
    registry = default_registry()
    for step in plan.steps:
        expected = registry.policy(step.tool).model_copy(
            update={"accepts_missing_inputs": registry.get(step.tool).spec.accepts_missing_inputs}
        )
        assert step.policy == expected
        # the registry's policy, not the default every Step starts with
        assert step.policy != StepPolicy()
        assert "InvalidParameters" in step.policy.non_retryable_error_types


def test_observed_failures_raise_the_attempts_of_a_flaky_tool_only() -> None:
    plan = Plan(
        query="q",
        query_type=QueryType.QA,
        answer_step="answer_1",
        steps=(
            Step(
                id="search_1",
                tool="search_documents",
                params={"query": "q", "documents": "$input.documents"},
            ),
            Step(
                id="answer_1",
                tool="answer_question",
                params={"question": "q", "passages": "$search_1.passages"},
            ),
        ),
    )

    def stats(tool: str, success_rate: float) -> ToolStats:
        return ToolStats(tool=tool, calls=50, success_rate=success_rate, p50_ms=1, p95_ms=2)

    registered = default_registry().policy("search_documents").max_attempts
    for rate, attempts in ((1.0, registered), (0.7, 6), (0.05, registered)):
        observed = {"search_documents": stats("search_documents", rate)}
        ready = attach_policies(plan, default_registry(), observed)
        assert ready.step("search_1").policy.max_attempts == attempts, rate
        assert ready.step("answer_1").policy.max_attempts == registered


def _check(*steps: Step, answer: str) -> list[str]:
    plan = Plan(query="q", query_type=QueryType.QA, steps=steps, answer_step=answer)
    return validate_plan(plan, default_registry())


def test_validation_reports_unknown_tools_with_suggestions() -> None:
    problems = _check(Step(id="a", tool="answer_questions", params={}), answer="a")
    assert any("did you mean answer_question" in p for p in problems)


def test_validation_reports_parameter_mismatches() -> None:
    problems = _check(
        Step(id="a", tool="answer_question", params={"question": 1, "passages": []}), answer="a"
    )
    assert any("'question' expected string" in p for p in problems)


def test_validation_reports_unresolvable_references() -> None:
    problems = _check(
        Step(
            id="s", tool="search_documents", params={"query": "q", "documents": "$input.documents"}
        ),
        Step(
            id="a",
            tool="answer_question",
            params={"question": "q", "passages": "$nowhere.passages"},
        ),
        Step(id="b", tool="answer_question", params={"question": "q", "passages": "$s.pasages"}),
        answer="a",
    )
    text = " | ".join(problems)
    assert "no step 'nowhere'" in text
    assert "search_documents returns no field 'pasages'" in text


def test_validation_reports_duplicate_ids_and_cycles() -> None:
    duplicate = _check(
        Step(id="a", tool="answer_question", params={"question": "q", "passages": []}),
        Step(id="a", tool="answer_question", params={"question": "q", "passages": []}),
        answer="a",
    )
    assert "duplicate step id 'a'" in " | ".join(duplicate)
    cyclic = _check(
        Step(id="a", tool="answer_question", params={"question": "q", "passages": "$b.passages"}),
        Step(id="b", tool="answer_question", params={"question": "q", "passages": "$a.passages"}),
        answer="a",
    )
    cycles = [p for p in cyclic if p.startswith("cycle: ")]
    assert cycles and ("a -> b -> a" in cycles[0] or "b -> a -> b" in cycles[0])


def test_validation_reports_misplaced_loop_names_and_non_answer_steps() -> None:
    problems = _check(
        Step(
            id="s",
            tool="search_documents",
            params={"query": "$item", "documents": "$input.documents"},
        ),
        answer="s",
    )
    text = " | ".join(problems)
    assert "$item is only bound in a for_each step" in text
    assert "does not produce an answer" in text


def test_an_invalid_given_plan_never_runs() -> None:
    bad = Plan(
        query="q",
        query_type=QueryType.QA,
        steps=(Step(id="a", tool="delete_all", params={}),),
        answer_step="a",
    )
    with pytest.raises(InvalidPlan, match="unknown tool 'delete_all'"):
        Planner(default_registry()).plan(PlanRequest(query="q", documents=DOCS, given_plan=bad))


def test_dead_steps_are_dropped() -> None:
    plan = Plan(
        query="q",
        query_type=QueryType.QA,
        answer_step="a",
        steps=(
            Step(
                id="s",
                tool="search_documents",
                params={"query": "q", "documents": "$input.documents"},
            ),
            Step(
                id="unused",
                tool="search_documents",
                params={"query": "x", "documents": "$input.documents"},
            ),
            Step(
                id="a",
                tool="answer_question",
                params={"question": "q", "passages": "$s.passages"},
                condition=Predicate(ref="$s.count", op=PredicateOp.GT, value=0),
            ),
        ),
    )
    optimised, dropped = drop_dead_steps(plan)
    assert dropped == ("unused",)
    assert [s.id for s in optimised.steps] == ["s", "a"]
