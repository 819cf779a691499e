"""Follow-up questions resolve against the previous turn and narrow the documents."""

from __future__ import annotations

from activities.planning.activity import Planner
from activities.planning.followup import resolve_follow_up
from activities.tools.catalog import default_registry
from models.documents import DocumentRef
from models.plan import PlanRequest
from models.query import PriorTurn

DOCS = (
    DocumentRef(id="g", name="contract_acme_globex.md", title="Agreement with Globex"),
    DocumentRef(id="i", name="contract_acme_initech.md", title="Agreement with Initech"),
)
PREVIOUS = (
    PriorTurn(question="What is the notice period?", documents=tuple(d.name for d in DOCS)),
)


def test_a_fresh_question_is_left_alone() -> None:
    follow = resolve_follow_up("What is the monthly fee?", PREVIOUS, DOCS)
    assert follow.query == "What is the monthly fee?" and follow.document_indexes is None


def test_an_ordinal_picks_the_document_and_the_subject_carries_over() -> None:
    follow = resolve_follow_up("And what about the second contract?", PREVIOUS, DOCS)
    assert follow.document_indexes == (1,)
    assert "notice period" in follow.query


def test_a_name_picks_the_document() -> None:
    assert resolve_follow_up("What about Globex?", PREVIOUS, DOCS).document_indexes == (0,)


def test_without_history_nothing_is_a_follow_up() -> None:
    assert resolve_follow_up("And the second contract?", (), DOCS).document_indexes is None


def test_the_plan_points_at_the_chosen_document_in_the_full_list() -> None:
    request = PlanRequest(
        query="And what about the second contract?", documents=DOCS, history=PREVIOUS
    )
    plan = Planner(default_registry()).plan(request).plan
    searches = [s for s in plan.steps if s.tool == "search_documents"]
    assert [s.params["documents"] for s in searches] == [["$input.documents.1"]]
    assert "follow-up" in plan.reasoning
