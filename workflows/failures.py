"""Reading Temporal failures inside workflow code: the ApplicationError at the root (a tool's, the
planner's), its message, how many attempts a failed step spent, and cancellation that must keep
propagating instead of degrading."""

from __future__ import annotations

import asyncio

from pydantic import ValidationError
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    RetryState,
)

from models.tools import ToolFailureDetails


class StepFailure(Exception):
    """A step (or one call of it) that failed for good; ``attempts`` calls were spent on it.
    Not ``retryable`` when a retry cannot help (bad input, a plan that does not fit)."""

    def __init__(
        self, message: str, error_type: str | None, attempts: int = 0, *, retryable: bool = True
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.attempts = attempts
        self.retryable = retryable


def application_cause(error: BaseException) -> ApplicationError | None:
    """The ApplicationError at the root of ``error``, if any."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ApplicationError):
            return cause
        cause = cause.__cause__
    return None


def cause_message(error: BaseException) -> str:
    """The root ApplicationError's message, else the error's own text."""
    cause = application_cause(error)
    return cause.message if cause is not None else str(error)


def reraise_cancellation(error: ActivityError | ChildWorkflowError) -> None:
    """An activity or child cancelled because this query was: keep cancelling, do not degrade."""
    if isinstance(error.cause, CancelledError):
        raise asyncio.CancelledError() from error


def _reported_attempt(cause: ApplicationError) -> int | None:
    """The attempt number a tool activity put in its error's details (ToolFailureDetails)."""
    if not cause.details:
        return None
    try:
        return ToolFailureDetails.model_validate(cause.details[0]).attempt
    except ValidationError:
        return None


def attempts_spent(error: ActivityError, max_attempts: int) -> int:
    """How many attempts a failed activity made: the registry reports the last attempt's
    number; without it (a timeout) the retry state tells whether all were used."""
    cause = application_cause(error)
    reported = _reported_attempt(cause) if cause is not None else None
    if reported is not None:
        return reported
    if error.retry_state in (RetryState.MAXIMUM_ATTEMPTS_REACHED, RetryState.TIMEOUT):
        return max_attempts
    return 1


def step_failure(error: ActivityError, max_attempts: int) -> StepFailure:
    """A failed tool activity as a StepFailure: the root error's message and type, the
    attempts spent, and whether a retry (in a replan) could help."""
    retryable = error.retry_state != RetryState.NON_RETRYABLE_FAILURE
    attempts = attempts_spent(error, max_attempts)
    cause = application_cause(error)
    if cause is not None:
        return StepFailure(cause.message, cause.type, attempts, retryable=retryable)
    inner = error.__cause__ or error
    return StepFailure(
        str(inner) or type(inner).__name__, type(inner).__name__, attempts, retryable=retryable
    )
