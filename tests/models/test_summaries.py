"""What the Temporal UI shows: one-line summaries of activities, replans and planning, and the
plan as a markdown table."""

from __future__ import annotations

from models.config import QueryConfig, QueryType, Strategy
from models.documents import DocumentRef
from models.names import ActivityId
from models.plan import Plan, PlanRequest, ReplanContext, Step
from models.query import QueryRequest
from models.summaries import (
    SUMMARY_CHARS,
    TABLE_ROWS,
    activity_summary,
    key_parameters,
    one_line,
    plan_summary,
    plan_table,
    query_summary,
    replan_details,
    replan_summary,
    resolve_and_plan_summary,
    resolve_summary,
    start_details,
)
from tests.plan_shapes import DIAMOND

SEARCH = Step(
    id="search_1",
    tool="search_documents",
    description="Search all documents for passages about the question",
    params={"query": "$input.query", "documents": "$input.documents", "top_k": 5},
)
PLAN = Plan(query="q", query_type=QueryType.QA, steps=tuple(DIAMOND), answer_step="d")


def _document(name: str) -> DocumentRef:
    return DocumentRef.model_validate({"id": f"id-{name}", "name": name})


def test_one_line_flattens_and_cuts_with_an_ellipsis() -> None:
    assert one_line("a\n  b\tc") == "a b c"
    cut = one_line("word " * 100, 20)
    assert len(cut) == 20 and cut.endswith("…") and "\n" not in cut
    assert len(query_summary("why? " * 100)) == SUMMARY_CHARS


def test_key_parameters_show_scalars_lengths_and_document_names() -> None:
    params = {
        "query": "What is the notice period for termination for convenience in both contracts?",
        "documents": [{"id": "1", "name": "a.md"}, {"id": "2", "name": "b.md"}],
        "document": {"id": "1", "name": "a.md"},
        "top_k": 5,
        "threshold": 0.25,
        "broaden": True,
        "options": {"deep": 1},
        "missing": None,
    }
    assert key_parameters(params) == (
        "query='What is the notice period for terminati…', documents=[2], document=a.md, "
        "top_k=5, threshold=0.25, broaden=True"
    )


def test_an_activity_summary_is_the_description_then_the_key_parameters() -> None:
    params = {"query": "notice period", "documents": [{"id": "1", "name": "a.md"}], "top_k": 5}
    assert activity_summary(SEARCH, SEARCH.tool, params, ActivityId("search_1")) == (
        "Search all documents for passages about the question · "
        "query='notice period', documents=[1], top_k=5"
    )


def test_an_activity_summary_says_which_call_of_the_step_it_is() -> None:
    call = ActivityId("search_1", iteration=2, item=3, fallback="keyword_search")
    summary = activity_summary(SEARCH, "keyword_search", {}, call)
    assert summary == (
        "Search all documents for passages about the question "
        "(run 2; item 3; fallback: keyword_search instead of search_documents)"
    )
    bare = Step(id="s", tool="t")
    assert activity_summary(bare, "t", {"huge": "x" * 1000}, ActivityId("s")).startswith("t · ")
    assert len(activity_summary(bare, "t", {"huge": "x" * 1000}, ActivityId("s"))) <= 200


def test_planning_summaries_say_what_is_planned_and_why() -> None:
    docs = (_document("a.md"), _document("b.md"))
    request = PlanRequest(query="q", documents=docs, config=QueryConfig(strategy=Strategy.SIMPLE))
    assert plan_summary(request) == "plan: simple strategy over 2 documents"
    given = request.model_copy(update={"given_plan": PLAN})
    assert plan_summary(given) == "plan: check the given qa plan (4 steps)"
    direct = request.model_copy(update={"direct": True})
    assert plan_summary(direct, "confidence 0.31 < 0.7") == (
        "plan: the direct path (search + answer), because confidence 0.31 < 0.7"
    )
    assert resolve_summary(1, 0, 1) == "resolve 1 document"
    assert resolve_summary(200, 1, 3) == "resolve 200 documents (batch 2 of 3)"
    query = QueryRequest(
        query="q", documents=["a.md", "b.md", "c.md"], config=QueryConfig(strategy=Strategy.SIMPLE)
    )
    assert resolve_and_plan_summary(query) == ("resolve 3 documents, then plan (simple strategy)")
    given_query = query.model_copy(update={"documents": ["a.md"], "plan": PLAN})
    assert resolve_and_plan_summary(given_query) == (
        "resolve 1 document, then check the given qa plan (4 steps)"
    )


def test_a_replan_says_which_step_failed_and_why() -> None:
    context = ReplanContext(
        attempt=2,
        failed_step="answer",
        failed_tools=("picky_answer",),
        error="BadInput: refuses",
        also_failed={"b": "timeout"},
        completed={"a": "t"},
        previous_plan=PLAN,
    )
    request = PlanRequest(query="q", documents=(_document("a.md"),), replan=context)
    assert replan_summary(context) == "replan 2: answer (and 1 more) failed: BadInput: refuses"
    assert plan_summary(request) == replan_summary(context)
    details = replan_details(context)
    assert "- answer: BadInput: refuses" in details and "- b: timeout" in details
    assert "**Tools avoided**: picky_answer" in details and "**Kept** (completed): a" in details


def test_the_plan_table_lists_steps_tools_and_what_each_depends_on() -> None:
    assert plan_table(PLAN.steps).splitlines() == [
        "| step | tool | depends on |",
        "|---|---|---|",
        "| a | t | — |",
        "| b | t | a |",
        "| c | t | a |",
        "| d | t | b, c |",
    ]
    with_status = plan_table(PLAN.steps, {"a": "done (0.90)", "b": "failed: A|B"})
    assert "| a | t | — | done (0.90) |" in with_status
    assert "| b | t | a | failed: A\\|B |" in with_status  # a pipe would split the cell
    assert "| d | t | b, c | waiting |" in with_status


def test_static_details_name_the_question_the_documents_and_a_given_plan() -> None:
    details = start_details("q?", [f"doc{i}.md" for i in range(12)], PLAN)
    assert details.startswith("**Question**: q?")
    assert "- doc9.md" in details and "doc10.md" not in details and "… and 2 more" in details
    assert "**Plan** (given, qa):" in details and "| d | t | b, c |" in details
    assert "**Plan**" not in start_details("q?", ["a.md"])


def test_a_long_plan_lists_the_first_rows_and_counts_the_rest() -> None:
    steps = [Step(id=f"s{i}", tool="t") for i in range(TABLE_ROWS + 5)]
    lines = plan_table(steps).splitlines()
    assert lines[2 + TABLE_ROWS - 1] == f"| s{TABLE_ROWS - 1} | t | — |"
    assert lines[-1] == "… and 5 more steps" and f"| s{TABLE_ROWS} |" not in lines
