"""Property tests of what clients send (QueryRequest, QueryConfig, SessionState, SessionConfig,
AskRequest, DocumentsChange): any JSON either validates or raises ValidationError, and what
validates is safe for the workflow that receives it — every duration makes a ``timedelta`` and a
Temporal timer, the payload is under its cap, and the workflow decodes exactly what the client
sent. Hypothesis with a fixed seed and example count (no time budget)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from models.config import QueryConfig
from models.limits import (
    MAX_DOCUMENT_NAMES_BYTES,
    MAX_DOCUMENTS,
    MAX_REQUEST_BYTES,
    MIN_TIMER_SECONDS,
    json_bytes,
    name_batches,
    names_bytes,
)
from models.query import QueryRequest, ResolveRequest
from models.session import AskRequest, DocumentsChange, SessionConfig, SessionState

EXTREME_FLOATS = st.sampled_from(
    [0.0, -0.0, 1e-300, 1e-10, 5e-4, 0.001, 1.5, 3600.0, 6.048e5, 3.2e7, 1e14, 1e300]
)
non_finite = st.sampled_from([float("inf"), float("-inf"), float("nan")])
numbers = (
    st.integers(min_value=-(2**80), max_value=2**80)
    | st.integers(min_value=0, max_value=100)
    | st.floats()
    | EXTREME_FLOATS
    | non_finite
    | st.sampled_from([10**12, 2**63, -1, 0, 1, 19, 20, 50, 64, 1000, 10_000, 10_001])
)
names = (
    st.text(max_size=20)
    | st.sampled_from(["", " ", "\t\n", " a.md ", "contracts/a.pdf", "doc-0123abcd"])
    | st.builds(lambda n, c: c * n, st.integers(0, 2000), st.sampled_from(["x", "é", "😀"]))
)
document_lists = st.lists(names, max_size=8) | st.builds(
    lambda n, size: [f"{i}-{'n' * size}" for i in range(n)],
    st.sampled_from([0, 1, 70, 999, 1000, 1001]),
    st.sampled_from([1, 60, 900]),
)
leaves = st.none() | st.booleans() | numbers | st.text(max_size=10)

QUERY_CONFIG_KEYS = list(QueryConfig.model_fields)
SESSION_CONFIG_KEYS = [k for k in SessionConfig.model_fields if k != "query"]


def _config(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    plausible = numbers | EXTREME_FLOATS | st.sampled_from(["eager", "simple", None])
    return st.dictionaries(st.sampled_from(keys), plausible | leaves, max_size=3)


query_configs = _config(QUERY_CONFIG_KEYS)
session_configs = st.builds(
    lambda base, query: {**base, **({"query": query} if query is not None else {})},
    _config(SESSION_CONFIG_KEYS),
    st.none() | query_configs,
)
questions = st.text(max_size=30) | st.sampled_from(["", "   ", "x" * 4000, "x" * 4001, "é" * 4000])
query_requests = st.fixed_dictionaries(
    {"query": questions, "documents": document_lists},
    optional={
        "config": query_configs,
        "session_id": st.text(max_size=5) | st.just("s" * 300),
        "history": st.lists(
            st.fixed_dictionaries(
                {"question": questions}, optional={"documents": st.lists(names, max_size=3)}
            ),
            max_size=60,
        ),
    },
)
session_states = st.fixed_dictionaries(
    {"session_id": st.text(max_size=8) | st.just("session-1")},
    optional={"documents": document_lists, "config": session_configs},
)
asks = st.fixed_dictionaries({"question": questions}, optional={"documents": document_lists})


def _validates_once(model: type[BaseModel], data: Any) -> BaseModel | None:
    """``data`` as ``model``, or None when it raises ValidationError (any other exception
    fails the test). What validates decodes again to the same value, as the workflow (or any
    other SDK's worker) decodes it from the payload."""
    try:
        value = model.model_validate(data)
    except ValidationError:
        event(f"{model.__name__}: refused")
        return None
    event(f"{model.__name__}: valid")
    assert model.model_validate_json(value.model_dump_json()) == value
    return value


def _timer_safe(seconds: float) -> None:
    """What the workflow and the SDK do with a duration: a timedelta and a timer of whole
    nanoseconds, at least one millisecond."""
    assert timedelta(seconds=seconds) >= timedelta(seconds=MIN_TIMER_SECONDS)
    assert int(seconds * 1e9) >= 1_000_000


def _config_safe(config: QueryConfig) -> None:
    if config.deadline_seconds is not None:
        _timer_safe(config.deadline_seconds)


def _names_safe(documents: tuple[str, ...] | list[str]) -> None:
    assert len(documents) <= MAX_DOCUMENTS
    assert names_bytes(documents) <= MAX_DOCUMENT_NAMES_BYTES
    assert all(d and d == d.strip() for d in documents)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(query_requests)
def test_a_query_request_validates_or_is_refused_and_is_safe_to_run(data: Any) -> None:
    request = _validates_once(QueryRequest, data)
    if isinstance(request, QueryRequest):
        assert request.query.strip() and request.documents
        _names_safe(request.documents)
        _config_safe(request.config)
        assert json_bytes(request) <= MAX_REQUEST_BYTES


@settings(derandomize=True, max_examples=200, deadline=None)
@given(query_configs)
def test_a_query_config_validates_or_is_refused_and_is_safe_to_run(data: Any) -> None:
    config = _validates_once(QueryConfig, data)
    if isinstance(config, QueryConfig):
        _config_safe(config)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(session_states)
def test_a_session_validates_or_is_refused_and_is_safe_to_run(data: Any) -> None:
    state = _validates_once(SessionState, data)
    if isinstance(state, SessionState):
        _names_safe(state.documents)
        _timer_safe(state.config.idle_timeout_seconds)
        _config_safe(state.config.query)
        assert state.config.continue_as_new_after_events <= 10_000


@settings(derandomize=True, max_examples=200, deadline=None)
@given(session_configs)
def test_a_session_config_validates_or_is_refused_and_is_safe_to_run(data: Any) -> None:
    config = _validates_once(SessionConfig, data)
    if isinstance(config, SessionConfig):
        _timer_safe(config.idle_timeout_seconds)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(asks, document_lists)
def test_session_updates_validate_or_are_refused(ask: Any, documents: Any) -> None:
    asked = _validates_once(AskRequest, ask)
    if isinstance(asked, AskRequest):
        assert asked.question.strip()
        _names_safe(asked.documents)
    change = _validates_once(DocumentsChange, {"documents": documents})
    if isinstance(change, DocumentsChange):
        _names_safe(change.documents)


@settings(derandomize=True, max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["a.md", "é" * 500, "n" * 1024]), max_size=2500))
def test_any_list_of_names_splits_into_requests_that_validate(documents: list[str]) -> None:
    batches = list(name_batches(documents))
    assert [d for batch in batches for d in batch] == documents
    for batch in batches:
        ResolveRequest(sources=batch)
