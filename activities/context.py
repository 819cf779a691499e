"""What tools may use besides their arguments: the settings, the document store and the state
store.

The worker installs one context at start; tools call ``current()``. Keeping it here means tool
functions stay plain typed Python (no temporalio), and tests can install their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from activities.documents.store import DocumentStore
from activities.state import StateStore
from models.settings import Settings


@dataclass(frozen=True)
class ToolContext:
    settings: Settings
    store: DocumentStore
    state: StateStore


_context: ToolContext | None = None


def install(settings: Settings) -> ToolContext:
    """Create the store for ``settings`` and make it the context tools see."""
    global _context
    if _context is None or _context.settings != settings:
        _context = ToolContext(
            settings=settings,
            store=DocumentStore(settings.data_dir),
            state=StateStore(settings.data_dir),
        )
    return _context


def installed() -> ToolContext | None:
    """The context, or None outside a worker (tools called directly in tests)."""
    return _context


def current() -> ToolContext:
    if _context is None:
        raise RuntimeError("no tool context installed: the worker calls activities.context.install")
    return _context
