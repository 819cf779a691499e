"""One chat-completion call to an OpenAI-compatible endpoint that returns a JSON object.

Structured output, in the order endpoints tend to support it: a JSON-schema ``response_format``;
else a forced tool call whose arguments are the object; else plain JSON asked for in the prompt.
When an endpoint rejects a mode (HTTP 400/422 naming it) the next one is tried at once and
remembered for that endpoint and model; likewise ``max_tokens`` vs ``max_completion_tokens``.
Whatever comes back is parsed defensively (``parsing.parse_json_object``).

The SDK never retries (``max_retries=0``): 429 and 5xx raise ``RateLimited`` with the
Retry-After the endpoint sent, timeouts ``LlmTimeout``, connection failures ``LlmUnavailable``,
so the calling activity fails its attempt and Temporal retries it with backoff. A call never
outlives the activity attempt it runs in. Every error's message is masked (``redact``): it ends
up in step outputs and Temporal's history, and endpoints echo keys and URLs.

Every call is reserved in, and settled to, the store's LLM ledger (``store.UsageLedger``) under
its query, and reports its tokens and estimated cost as an ``LlmUsage``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal

import structlog

from activities.errors import RateLimited
from activities.llm.errors import BudgetExhausted, LlmRejected, LlmTimeout, LlmUnavailable
from activities.llm.parsing import parse_json_object
from activities.llm.redact import mask_secrets, url_secrets
from activities.llm.scope import current_scope
from models.query import LlmUsage
from models.settings import Settings
from store import BudgetRefused, LedgerCall, Reservation, UsageLedger, open_store

if TYPE_CHECKING:
    import openai

log = structlog.get_logger(__name__)

OutputMode = Literal["json_schema", "tool", "json"]
_MODES: tuple[OutputMode, ...] = ("json_schema", "tool", "json")
_TOKEN_PARAMS = ("max_tokens", "max_completion_tokens")

MAX_RETRY_AFTER_SECONDS = 60.0
ACTIVITY_MARGIN_SECONDS = 2.0
"""Time kept back from the activity's timeout for the fallback path and the result."""
MIN_CALL_SECONDS = 0.5
NO_KEY = "not-needed"
"""Sent when only a base URL is configured: local servers ignore the key, the SDK wants one."""


@dataclass
class _EndpointQuirks:
    mode: OutputMode = "json_schema"
    token_param: str = "max_tokens"
    temperature: bool = True


_quirks: dict[tuple[str, str], _EndpointQuirks] = {}


@dataclass(frozen=True)
class LlmReply:
    """A completed call: the JSON object found in the reply (None when there was none), the raw
    text it was found in, and what the call used."""

    data: dict[str, Any] | None
    text: str
    usage: LlmUsage
    finish_reason: str | None = None


def estimate_tokens(*parts: Any) -> int:
    """About four characters per token: enough to budget, not to bill."""
    return sum(len(p if isinstance(p, str) else json.dumps(p, default=str)) for p in parts) // 4 + 8


def _retry_after(headers: Any) -> float | None:
    """Seconds the endpoint asked us to wait (retry-after-ms, Retry-After seconds or date)."""
    try:
        if (ms := headers.get("retry-after-ms")) is not None:
            return min(MAX_RETRY_AFTER_SECONDS, max(0.0, float(ms) / 1000))
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            seconds = float(value)
        except ValueError:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        return min(MAX_RETRY_AFTER_SECONDS, max(0.0, seconds))
    except (TypeError, ValueError, OverflowError):
        return None


