"""Tool extensions as a careless user writes them, for the tests that pin what docorch does
with each: a tool named like a built-in or like one of the worker's own activities, types with
no JSON form, a result unlike its declared type, a tool that exits the process, one that never
returns. ``tests.careless_import`` is an extension whose module raises as it is imported."""

from __future__ import annotations

import sys
import threading

from pydantic import BaseModel

from activities.registry import ToolRegistry


class Answer(BaseModel):
    """An answer-shaped result."""

    answer: str


class Opaque:
    """A class pydantic cannot describe."""


def search_documents(query: str) -> Answer:
    """A search of my own, named like the built-in one."""
    return Answer(answer=query)


def plan_query(query: str) -> Answer:
    """Named like the worker's planning activity."""
    return Answer(answer=query)


def opaque(query: str) -> Opaque:
    """Returns an object with no JSON form."""
    return Opaque()


def says_answer_returns_text(query: str) -> Answer:
    """Declares an Answer, returns a string."""
    return query  # type: ignore[return-value]


def returns_anything(query: str):  # type: ignore[no-untyped-def]
    """No return annotation, and a result with no JSON form."""
    return object()


def exits(query: str) -> Answer:
    """Ends the process, as a command-line library might."""
    sys.exit(2)


async def exits_async(query: str) -> Answer:
    """Ends the process from the event loop."""
    raise KeyboardInterrupt


STARTED = threading.Event()
RELEASE = threading.Event()


def never_returns(query: str) -> Answer:
    """Waits until the test releases it (for a real user's tool: forever)."""
    STARTED.set()
    RELEASE.wait()
    return Answer(answer=query)


def register_shadowing_search(registry: ToolRegistry) -> None:
    """Registers ``search_documents``."""
    registry.register_function(search_documents)


def register_shadowing_planner(registry: ToolRegistry) -> None:
    """Registers ``plan_query``."""
    registry.register_function(plan_query)


def register_opaque(registry: ToolRegistry) -> None:
    """Registers ``opaque``."""
    registry.register_function(opaque)


def register_misbehaving(registry: ToolRegistry) -> None:
    """Registers the tools that misbehave when they run."""
    for tool in (says_answer_returns_text, returns_anything, exits, exits_async, never_returns):
        registry.register_function(tool)


def exit_while_registering(registry: ToolRegistry) -> None:
    """Ends the process instead of registering anything."""
    sys.exit("no licence")
