"""Following a query's progress events: the ``events_after`` query polled as a long poll, then,
after a quiet spell, the ``wait_events`` update (``OrchestratorClient.events`` uses it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, TypeVar

from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError

from models.events import EventPage, EventsAfter, ProgressEvent
from models.query import QueryResult
from workflows.progress import MAX_EVENTS_PER_READ
from workflows.query import QueryWorkflow

T = TypeVar("T")


class Reconnecting(Protocol):
    """Runs a call, trying again while the Temporal server cannot be reached (``what`` names
    it): ``OrchestratorClient._reconnecting``."""

    async def __call__(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        """``call()``'s result, once the server can be reached."""
        ...


QueryHandle = WorkflowHandle[QueryWorkflow, QueryResult]

WAIT_UPDATE_PREFIX = "wait-events-after-"
POLL_FIRST = 0.02
"""Seconds from new events to the next read of the ``events_after`` query."""
POLL_MAX = 0.25
"""Longest pause between two reads while nothing new comes."""
POLL_GROWTH = 1.5
WAIT_UPDATE_AFTER = 5.0
"""Seconds without new events after which a reader blocks on the ``wait_events`` update."""


class EventReader:
    """Reads one query's events: ``follow`` yields each once, in order, until the final one."""

    def __init__(
        self,
        handle: QueryHandle,
        reconnecting: Reconnecting,
        wait_update_after: float | None = WAIT_UPDATE_AFTER,
    ) -> None:
        self._handle = handle
        self._reconnecting = reconnecting
        self._wait_update_after = wait_update_after
        self._what = f"following {handle.id}"

    async def follow(self, after: int = -1) -> AsyncIterator[ProgressEvent]:
        """Every event with an offset greater than ``after`` (see ``OrchestratorClient.events``)."""
        offset = after

        async def read_after() -> list[ProgressEvent]:
            return await self._events_after(offset)

        pause = POLL_FIRST
        quiet = 0.0  # seconds polled without anything new
        wait_after = self._wait_update_after
        may_wait = wait_after is not None
        while True:
            batch: list[ProgressEvent]
            if may_wait and wait_after is not None and quiet >= wait_after:
                waited = await self._wait_for_events(offset)
                may_wait = waited is not None
                batch = waited if waited else await self._retry(read_after)
            else:
                batch = await self._retry(read_after)
            fresh = [e for e in batch if e.offset > offset]
            for event in fresh:
                offset = event.offset
                yield event
                if event.is_final:
                    return
            if fresh:
                pause, quiet = POLL_FIRST, 0.0
                if len(batch) >= MAX_EVENTS_PER_READ:
                    continue  # a full page: more may be waiting
            elif pause >= POLL_MAX and await self._retry(self._finished):
                # ended without a final event (terminated, timed out): what is left, then stop
                for event in await self._retry(read_after):
                    if event.offset > offset:
                        offset = event.offset
                        yield event
                return
            await asyncio.sleep(pause)
            if not fresh:
                quiet += pause
                pause = min(POLL_MAX, pause * POLL_GROWTH)

    async def _retry(self, call: Callable[[], Awaitable[T]]) -> T:
        return await self._reconnecting(call, self._what)

    async def _events_after(self, offset: int) -> list[ProgressEvent]:
        """Events after ``offset`` now (at most a page)."""
        page: EventPage = await self._handle.query(
            QueryWorkflow.events_after, EventsAfter(offset=offset)
        )
        return page.events

    async def _wait_for_events(self, offset: int) -> list[ProgressEvent] | None:
        """Events after ``offset`` once there are any; none when the wait timed out; None when
        the update was refused (the query finished or spent its budget of waits)."""
        try:
            page: EventPage = await self._handle.execute_update(
                QueryWorkflow.wait_events,
                EventsAfter(offset=offset),
                id=f"{WAIT_UPDATE_PREFIX}{offset}",
            )
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            return []
        except (WorkflowUpdateFailedError, RPCError):
            return None
        return page.events

    async def _finished(self) -> bool:
        description = await self._handle.describe()
        return description.status not in (None, WorkflowExecutionStatus.RUNNING)
