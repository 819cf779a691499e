"""The workflow-side event log: append-only, offsets from 0, small payloads.

Callers read it with the ``events_after`` query (any time, also after the query finished), so a
reconnecting caller resumes from its last offset with no gap and no duplicate. A query writes
nothing to the history: the SDK polls it, emulating a long poll (``client.sdk``), and only a
reader that has waited long for news blocks on the ``wait_events`` update instead.

Each accepted update is written to the history (accepted + completed events, with the batch it
returned, and usually a workflow task of its own), and Temporal caps the updates one execution
may receive. So the log admits at most ``MAX_WAIT_UPDATES`` waits per run; past that the update
is rejected (rejections are not written to the history) and readers go back to the query.
Following a typical query costs its history nothing (tests/client/test_progress_cost.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from models.events import EventData, EventKind, ProgressEvent

MAX_EVENTS_PER_READ = 200
MAX_WAIT_UPDATES = 500
"""Well under Temporal's default of 2000 updates per execution; a typical query uses under 10."""


class EventLog:
    """A query's events, in order; closed once the final one (answer or fatal error) is in."""

    def __init__(self, on_event: Callable[[ProgressEvent], None] | None = None) -> None:
        self.events: list[ProgressEvent] = []
        self.closed = False
        self.waits = 0
        self._on_event = on_event
        """Told of every event once it is in the log (the UI's current details)."""
        self._held: tuple[datetime, datetime] | None = None

    def now(self) -> datetime:
        """Workflow time, or the time ``hold`` set while the activation it was set in lasts."""
        if self._held is not None:
            seen, at = self._held
            if workflow.now() == seen:
                return at
            self._held = None
        return workflow.now()

    def hold(self, at: datetime) -> None:
        """Read the clock as ``at`` for the rest of this activation (workflow time is constant
        within an activation, and moves on in the next). For the activation that resolves a
        local activity: its workflow time is the local activity's completion on replay, but
        may be a later workflow task's start when it ran (Temporal completes the task early
        for a query or an update that comes meanwhile), so events and step timings read from
        it would differ once the query is replayed."""
        self._held = (workflow.now(), at)

    def emit(
        self,
        kind: EventKind,
        message: str = "",
        *,
        step_id: str | None = None,
        tool: str | None = None,
        data: EventData | None = None,
    ) -> ProgressEvent:
        """Append an event (at workflow time) and return it."""
        event = ProgressEvent(
            offset=len(self.events),
            kind=kind,
            at=self.now().isoformat(),
            step_id=step_id,
            tool=tool,
            message=message,
            data=data or EventData(),
        )
        self.events.append(event)
        if event.is_final:
            self.closed = True
        if self._on_event is not None:
            self._on_event(event)
        return event

    def after(self, offset: int) -> list[ProgressEvent]:
        """Events with an offset greater than ``offset`` (-1 for all), at most a page."""
        start = max(0, offset + 1)
        return self.events[start : start + MAX_EVENTS_PER_READ]

    def has_after(self, offset: int) -> bool:
        """True when an event newer than ``offset`` exists, or no more will come."""
        return len(self.events) > offset + 1 or self.closed

    def admit_wait(self) -> None:
        """Refuse a ``wait_events`` update once this run has served its budget of them."""
        if self.waits >= MAX_WAIT_UPDATES:
            raise ApplicationError(
                f"this query has served {MAX_WAIT_UPDATES} event waits; read the events_after "
                "query instead",
                type="TooManyEventWaits",
            )


def ms_since(started: datetime) -> float:
    """Workflow time since ``started``, in milliseconds."""
    return (workflow.now() - started).total_seconds() * 1000
