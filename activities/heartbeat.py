"""Heartbeats of long activities: how often, and while a call runs."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import activity

HEARTBEAT_AFTER_SECONDS = 5.0
"""A tool estimated to run longer than this gets a heartbeat timeout (``default_policy``)."""


def heartbeat_interval(at_most: float = HEARTBEAT_AFTER_SECONDS) -> float:
    """How often the running activity should heartbeat: a third of its heartbeat timeout (the
    SDK sends at most one heartbeat per 0.8 × the timeout; sending more often keeps the latest
    details on the way), and at most every ``at_most`` seconds."""
    timeout = activity.info().heartbeat_timeout
    if timeout is None:
        return at_most
    return max(0.1, min(at_most, timeout.total_seconds() / 3))


async def heartbeat_while(task: asyncio.Future[Any], interval: float, *details: Any) -> None:
    """Heartbeat every ``interval`` seconds until ``task`` is done (its result stays in it).
    The first heartbeat comes after ``interval``: a call done sooner sends none (the SDK sends
    a first heartbeat at once, one more request to the server per call)."""
    while not task.done():
        await asyncio.wait([task], timeout=interval)
        if not task.done():
            activity.heartbeat(*details)
