"""The built-in tool set, registered with reliability, durations and alternatives."""

from __future__ import annotations

from activities.registry import ToolRegistry
from activities.tools.answer import answer_question, compose_answers
from activities.tools.search import search_documents
from activities.tools.summarize import summarize_document
from models.tools import Reliability


def register_builtin_tools(registry: ToolRegistry) -> ToolRegistry:
    """Register every built-in tool on ``registry`` and return it."""
    registry.register_function(search_documents, reliability=Reliability.HIGH, estimated_duration=0.2)
    registry.register_function(
        summarize_document, reliability=Reliability.HIGH, estimated_duration=0.5
    )
    registry.register_function(
        answer_question,
        reliability=Reliability.HIGH,
        estimated_duration=0.3,
        accepts_missing_inputs=True,
    )
    registry.register_function(
        compose_answers,
        reliability=Reliability.HIGH,
        estimated_duration=0.1,
        accepts_missing_inputs=True,
    )
    return registry


def default_registry() -> ToolRegistry:
    return register_builtin_tools(ToolRegistry())
