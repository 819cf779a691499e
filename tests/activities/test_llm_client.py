# ruff: noqa: F811  (test parameters named after the fixtures imported below)
"""The LLM client against a real local OpenAI-compatible server: structured output, defensive
parsing, error mapping, usage, cost and the per-query budget ledger."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from activities.errors import RateLimited
from activities.llm.client import LlmClient, LlmReply
from activities.llm.errors import BudgetExhausted, LlmRejected, LlmTimeout, reason_to_fall_back
from activities.llm.parsing import parse_json_object
from activities.llm.scope import CallScope, call_scope
from models.settings import Settings
from store import LedgerCall, open_store
from tests.fake_openai import (  # noqa: F401  (fixtures: fake_openai, fake_openai_server)
    FakeOpenAI,
    Reply,
    completion,
    error,
    fake_openai,
    fake_openai_server,
    json_reply,
    llm_settings,
)

SCHEMA = {"type": "object", "properties": {"value": {"type": "integer"}}, "required": ["value"]}
MESSAGES = [{"role": "user", "content": "Give me a value."}]


def _client(settings: Settings, fake: FakeOpenAI, **overrides: object) -> LlmClient:
    return LlmClient(llm_settings(settings, fake, **overrides))


async def _ask(client: LlmClient, name: str = "value") -> LlmReply:
    return await client.complete_json(
        purpose="test", messages=MESSAGES, schema=SCHEMA, schema_name=name
    )


def _scope(workflow_id: str, *, final: bool = False) -> CallScope:
    return CallScope(workflow_id=workflow_id, activity_id="step", attempt=1, final_attempt=final)


@pytest.mark.parametrize(
    "text",
    [
        '{"value": 3}',
        'Sure! Here it is:\n```json\n{"value": 3}\n```\nAnything else?',
        'The plan is {"value": 3} as requested.',
        '{"broken": } then {"value": 3}',
    ],
)
def test_json_is_found_however_the_model_wraps_it(text: str) -> None:
    assert parse_json_object(text) == {"value": 3}


@pytest.mark.parametrize("text", ["", "no JSON here", '{"value": 3', "[1, 2]"])
def test_no_object_means_none(text: str) -> None:
    assert parse_json_object(text) is None


async def test_json_schema_reply_is_parsed_with_usage_and_cost(
    fake_openai: FakeOpenAI, settings: Settings
) -> None:
    fake_openai.script("value", json_reply({"value": 7}, usage=(1000, 500)))
    reply = await _ask(_client(settings, fake_openai))
    assert reply.data == {"value": 7}
    assert (reply.usage.calls, reply.usage.prompt_tokens, reply.usage.completion_tokens) == (
        1,
        1000,
        500,
    )
    assert reply.usage.cost_usd == pytest.approx((1000 * 2.0 + 500 * 8.0) / 1e6)
    request = fake_openai.requests[0].body
    assert request["response_format"]["json_schema"]["schema"] == SCHEMA
    assert request["model"] == "fake-model"


async def test_endpoint_without_json_schema_gets_a_tool_call_then_plain_json(
    fake_openai: FakeOpenAI, settings: Settings
) -> None:
    client = _client(settings, fake_openai, llm_model="fake-no-schema")
    fake_openai.script("value", error(400, "response_format json_schema is not supported"))
    fake_openai.script("value", error(400, "tools are not supported by this model"))
    fake_openai.script("text", completion('Here: ```json\n{"value": 5}\n```'))
    reply = await _ask(client)
    assert reply.data == {"value": 5}
    first, second, third = fake_openai.requests
    assert "response_format" in first.body
    assert second.body["tool_choice"]["function"]["name"] == "value"
    assert "tools" not in third.body and "JSON schema" in third.messages[-1]["content"]
    # remembered: the next call goes straight to plain JSON
    fake_openai.script("text", completion('{"value": 6}'))
    assert (await _ask(client)).data == {"value": 6}
    assert len(fake_openai.requests) == 4


async def test_tool_call_arguments_are_the_reply(
    fake_openai: FakeOpenAI, settings: Settings
) -> None:
    client = _client(settings, fake_openai, llm_model="fake-tools")
    fake_openai.script("value", error(422, "Unknown field response_format"))
    fake_openai.script("value", completion(None, tool_call=("value", '{"value": 9}')))
    assert (await _ask(client)).data == {"value": 9}


async def test_429_is_rate_limited_with_the_retry_after_it_sent(
    fake_openai: FakeOpenAI, settings: Settings
) -> None:
    fake_openai.script("value", error(429, "slow down", {"Retry-After": "7"}))
    with pytest.raises(RateLimited) as raised:
        await _ask(_client(settings, fake_openai))
    assert raised.value.retry_after == 7.0
    fake_openai.script("value", error(503, "overloaded", {"retry-after-ms": "1500"}))
    with pytest.raises(RateLimited) as raised:
        await _ask(_client(settings, fake_openai))
    assert raised.value.retry_after == 1.5
    assert len(fake_openai.requests) == 2  # the SDK itself never retried


async def test_a_slow_endpoint_times_out_within_the_bound(
    fake_openai: FakeOpenAI, settings: Settings
) -> None:
    fake_openai.script("value", Reply(delay=3.0))
    started = time.monotonic()
    with pytest.raises(LlmTimeout):
        await _ask(_client(settings, fake_openai, llm_timeout_seconds=0.5))
    assert time.monotonic() - started < 2.0


async def test_a_call_never_outlives_its_activity_attempt(
    fake_openai: FakeOpenAI, settings: Settings
) -> None:
    scope = CallScope("wf-deadline", "step", 1, False, deadline=time.monotonic() + 1.0)
    with call_scope(scope), pytest.raises(LlmTimeout, match="left in this activity attempt"):
        await _ask(_client(settings, fake_openai))
    assert fake_openai.requests == []


async def test_a_refused_request_is_not_transient(
    fake_openai: FakeOpenAI, settings: Settings
) -> None:
    fake_openai.script("value", error(401, "invalid api key"))
    with pytest.raises(LlmRejected, match="HTTP 401: invalid api key") as raised:
        await _ask(_client(settings, fake_openai))
    assert "LLM call failed" in reason_to_fall_back(raised.value)


def test_transient_errors_are_raised_for_retry_until_the_final_attempt() -> None:
    limited = RateLimited("slow down", retry_after=1)
    with call_scope(_scope("wf", final=False)), pytest.raises(RateLimited):
        reason_to_fall_back(limited)
    with call_scope(_scope("wf", final=True)):
        assert "last attempt" in reason_to_fall_back(limited)


async def test_calls_are_recorded_in_the_query_ledger(
    fake_openai: FakeOpenAI, settings: Settings
) -> None:
    fake_openai.script("value", json_reply({"value": 1}, usage=(120, 30)))
    fake_openai.script("value", error(500, "boom"))
    client = _client(settings, fake_openai)
    with call_scope(_scope("wf-ledger")):
        await _ask(client)
        with pytest.raises(RateLimited):
            await _ask(client)
    spent = client.ledger.spending("wf-ledger")
    assert (spent.tokens, spent.reserved, spent.calls) == (150, 0, 1)


async def test_the_budget_refuses_a_call_it_cannot_cover(
    fake_openai: FakeOpenAI, settings: Settings
) -> None:
    client = _client(settings, fake_openai)
    client.ledger.set_budget("wf-budget", 400)
    fake_openai.script("value", json_reply({"value": 1}, usage=(300, 60)))
    with call_scope(_scope("wf-budget")):
        await _ask(client)
        with pytest.raises(BudgetExhausted, match="budget of 400 tokens"):
            await _ask(client)
    assert len(fake_openai.requests) == 1
    # the granted completion tokens were capped by what was left of the budget
    assert fake_openai.requests[0].body["max_tokens"] < 400


def test_a_reused_workflow_id_starts_with_a_fresh_ledger(tmp_path: Path) -> None:
    ledger = open_store(tmp_path).ledger
    first = CallScope("query-1", "answer", 1, False, run_id="run-a")
    again = CallScope("query-1", "answer", 1, False, run_id="run-b")
    ledger.set_budget(first.query_key, 500)
    call = LedgerCall(first.query_key, first.activity_id, first.attempt, "t", "m")
    granted = ledger.reserve(call, prompt_tokens=100, max_tokens=300)
    ledger.settle(granted, prompt_tokens=100, completion_tokens=300, cost=0.0)
    assert ledger.spending(first.query_key).tokens == 400
    assert ledger.spending(again.query_key) == ledger.spending("never-seen")
