"""Small test tools for traces: one that fails once per key, one that always fails and has an
alternative, an answer tool that rejects its input (so the query replans), and a slow search.
Registered in a test registry next to the built-in tools."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

from activities.errors import BadInput
from activities.registry import ToolRegistry
from activities.tools.catalog import default_registry
from activities.tools.results import Answer, SearchResult
from activities.tools.search import search_documents
from models.documents import DocumentRef, Passage
from models.tools import Reliability

_calls: Counter[str] = Counter()


def flaky_search(
    query: str, documents: list[DocumentRef], key: str, top_k: int = 5
) -> SearchResult:
    """Search like search_documents, but fail the first call for each key (a transient error)."""
    _calls[key] += 1
    if _calls[key] == 1:
        raise ConnectionError(f"flaky_search: transient failure for {key}")
    return search_documents(query, documents, top_k=top_k)


def broken_search(query: str, documents: list[DocumentRef], top_k: int = 5) -> SearchResult:
    """A search backend that is down: every call fails."""
    raise RuntimeError("broken_search: backend unavailable")


def picky_answer(question: str, passages: list[Passage]) -> Answer:
    """An answer tool that refuses every input (a bad-input error: never retried)."""
    raise BadInput("picky_answer: refuses to answer")


async def slow_search(
    query: str, documents: list[DocumentRef], seconds: float = 3.0, top_k: int = 5
) -> SearchResult:
    """Search like search_documents, after waiting ``seconds``."""
    await asyncio.sleep(seconds)
    return search_documents(query, documents, top_k=top_k)


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
    registry.register_function(picky_answer, reliability=Reliability.HIGH, estimated_duration=0.1)
    registry.register_function(slow_search, reliability=Reliability.HIGH, estimated_duration=1.0)
    return registry


def retry_and_fallback_plan(question: str) -> dict[str, Any]:
    """search_a (flaky: one retry) and search_b (broken: falls back) -> answer."""
    return {
        "query": question,
        "query_type": "qa",
        "reasoning": "two searches, one flaky and one broken, then an answer",
        "steps": [
            {
                "id": "search_a",
                "tool": "flaky_search",
                "description": "flaky search",
                "params": {
                    "query": "$input.query",
                    "documents": "$input.documents",
                    "key": uuid.uuid4().hex,
                },
            },
            {
                "id": "search_b",
                "tool": "broken_search",
                "description": "broken search",
                "params": {"query": "$input.query", "documents": "$input.documents"},
            },
            {
                "id": "answer",
                "tool": "answer_question",
                "description": "answer",
                "params": {
                    "question": "$input.query",
                    "passages": ["$search_a.passages", "$search_b.passages"],
                },
            },
        ],
        "answer_step": "answer",
    }


def _answer_from(step_id: str, tool: str = "answer_question") -> dict[str, Any]:
    return {
        "id": "answer",
        "tool": tool,
        "description": "answer",
        "params": {"question": "$input.query", "passages": f"${step_id}.passages"},
    }


def replan_plan(question: str) -> dict[str, Any]:
    """search -> picky_answer, which fails for good: the query replans its answer step."""
    return {
        "query": question,
        "query_type": "qa",
        "reasoning": "an answer step that refuses",
        "steps": [
            {
                "id": "search",
                "tool": "search_documents",
                "description": "search",
                "params": {"query": "$input.query", "documents": "$input.documents"},
            },
            _answer_from("search", "picky_answer"),
        ],
        "answer_step": "answer",
    }


def slow_plan(question: str, seconds: float = 3.0) -> dict[str, Any]:
    """slow_search (``seconds``) -> answer: long enough to watch it run, or cancel it."""
    return {
        "query": question,
        "query_type": "qa",
        "reasoning": "a slow search, then an answer",
        "steps": [
            {
                "id": "search",
                "tool": "slow_search",
                "description": "slow search",
                "params": {
                    "query": "$input.query",
                    "documents": "$input.documents",
                    "seconds": seconds,
                },
            },
            _answer_from("search"),
        ],
        "answer_step": "answer",
    }