class LlmClient:
    """Calls the configured model. Build one per activity call; it holds no connections."""

    def __init__(self, settings: Settings, *, ledger: UsageLedger | None = None) -> None:
        if not settings.llm_enabled or not settings.llm_model:
            raise ValueError("no LLM configured: set DOCORCH_LLM_MODEL and OPENAI_BASE_URL")
        self.settings = settings
        self.model: str = settings.llm_model
        self.endpoint = settings.openai_base_url or "https://api.openai.com/v1"
        self._secrets = (settings.openai_api_key, *url_secrets(settings.openai_base_url))
        self.ledger = ledger or open_store(settings).ledger

    # ---- the call --------------------------------------------------------------------------

    async def complete_json(
        self,
        *,
        purpose: str,
        messages: Sequence[dict[str, Any]],
        schema: dict[str, Any],
        schema_name: str,
    ) -> LlmReply:
        """Ask for one JSON object matching ``schema``. Raises BudgetExhausted before calling
        when the query's budget cannot cover it; RateLimited / LlmTimeout / LlmUnavailable for
        transient failures; LlmRejected when the endpoint refuses the request."""
        scope = current_scope()
        timeout = self._timeout()
        prompt_estimate = estimate_tokens(list(messages), schema)
        reservation: Reservation | None = None
        max_tokens = self.settings.llm_max_tokens
        if scope is not None and scope.workflow_id:
            call = LedgerCall(
                query=scope.query_key,
                activity_id=scope.activity_id,
                attempt=scope.attempt,
                purpose=purpose,
                model=self.model,
            )
            try:
                reservation = await asyncio.to_thread(
                    self.ledger.reserve, call, prompt_tokens=prompt_estimate, max_tokens=max_tokens
                )
            except BudgetRefused as refused:
                raise BudgetExhausted(str(refused)) from None
            max_tokens = reservation.max_tokens
        started = time.perf_counter()
        try:
            completion = await self._create(messages, schema, schema_name, max_tokens, timeout)
        except BaseException:
            if reservation is not None:
                await asyncio.to_thread(self.ledger.release, reservation)
            raise
        text, finish_reason = _reply_text(completion)
        usage = self._usage(completion, prompt_estimate, text)
        if reservation is not None:
            await asyncio.to_thread(
                self.ledger.settle,
                reservation,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                cost=usage.cost_usd,
            )
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        log.info(
            "llm_call",
            purpose=purpose,
            model=self.model,
            ms=elapsed_ms,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            workflow_id=scope.workflow_id if scope else None,
            step_id=scope.activity_id if scope else None,
        )
        return LlmReply(parse_json_object(text), text, usage, finish_reason)

    def _timeout(self) -> float:
        timeout = self.settings.llm_timeout_seconds
        scope = current_scope()
        left = scope.seconds_left() if scope else None
        if left is not None:
            timeout = min(timeout, left - ACTIVITY_MARGIN_SECONDS)
            if timeout < MIN_CALL_SECONDS:
                raise LlmTimeout(
                    self._message(f"only {max(0.0, left):.1f}s left in this activity attempt")
                )
        return timeout

    async def _create(
        self,
        messages: Sequence[dict[str, Any]],
        schema: dict[str, Any],
        schema_name: str,
        max_tokens: int,
        timeout: float,
    ) -> Any:
        # imported here: the SDK costs a second or more to import, and most runs use no LLM
        import openai

        quirks = _quirks.setdefault((self.endpoint, self.model), _EndpointQuirks())
        async with openai.AsyncOpenAI(
            base_url=self.settings.openai_base_url,
            api_key=self.settings.openai_api_key or NO_KEY,
            timeout=timeout,
            max_retries=0,
        ) as client:
            for _ in range(len(_MODES) + len(_TOKEN_PARAMS) + 1):
                request = self._request(quirks, messages, schema, schema_name, max_tokens)
                try:
                    return await client.chat.completions.create(**request)
                except (openai.BadRequestError, openai.UnprocessableEntityError) as error:
                    if not _adapt(quirks, error):
                        raise LlmRejected(self._describe(error)) from None
                except openai.APITimeoutError:
                    raise LlmTimeout(self._message(f"no answer within {timeout:.1f}s")) from None
                except openai.APIConnectionError as error:
                    raise LlmUnavailable(self._message(str(error))) from None
                except openai.APIStatusError as error:
                    if error.status_code == 429 or error.status_code >= 500:
                        raise RateLimited(
                            self._describe(error), retry_after=_retry_after(error.response.headers)
                        ) from None
                    if error.status_code == 408:
                        raise LlmTimeout(self._describe(error)) from None
                    raise LlmRejected(self._describe(error)) from None
                except openai.OpenAIError as error:
                    raise LlmRejected(self._message(str(error))) from None
        raise LlmRejected(self._message("no supported way to ask for JSON"))

    def _request(
        self,
        quirks: _EndpointQuirks,
        messages: Sequence[dict[str, Any]],
        schema: dict[str, Any],
        schema_name: str,
        max_tokens: int,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"model": self.model, quirks.token_param: max_tokens}
        if quirks.temperature:
            request["temperature"] = 0
        if quirks.mode == "json_schema":
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": schema, "strict": False},
            }
            request["messages"] = list(messages)
        elif quirks.mode == "tool":
            request["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": schema_name,
                        "description": "Submit the reply.",
                        "parameters": schema,
                    },
                }
            ]
            request["tool_choice"] = {"type": "function", "function": {"name": schema_name}}
            request["messages"] = list(messages)
        else:
            instruction = (
                "Reply with one JSON object and nothing else. It must match this JSON schema "
                f"(named {schema_name}):\n{json.dumps(schema, separators=(',', ':'))}"
            )
            request["messages"] = [*messages, {"role": "system", "content": instruction}]
        return request

    def _usage(self, completion: Any, prompt_estimate: int, text: str) -> LlmUsage:
        reported = getattr(completion, "usage", None)
        prompt = getattr(reported, "prompt_tokens", None)
        completion_tokens = getattr(reported, "completion_tokens", None)
        if prompt is None or completion_tokens is None:  # some local servers report none
            prompt, completion_tokens = prompt_estimate, estimate_tokens(text)
        prompt_price, completion_price = self.settings.llm_price(self.model)
        cost = (prompt * prompt_price + completion_tokens * completion_price) / 1_000_000
        return LlmUsage(
            calls=1,
            prompt_tokens=int(prompt),
            completion_tokens=int(completion_tokens),
            cost_usd=round(cost, 8),
        )

    def _describe(self, error: openai.APIStatusError) -> str:
        return self._message(f"HTTP {error.status_code}: {_error_message(error)}")

    def _message(self, detail: str) -> str:
        """An error message naming the model and endpoint, secrets masked."""
        return mask_secrets(f"{self.model} at {self.endpoint}: {detail}", self._secrets)


