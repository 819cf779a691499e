"""Waiting across a Temporal server restart: an RPC that fails because the server cannot be
reached is tried again, with backoff, until the server answers or a bound passes.

The Temporal client retries a failed call for a few seconds by itself and reconnects on the next
call once the server is back; what it cannot do is wait longer than its own retry budget, so a
caller waiting for a query's answer would see "tcp connect error" while the server restarts and
the query goes on without it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from temporalio.service import RPCError, RPCStatusCode

T = TypeVar("T")
log = structlog.get_logger(__name__)

DEFAULT_RECONNECT_SECONDS = 120.0
"""How long a caller keeps trying while the server is unreachable, by default."""
_BACKOFF_START = 0.2
_BACKOFF_MAX = 5.0


class TemporalUnavailable(RPCError):
    """The Temporal server stayed unreachable past the reconnect bound. The workflow the caller
    waited for is not affected: it goes on once the server is back, and waiting for it again
    picks up where it is. An ``RPCError`` with status UNAVAILABLE."""

    def __init__(self, message: str) -> None:
        super().__init__(message, RPCStatusCode.UNAVAILABLE, b"")


def is_unreachable(error: BaseException) -> bool:
    """True for an RPC error that says the server could not be reached (not that it refused):
    UNAVAILABLE, or the UNKNOWN "transport error" of a call in flight when the connection broke
    (a long poll for a result while the server is killed)."""
    if not isinstance(error, RPCError):
        return False
    broken = error.status == RPCStatusCode.UNKNOWN and "transport error" in error.message
    return error.status == RPCStatusCode.UNAVAILABLE or broken


async def reconnecting(
    call: Callable[[], Awaitable[T]], *, within: float, what: str, target: str
) -> T:
    """``await call()``, calling it again (with backoff) while it fails because the server at
    ``target`` is unreachable, for at most ``within`` seconds of continuous failure. Raises
    TemporalUnavailable (naming ``what`` the caller was doing) after that; any other error at
    once."""
    loop = asyncio.get_running_loop()
    down_since: float | None = None
    backoff = _BACKOFF_START
    while True:
        try:
            return await call()
        except RPCError as error:
            if not is_unreachable(error):
                raise
            now = loop.time()
            down_since = now if down_since is None else down_since
            down_for = now - down_since
            if down_for >= within:
                raise TemporalUnavailable(
                    f"the Temporal server at {target} was unreachable for {down_for:.0f}s "
                    f"while {what} ({error.message}); the workflow goes on once the server is "
                    "back: wait for it again then"
                ) from error
            log.warning(
                "temporal_unreachable", target=target, what=what, down_seconds=round(down_for, 1)
            )
            await asyncio.sleep(min(backoff, within - down_for))
            backoff = min(_BACKOFF_MAX, backoff * 2)
