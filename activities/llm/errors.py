"""How an LLM call can fail, and which failures a retry may fix.

``RateLimited`` (429, 5xx; from ``activities.errors``), ``LlmTimeout`` and ``LlmUnavailable`` are
transient: raised out of the activity they are retried by its Temporal retry policy (honouring
Retry-After). The rest (the endpoint refused the request, the budget is spent) make the caller
fall back to its template / extractive path at once.
"""

from __future__ import annotations

from activities.errors import RateLimited
from activities.llm.redact import mask_secrets
from activities.llm.scope import current_scope


class LlmError(Exception):
    """An LLM call did not produce a usable reply."""


class LlmTimeout(LlmError):
    """The endpoint did not answer within the call's timeout. Transient."""


class LlmUnavailable(LlmError):
    """The endpoint could not be reached. Transient."""


class LlmRejected(LlmError):
    """The endpoint refused the request (bad key, unknown model, bad parameters): a retry will
    not fix it; the caller falls back."""


class BudgetExhausted(LlmError):
    """The query's ``max_llm_tokens`` cannot cover this call; the caller falls back."""


TRANSIENT_ERRORS: tuple[type[Exception], ...] = (RateLimited, LlmTimeout, LlmUnavailable)


def is_transient(error: BaseException) -> bool:
    return isinstance(error, TRANSIENT_ERRORS)


def reason_to_fall_back(error: Exception) -> str:
    """Why the caller falls back to its template / extractive path after ``error`` (stored in
    the step's output: secrets masked).

    Re-raises ``error`` when it is transient and the activity attempt is not its last, so the
    activity's retry policy (with the endpoint's Retry-After) gets another go; re-raises
    anything that is not an LLM failure at all.
    """
    if is_transient(error):
        scope = current_scope()
        if scope is None or not scope.final_attempt:
            raise error
        return mask_secrets(f"LLM call failed on the last attempt: {error}")
    if isinstance(error, BudgetExhausted):
        return mask_secrets(str(error))
    if isinstance(error, LlmError):
        return mask_secrets(f"LLM call failed: {error}")
    raise error
