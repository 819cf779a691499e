"""Reading Temporal failures inside workflow code: the ApplicationError at the root (a tool's, the
planner's), its message, and cancellation that must keep propagating instead of degrading."""

from __future__ import annotations

import asyncio

from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
)


def application_cause(error: BaseException) -> ApplicationError | None:
    """The ApplicationError at the root of ``error``, if any."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ApplicationError):
            return cause
        cause = cause.__cause__
    return None


def cause_message(error: BaseException) -> str:
    cause = application_cause(error)
    return cause.message if cause is not None else str(error)


def reraise_cancellation(error: ActivityError | ChildWorkflowError) -> None:
    """An activity or child cancelled because this query was: keep cancelling, do not degrade."""
    if isinstance(error.cause, CancelledError):
        raise asyncio.CancelledError() from error
