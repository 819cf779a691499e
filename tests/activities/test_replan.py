"""Replanning: failed steps replaced by search + answer, the rest kept and rewired."""

from __future__ import annotations

import pytest

from activities.errors import InvalidPlan
from activities.planning.activity import Planner
from activities.planning.replan import replan
from activities.planning.validation import validate_plan
from activities.tools.catalog import default_registry
from models.documents import DocumentRef
from models.plan import Plan, PlanRequest, Predicate, PredicateOp, ReplanContext, Step
from models.query import QueryType

TOOLS = frozenset(default_registry().names())
DOCS = (DocumentRef(id="d0", name="a.md"), DocumentRef(id="d1", name="b.md"))


def _plan() -> Plan:
    return Plan(
        query="What changed?",
        query_type=QueryType.SUMMARY,
        steps=(
            Step(
                id="summarize_1",
                tool="summarize_document",
                params={"document": "$input.documents.0"},
            ),
            Step(
                id="summarize_2",
                tool="summarize_document",
                params={"document": "$input.documents.1", "focus": "fees"},
            ),
            Step(
                id="compose_1",
                tool="compose_answers",
                params={
                    "question": "What changed?",
                    "parts": ["$summarize_1", "$summarize_2.answer"],
                },
                condition=Predicate(ref="$summarize_2.confidence", op=PredicateOp.GT, value=0),
            ),
        ),
        answer_step="compose_1",
    )


def _context(**changes: object) -> ReplanContext:
    values: dict[str, object] = {
        "attempt": 1,
        "failed_step": "summarize_2",
        "failed_tools": ("summarize_document",),
        "error": "down",
        "previous_plan": _plan(),
        "completed": {"summarize_1": "summarize_document"},
    }
    values.update(changes)
    return ReplanContext.model_validate(values)


def test_failed_step_is_replaced_and_references_keep_their_field() -> None:
    plan = replan(_context(), TOOLS)
    assert [s.id for s in plan.steps] == ["summarize_2_r1_search", "summarize_2_r1", "compose_1"]
    search, answer, compose = plan.steps
    assert search.params["documents"] == ["$input.documents.1"]
    assert search.params["query"] == "fees"  # the failed step's focus
    assert answer.params["passages"] == "$summarize_2_r1_search.passages"
    assert compose.params["parts"] == ["$summarize_1", "$summarize_2_r1.answer"]
    assert compose.condition is not None and compose.condition.ref == "$summarize_2_r1.confidence"
    assert plan.answer_step == "compose_1" and plan.source == "replan"


def test_a_tool_that_met_only_retryable_errors_is_tried_again() -> None:
    plan = replan(_context(failed_tools=()), TOOLS)
    again, compose = plan.steps
    assert (again.id, again.tool) == ("summarize_2_r1", "summarize_document")
    assert again.params == _plan().step("summarize_2").params
    assert compose.params["parts"] == ["$summarize_1", "$summarize_2_r1.answer"]
    assert "summarize_2 tried again" in plan.reasoning


def test_every_failed_step_is_replaced_at_once() -> None:
    context = _context(completed={}, also_failed={"summarize_1": "down too"})
    plan = replan(context, TOOLS)
    compose = plan.step("compose_1")
    assert compose.params["parts"] == ["$summarize_1_r1", "$summarize_2_r1.answer"]
    assert {"summarize_1_r1_search", "summarize_2_r1_search"} <= {s.id for s in plan.steps}


def test_a_for_each_item_is_not_carried_out_of_its_loop() -> None:
    previous = Plan(
        query="Q?",
        query_type=QueryType.QA,
        steps=(
            Step(
                id="search_1",
                tool="search_documents",
                params={"query": "Q?", "documents": "$input.documents"},
            ),
            Step(
                id="each",
                tool="summarize_document",
                params={"document": "$item"},
                for_each="$input.documents",
            ),
            Step(
                id="compose_1",
                tool="compose_answers",
                params={"question": "Q?", "parts": ["$each"]},
            ),
        ),
        answer_step="compose_1",
    )
    context = _context(
        previous_plan=previous, failed_step="each", completed={"search_1": "search_documents"}
    )
    plan = replan(context, TOOLS)
    assert plan.step("each_r1_search").params["documents"] == ["$input.documents"]
    response = Planner(default_registry()).plan(
        PlanRequest(query="Q?", documents=DOCS, replan=context)
    )
    assert response.plan.answer_step == "compose_1"


def test_the_replan_is_validated_against_the_completed_steps() -> None:
    response = Planner(default_registry()).plan(
        PlanRequest(query="What changed?", documents=DOCS, replan=_context())
    )
    # the completed step is referred to, not planned again; the new steps get their policies
    steps = {s.id: s for s in response.plan.steps}
    assert "summarize_1" not in steps
    registry = default_registry()
    assert steps["summarize_2_r1_search"].policy == registry.policy("search_documents")
    for step in steps.values():
        spec = registry.get(step.tool).spec
        assert step.policy == registry.policy(step.tool).model_copy(
            update={"accepts_missing_inputs": spec.accepts_missing_inputs}
        ), step.id
    # the plan is valid only together with the completed step it refers to
    assert validate_plan(response.plan, registry, external=["summarize_1"]) == []
    assert validate_plan(response.plan, registry) == [
        "step 'compose_1': reference '$summarize_1': no step 'summarize_1' in the plan"
    ]


def test_no_replan_without_search_and_answer() -> None:
    with pytest.raises(InvalidPlan, match="search_documents and answer_question are unavailable"):
        replan(_context(failed_tools=("summarize_document", "search_documents")), TOOLS)
