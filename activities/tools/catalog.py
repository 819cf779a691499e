"""The built-in tool set, registered with reliability, durations and alternatives, and the
worker's own tools added by extensions (DOCORCH_TOOLS)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from activities.registry import ToolRegistry
from activities.tools.answer import answer_question, compose_answers
from activities.tools.compare import compare_documents
from activities.tools.entities import extract_entities
from activities.tools.search import search_documents
from activities.tools.summarize import summarize_document
from activities.tools.tables import extract_tables
from models.tools import Reliability, ToolExtensionError

LLM_TOOL_TIMEOUT = 60.0
LLM_TOOL_HEARTBEAT = 5.0


def register_builtin_tools(registry: ToolRegistry) -> ToolRegistry:
    """Register every built-in tool on ``registry`` and return it."""
    registry.register_function(
        search_documents, reliability=Reliability.HIGH, estimated_duration=0.2
    )
    # with an LLM configured these two wait for the model (each call bounded by the timeout);
    # a short heartbeat still hands a dead worker's call to another one quickly
    registry.register_function(
        summarize_document,
        reliability=Reliability.HIGH,
        estimated_duration=0.5,
        timeout=LLM_TOOL_TIMEOUT,
        heartbeat=LLM_TOOL_HEARTBEAT,
    )
    registry.register_function(
        answer_question,
        reliability=Reliability.HIGH,
        estimated_duration=0.3,
        accepts_missing_inputs=True,
        timeout=LLM_TOOL_TIMEOUT,
        heartbeat=LLM_TOOL_HEARTBEAT,
    )
    registry.register_function(
        compose_answers,
        reliability=Reliability.HIGH,
        estimated_duration=0.1,
        accepts_missing_inputs=True,
    )
    # regex passes over the stored text: deterministic, a few hundred ms even for long documents
    registry.register_function(
        extract_entities, reliability=Reliability.HIGH, estimated_duration=0.4, timeout=60.0
    )
    # reads the tables the parser already stored: cheap
    registry.register_function(extract_tables, reliability=Reliability.HIGH, estimated_duration=0.2)
    # sentence pairing and token diffs grow with document length; heuristics can misalign
    registry.register_function(
        compare_documents, reliability=Reliability.MEDIUM, estimated_duration=1.0, timeout=120.0
    )
    return registry


def default_registry() -> ToolRegistry:
    """A registry holding the built-in tools."""
    return register_builtin_tools(ToolRegistry())


def registry_with(extensions: Sequence[str]) -> ToolRegistry:
    """The built-in tools, then those each extension registers: ``module:function`` entries,
    each function called with the registry (``registry.register_function(my_tool, ...)``).
    An entry listed again (DOCORCH_TOOLS and ``--tools`` both naming it) is loaded once.
    Raises ToolExtensionError naming the extension that fails: its module does not import
    (or raises while it does), it has no such function, or registering raises (e.g. a tool
    named like a built-in one)."""
    registry = default_registry()
    for entry in dict.fromkeys(extensions):
        module_name, _, function_name = entry.partition(":")
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # the module's own code runs: any failure is its message
            raise ToolExtensionError(
                f"tool extension {entry}: cannot import {module_name}: "
                f"{type(error).__name__}: {error}"
            ) from None
        register = getattr(module, function_name, None)
        if register is None:
            raise ToolExtensionError(
                f"tool extension {entry}: module {module_name!r} has no attribute {function_name!r}"
            )
        if not callable(register):
            raise ToolExtensionError(f"tool extension {entry}: not a function")
        try:
            register(registry)
        except (Exception, SystemExit) as error:  # the extension's code: its failure, its message
            raise ToolExtensionError(
                f"tool extension {entry} failed: {type(error).__name__}: {error}"
            ) from None
    return registry


__all__ = ["ToolExtensionError", "default_registry", "register_builtin_tools", "registry_with"]
