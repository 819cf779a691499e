"""The activity-id grammar: what the executor writes, the trace parses back to the same parts."""

from __future__ import annotations

import pytest

from models.names import (
    ActivityId,
    repetition_id,
    replan_activity_id,
    replan_attempt,
    replan_workflow_id,
    resolve_id,
)


@pytest.mark.parametrize(
    ("activity_id", "text"),
    [
        (ActivityId("search_1"), "search_1"),
        (ActivityId("search_1", iteration=3), "search_1#3"),
        (ActivityId("each", item=12), "each[12]"),
        (ActivityId("each", item=0, fallback="answer_question"), "each[0]~answer_question"),
        (ActivityId("s-2", iteration=2, fallback="t"), "s-2#2~t"),
    ],
)
def test_activity_ids_are_written_and_parsed_back(activity_id: ActivityId, text: str) -> None:
    assert str(activity_id) == text
    assert ActivityId.parse(text) == activity_id


def test_repetitions_count_from_the_bare_step_id() -> None:
    assert [str(repetition_id("s", n)) for n in range(3)] == ["s", "s#2", "s#3"]


def test_a_fallback_keeps_the_call_it_replaces() -> None:
    assert str(ActivityId("s", item=1).falling_back_to("other")) == "s[1]~other"


@pytest.mark.parametrize("text", ["", "a.b", "s#x", "s[1", "#2"])
def test_what_no_step_could_have_written_does_not_parse(text: str) -> None:
    assert ActivityId.parse(text) is None


def test_planning_ids_and_replan_children() -> None:
    assert resolve_id(0) == "resolve_1" and replan_activity_id(2) == "replan_2"
    child = replan_workflow_id("query-1-replan-x", 2)
    assert child == "query-1-replan-x-replan-2" and replan_attempt(child) == 2
    assert replan_attempt("query-1") is None
    assert replan_attempt("-replan-3") is None
    assert replan_attempt("query-1-replan-x") is None
