"""The grammar of docorch's workflow ids, in one place, so a query's id and a session's id
cannot be taken for each other.

    query-<token>                 a QueryWorkflow started by a client (``/chat``, ``sdk.start``)
    session-<token>               a SessionWorkflow
    session-<token>-turn-<n>      the QueryWorkflow answering a session's n-th question

``<token>`` is letters, digits and ``. _ : -``, starting with a letter or a digit (a uuid by
default). ``QueryId`` and ``SessionId`` are the pydantic types a boundary validates against.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints, TypeAdapter

QUERY_PREFIX = "query-"
SESSION_PREFIX = "session-"
TURN_INFIX = "-turn-"

_TOKEN = r"[A-Za-z0-9][A-Za-z0-9._:\-]"
WORKFLOW_ID_PATTERN = rf"^{_TOKEN}{{0,199}}$"
"""Any workflow id docorch reads (queries, turns, sessions, ingests, previews, replans)."""
QUERY_ID_PATTERN = rf"^query-{_TOKEN}{{0,179}}$"
SESSION_ID_PATTERN = rf"^session-{_TOKEN}{{0,149}}$"
"""A session's id; the ``SessionId`` type also refuses a turn's id, which matches it too."""
_TURN = re.compile(rf"{re.escape(TURN_INFIX)}[0-9]+$")


def is_turn_id(workflow_id: str) -> bool:
    """True for the id of a session's turn (``session-<token>-turn-<n>``)."""
    return workflow_id.startswith(SESSION_PREFIX) and _TURN.search(workflow_id) is not None


def _not_a_turn(session_id: str) -> str:
    if is_turn_id(session_id):
        raise ValueError(
            f"{session_id!r} is a session turn's query, not a session: "
            f"use the session id before {TURN_INFIX!r}"
        )
    return session_id


def _not_for_a_session(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(SESSION_PREFIX):
        kind = "a session turn's id" if is_turn_id(value) else "a session's id"
        raise ValueError(
            f"{value!r} is {kind}: a query started by a client has an id starting with "
            f"{QUERY_PREFIX!r}"
        )
    return value


def _not_a_query(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(QUERY_PREFIX):
        raise ValueError(
            f"{value!r} is a query's id, not a session's (those start with {SESSION_PREFIX!r})"
        )
    return value


def _not_a_session(workflow_id: str) -> str:
    if workflow_id.startswith(SESSION_PREFIX) and not is_turn_id(workflow_id):
        raise ValueError(
            f"{workflow_id!r} is a session's id, not a query's: a query's id starts with "
            f"{QUERY_PREFIX!r} (or is a session turn's, ending in '{TURN_INFIX}<n>')"
        )
    return workflow_id


QueryId = Annotated[
    str, StringConstraints(pattern=QUERY_ID_PATTERN), BeforeValidator(_not_for_a_session)
]
"""The id a client may give a query it starts: ``query-<token>``."""
SessionId = Annotated[
    str,
    StringConstraints(pattern=SESSION_ID_PATTERN),
    BeforeValidator(_not_a_query),
    AfterValidator(_not_a_turn),
]
"""A session's id: ``session-<token>``, a turn's id refused."""
QueryRef = Annotated[str, AfterValidator(_not_a_session)]
"""An id a query is looked up by: a query's or a turn's id, never a session's."""
_STARTABLE: TypeAdapter[str] = TypeAdapter(Annotated[str, BeforeValidator(_not_for_a_session)])
_QUERY_REF: TypeAdapter[str] = TypeAdapter(QueryRef)
_SESSION_ID: TypeAdapter[str] = TypeAdapter(SessionId)


def query_id_to_start(workflow_id: str) -> str:
    """``workflow_id`` when the SDK may start a query with it; pydantic.ValidationError for an
    id in the sessions' namespace (a session's, or a turn's, which would take the id its
    session gives its next turn). docorch's own ids are ``query-<token>`` (``QueryId``, which
    the HTTP API requires); the SDK leaves other ids to its caller."""
    return _STARTABLE.validate_python(workflow_id)


def query_id_to_read(workflow_id: str) -> str:
    """``workflow_id`` when a query may be looked up by it; pydantic.ValidationError for a
    session's id (waiting on a session as if it were a query would hang until it closes)."""
    return _QUERY_REF.validate_python(workflow_id)


def session_workflow_id(session: str) -> str:
    """The session's workflow id: ``session`` when it is one, ``session-<session>`` for a bare
    token. pydantic.ValidationError for a query's id, a turn's id or a malformed one."""
    if not session.startswith((SESSION_PREFIX, QUERY_PREFIX)):
        session = f"{SESSION_PREFIX}{session}"
    return _SESSION_ID.validate_python(session)


def turn_workflow_id(session: str, turn: int) -> str:
    """The id of the QueryWorkflow answering the session's ``turn``-th question."""
    return f"{session}{TURN_INFIX}{turn}"


def fresh_query_id() -> str:
    """A new query id, ``query-<uuid>``."""
    return f"{QUERY_PREFIX}{uuid.uuid4()}"


def fresh_session_id() -> str:
    """A new session id, ``session-<uuid>``."""
    return f"{SESSION_PREFIX}{uuid.uuid4()}"
