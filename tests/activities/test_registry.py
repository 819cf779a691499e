"""The tool registry: schemas from signatures, validation messages, policies, activities."""

from __future__ import annotations

import pytest

from activities.errors import UnknownTool
from activities.registry import ToolRegistry
from activities.tools.catalog import default_registry
from models.documents import DocumentRef
from models.tools import Reliability


def lookup_rates(ticker: str, days: int = 7, exact: bool | None = None) -> dict[str, float]:
    """Look up exchange rates for a ticker.

    Longer text the planner does not need.
    """
    return {}


def test_schema_and_description_come_from_the_signature() -> None:
    registry = ToolRegistry()
    spec = registry.register_function(
        lookup_rates, reliability=Reliability.LOW, estimated_duration=2.0
    )
    assert spec.description == "Look up exchange rates for a ticker."
    assert spec.parameters["required"] == ["ticker"]
    assert spec.parameters["properties"]["days"]["default"] == 7
    assert spec.result["type"] == "object"
    assert registry.catalog() == [spec]


def test_reliability_and_duration_set_the_policy() -> None:
    registry = ToolRegistry()
    registry.register_function(lookup_rates, reliability=Reliability.LOW, estimated_duration=3.0)
    policy = registry.policy("lookup_rates")
    assert policy.max_attempts == 5
    assert policy.start_to_close_seconds == 30.0
    assert policy.heartbeat_seconds is not None
    assert "InvalidParameters" in policy.non_retryable_error_types
    assert policy.reliability_weight == Reliability.LOW.weight


def test_the_activity_is_named_after_the_tool() -> None:
    registry = ToolRegistry()
    registry.register_function(lookup_rates, name="rates")
    (activity,) = registry.activities()
    assert activity.__temporal_activity_definition.name == "rates"  # type: ignore[attr-defined]


def test_validation_names_the_field_and_the_expected_type() -> None:
    registry = default_registry()
    problems = registry.validate_params(
        "search_documents", {"query": 3, "top_k": "many", "colour": "red"}
    )
    text = " | ".join(problems)
    assert "unknown parameter 'colour'" in text
    assert "missing required parameter 'documents' (expected array)" in text
    assert "parameter 'query' expected string, got int" in text
    assert "parameter 'top_k' expected integer, got str" in text


def test_references_are_accepted_until_run_time() -> None:
    registry = default_registry()
    assert (
        registry.validate_params(
            "answer_question", {"question": "q", "passages": ["$search_1.passages"]}
        )
        == []
    )


def test_unknown_tool_suggests_the_closest_names() -> None:
    registry = default_registry()
    with pytest.raises(UnknownTool, match="did you mean search_documents"):
        registry.get("search_document")


def test_undescribable_functions_are_refused() -> None:
    registry = ToolRegistry()

    def no_doc(x: int) -> int:
        return x

    def untyped(x):  # type: ignore[no-untyped-def]
        """Untyped."""
        return x

    with pytest.raises(ValueError, match="needs a docstring"):
        registry.register_function(no_doc)
    with pytest.raises(ValueError, match="needs a type hint"):
        registry.register_function(untyped)
    registry.register_function(lookup_rates)
    with pytest.raises(ValueError, match="already registered"):
        registry.register_function(lookup_rates)


def test_model_parameters_are_validated_as_models() -> None:
    registry = default_registry()
    good = {"document": DocumentRef(id="abc", name="a.md").model_dump(), "max_sentences": 2}
    assert registry.validate_params("summarize_document", good) == []
    assert registry.validate_params("summarize_document", {"document": {"name": "a.md"}})


def test_a_tool_that_is_not_idempotent_is_tried_once() -> None:
    registry = ToolRegistry()
    registry.register_function(lookup_rates, reliability=Reliability.LOW, idempotent=False)
    assert registry.policy("lookup_rates").max_attempts == 1


def test_a_given_heartbeat_timeout_is_kept_even_for_short_tools() -> None:
    registry = ToolRegistry()
    registry.register_function(lookup_rates, timeout=5, heartbeat=1)
    policy = registry.policy("lookup_rates")
    assert (policy.start_to_close_seconds, policy.heartbeat_seconds) == (5, 1)


@pytest.mark.parametrize("top_k", [0, -3, 10**19])
def test_a_search_for_no_or_impossibly_many_passages_is_an_invalid_plan(top_k: int) -> None:
    """top_k -3 read all passages but the last three, 10**19 overflowed SQLite inside the
    tool (an untyped, retried error): the tool's bounds are in its schema, so the planner
    refuses them before anything runs (and the planner sees them)."""
    registry = default_registry()
    problems = registry.validate_params(
        "search_documents", {"query": "q", "documents": [], "top_k": top_k}
    )
    assert len(problems) == 1 and "parameter 'top_k'" in problems[0], problems
    schema = registry.get("search_documents").spec.parameters["properties"]["top_k"]
    assert schema["minimum"] == 1 and schema["maximum"] >= 50
    assert registry.validate_params("search_documents", {"query": "q", "documents": []}) == []
