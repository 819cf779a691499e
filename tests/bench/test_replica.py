"""The bare baseline's calls wait for what docorch's steps waited for: the planning calls one
after the other, then each step's calls for the planning and the steps it depends on."""

from __future__ import annotations

from bench.bare_calls import BareCall
from bench.replica import with_dependencies
from models.config import QueryType
from models.plan import Plan, Step


def _plan() -> Plan:
    return Plan(
        query="q",
        query_type=QueryType.QA,
        steps=(
            Step(id="search_1", tool="search_documents", params={"query": "a"}),
            Step(id="search_2", tool="search_documents", params={"query": "b"}),
            Step(
                id="answer_1",
                tool="answer_question",
                params={"passages": ["$search_1.passages", "$search_2.passages"]},
            ),
        ),
        answer_step="answer_1",
    )


def _calls(*ids: str) -> list[BareCall]:
    return [BareCall(i, "tool", {}) for i in ids]


def test_steps_wait_for_the_planning_calls_and_the_steps_they_refer_to() -> None:
    calls = with_dependencies(
        _calls("resolve_1", "plan", "search_1", "search_2", "answer_1"), _plan()
    )
    assert [c.depends_on for c in calls] == [[], [0], [0, 1], [0, 1], [0, 1, 2, 3]]


def test_a_repetition_and_a_fallback_wait_for_the_calls_of_their_step_before_them() -> None:
    calls = with_dependencies(
        _calls("plan", "search_1", "search_2", "search_1#2", "search_2~other", "answer_1"),
        _plan(),
    )
    assert [c.depends_on for c in calls] == [
        [],
        [0],
        [0],
        [0, 1],  # search_1's second run waits for its first
        [0, 2],  # the fallback waits for the failed call
        [0, 1, 2, 3, 4],
    ]
