"""Small test tools for traces: one that fails once per key, one that always fails and has an
alternative. Registered in a test registry next to the built-in tools."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from activities.registry import ToolRegistry
from activities.tools.catalog import default_registry
from activities.tools.results import SearchResult
from activities.tools.search import search_documents
from models.documents import DocumentRef
from models.tools import Reliability

_calls: Counter[str] = Counter()


def flaky_search(query: str, documents: list[DocumentRef], key: str, top_k: int = 5) -> SearchResult:
    """Search like search_documents, but fail the first call for each key (a transient error)."""
    _calls[key] += 1
    if _calls[key] == 1:
        raise ConnectionError(f"flaky_search: transient failure for {key}")
    return search_documents(query, documents, top_k=top_k)


def broken_search(query: str, documents: list[DocumentRef], top_k: int = 5) -> SearchResult:
    """A search backend that is down: every call fails."""
    raise RuntimeError("broken_search: backend unavailable")


def fault_registry() -> ToolRegistry:
    """The built-in tools plus flaky_search and broken_search (alternative: search_documents)."""
    registry = default_registry()
    registry.register_function(flaky_search, reliability=Reliability.HIGH, estimated_duration=0.2)
    registry.register_function(
        broken_search,
        reliability=Reliability.EXPERIMENTAL,
        estimated_duration=0.2,
        alternatives=("search_documents",),
    )
    return registry


def retry_and_fallback_plan(question: str) -> dict[str, Any]:
    """search_a (flaky: one retry) and search_b (broken: falls back) -> answer."""
    return {
        "query": question,
        "query_type": "qa",
        "reasoning": "two searches, one flaky and one broken, then an answer",
        "steps": [
            {"id": "search_a", "tool": "flaky_search", "description": "flaky search",
             "params": {"query": "$input.query", "documents": "$input.documents",
                        "key": uuid.uuid4().hex}},
            {"id": "search_b", "tool": "broken_search", "description": "broken search",
             "params": {"query": "$input.query", "documents": "$input.documents"}},
            {"id": "answer", "tool": "answer_question", "description": "answer",
             "params": {"question": "$input.query",
                        "passages": ["$search_a.passages", "$search_b.passages"]}},
        ],
        "answer_step": "answer",
    }
