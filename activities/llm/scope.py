"""Which query and which activity attempt an LLM call belongs to.

Tool functions never import temporalio, so the activity wrappers (the registry's ``run_tool`` and
the planning activity) open an ``activity_scope()`` around the call; the LLM layer reads it with
``current_scope()`` to attribute usage to the query, enforce its budget, bound a call by the
activity's own timeout, and know whether a transient failure may still be retried.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from temporalio import activity


@dataclass(frozen=True)
class CallScope:
    """The activity attempt LLM calls are made for."""

    workflow_id: str
    activity_id: str
    attempt: int
    final_attempt: bool
    """No retry follows this attempt: transient LLM failures degrade instead of raising."""
    deadline: float | None = None
    """``time.monotonic()`` by which the attempt must be done (its start-to-close timeout)."""
    run_id: str = ""

    @property
    def query_key(self) -> str:
        """What usage and budget are kept under: the workflow run, so a workflow id reused for
        a new query starts from nothing."""
        return f"{self.workflow_id}/{self.run_id}" if self.run_id else self.workflow_id

    def seconds_left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()


_scope: ContextVar[CallScope | None] = ContextVar("docorch_llm_scope", default=None)


def current_scope() -> CallScope | None:
    """The scope of the running activity attempt; None outside activities (CLI, unit tests)."""
    return _scope.get()


def scope_of_current_activity() -> CallScope:
    """A scope for the activity running now (call only inside an activity)."""
    info = activity.info()
    maximum = info.retry_policy.maximum_attempts if info.retry_policy else 0
    timeout = info.start_to_close_timeout
    return CallScope(
        workflow_id=info.workflow_id or "",
        activity_id=info.activity_id,
        attempt=info.attempt,
        final_attempt=maximum > 0 and info.attempt >= maximum,
        deadline=time.monotonic() + timeout.total_seconds() if timeout else None,
        run_id=info.workflow_run_id or "",
    )


@contextmanager
def call_scope(scope: CallScope | None) -> Iterator[CallScope | None]:
    """Make ``scope`` current inside the block (tasks and threads started in it inherit it)."""
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


@contextmanager
def activity_scope() -> Iterator[CallScope | None]:
    """``call_scope`` for the running activity."""
    with call_scope(scope_of_current_activity()) as scope:
        yield scope
