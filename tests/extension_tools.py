"""A tool extension as a user writes one: ``DOCORCH_TOOLS=tests.extension_tools:register`` (or
``docorch worker --tools tests.extension_tools:register``) adds ``count_words`` to the worker's
built-in tools. ``broken`` is an extension whose registration fails."""

from __future__ import annotations

from pydantic import BaseModel

from activities.context import current
from activities.registry import ToolRegistry
from models.documents import DocumentRef
from models.tools import Reliability


class WordCount(BaseModel):
    """An answer (the ``answer`` field is what a query's answer step must give)."""

    answer: str
    confidence: float = 1.0


def count_words(documents: list[DocumentRef]) -> WordCount:
    """Count the words of each document, from the text the store holds."""
    store = current().store
    lines = [
        f"{d.name}: {sum(len(p.text.split()) for p in store.passages(d.id))} words"
        for d in documents
    ]
    return WordCount(answer="\n".join(lines))


def register(registry: ToolRegistry) -> None:
    """Register this extension's tools."""
    registry.register_function(count_words, reliability=Reliability.HIGH, estimated_duration=0.1)


def broken(registry: ToolRegistry) -> None:
    """An extension that cannot register its tools."""
    raise RuntimeError("the licence server for these tools is unreachable")


NOT_A_FUNCTION = 42