def _error_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
        if isinstance(inner, str):
            return inner[:300]
    return str(error.message)[:300]


def _adapt(quirks: _EndpointQuirks, error: openai.APIStatusError) -> bool:
    """Switch to the next request shape when the endpoint rejected the current one; False when
    the rejection is about something else."""
    message = _error_message(error).lower()
    if quirks.token_param in message and quirks.token_param == "max_tokens":
        quirks.token_param = "max_completion_tokens"
        return True
    if "temperature" in message and quirks.temperature:  # some reasoning models fix it at 1
        quirks.temperature = False
        return True
    mentions = {
        "json_schema": ("response_format", "json_schema", "response format", "structured"),
        "tool": ("tool", "function"),
        "json": (),
    }[quirks.mode]
    if any(word in message for word in mentions) and quirks.mode != "json":
        quirks.mode = _MODES[_MODES.index(quirks.mode) + 1]
        log.info("llm_output_mode", mode=quirks.mode, reason=mask_secrets(message[:120]))
        return True
    return False


def _reply_text(completion: Any) -> tuple[str, str | None]:
    choices = getattr(completion, "choices", None) or []
    if not choices:
        return "", None
    choice = choices[0]
    message = choice.message
    for call in getattr(message, "tool_calls", None) or []:
        function = getattr(call, "function", None)
        if function is not None and function.arguments:
            return str(function.arguments), choice.finish_reason
    return message.content or "", choice.finish_reason
