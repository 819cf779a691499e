"""The workflow id grammar: a query's id, a session's and a turn's are told apart."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from models.ids import (
    QueryId,
    fresh_query_id,
    fresh_session_id,
    is_turn_id,
    query_id_to_read,
    query_id_to_start,
    session_workflow_id,
    turn_workflow_id,
)


def test_fresh_ids_follow_the_grammar() -> None:
    query, session = fresh_query_id(), fresh_session_id()
    assert query_id_to_start(query) == query and query_id_to_read(query) == query
    assert session_workflow_id(session) == session
    turn = turn_workflow_id(session, 3)
    assert is_turn_id(turn) and query_id_to_read(turn) == turn
    assert not is_turn_id(session) and not is_turn_id(query)


def test_a_bare_session_token_gets_the_prefix() -> None:
    assert session_workflow_id("team-review") == "session-team-review"


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("session-abc", "is a session's id"),
        ("session-abc-turn-2", "is a session turn's id"),
        ("abc", "String should match pattern"),
        ("query-", "String should match pattern"),
        ("query-../x", "String should match pattern"),
    ],
)
def test_the_api_starts_a_query_only_with_a_query_id(bad: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        TypeAdapter(QueryId).validate_python(bad)


def test_the_sdk_starts_no_query_in_the_sessions_namespace() -> None:
    assert query_id_to_start("recorded_history_id") == "recorded_history_id"
    for bad in ("session-abc", "session-abc-turn-2"):
        with pytest.raises(ValidationError, match="a query started by a client"):
            query_id_to_start(bad)


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("query-abc", "is a query's id"),
        ("session-abc-turn-7", "is a session turn's query"),
        ("session-a b", "String should match pattern"),
    ],
)
def test_a_session_is_named_only_by_a_session_id(bad: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        session_workflow_id(bad)


def test_a_query_is_never_read_through_a_session_id() -> None:
    with pytest.raises(ValidationError, match="is a session's id"):
        query_id_to_read("session-abc")
