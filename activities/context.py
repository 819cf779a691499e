"""What tools may use besides their arguments: the settings and the store's facets (documents
and search, tool figures, the LLM ledger).

The worker installs one context at start; tools call ``current()``. Keeping it here means tool
functions stay plain typed Python (no temporalio), and tests can install their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.settings import Settings
from store import DocumentStore, ToolFigures, UsageLedger, open_store


@dataclass(frozen=True)
class ToolContext:
    settings: Settings
    store: DocumentStore
    figures: ToolFigures
    ledger: UsageLedger


_context: ToolContext | None = None


def install(settings: Settings) -> ToolContext:
    """Open the store for ``settings`` (DOCORCH_STORE_URL) and make it the context tools see."""
    global _context
    if _context is None or _context.settings != settings:
        opened = open_store(settings)
        _context = ToolContext(
            settings=settings,
            store=opened.documents,
            figures=opened.figures,
            ledger=opened.ledger,
        )
    return _context


def installed() -> ToolContext | None:
    """The context, or None outside a worker (tools called directly in tests)."""
    return _context


def current() -> ToolContext:
    if _context is None:
        raise RuntimeError("no tool context installed: the worker calls activities.context.install")
    return _context
