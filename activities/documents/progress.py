"""Progress of the parse running in this context, for the ingest activity's heartbeats.

The ingest activity opens a :func:`tracking` scope and parses in a worker thread
(``asyncio.to_thread`` carries the context over); parsers call :func:`report_pages` after each
page, and the activity's heartbeat loop reads :meth:`ParseProgress.details`. Outside a scope
(tests, benchmarks, the CLI) reporting does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class ParseProgress:
    """Pages parsed so far in the document being parsed (0 of 0 before a paged parser starts)."""

    pages_done: int = 0
    pages_total: int = 0

    def details(self) -> dict[str, int]:
        """What a heartbeat carries: ``{"pages_done": n, "pages_total": m}``."""
        return {"pages_done": self.pages_done, "pages_total": self.pages_total}


_current: ContextVar[ParseProgress | None] = ContextVar("docorch_parse_progress", default=None)


@contextmanager
def tracking() -> Iterator[ParseProgress]:
    """A fresh ParseProgress that parses started in this context (and threads started from
    it with ``asyncio.to_thread``) report to."""
    progress = ParseProgress()
    token = _current.set(progress)
    try:
        yield progress
    finally:
        _current.reset(token)


def report_pages(done: int, total: int) -> None:
    """Record that ``done`` of ``total`` pages are parsed (no-op outside :func:`tracking`)."""
    progress = _current.get()
    if progress is not None:
        progress.pages_done = done
        progress.pages_total = total
