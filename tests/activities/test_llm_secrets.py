# ruff: noqa: F811  (test parameters named after the fixtures imported below)
"""No secret of the LLM endpoint is stored: URLs with credentials and keys an endpoint echoes are
masked in every LLM error message (``activities.llm.redact``), so neither a step's note nor a
failed attempt in Temporal's history carries them."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from activities.errors import RateLimited
from activities.llm.client import LlmClient
from activities.llm.errors import LlmRejected, LlmUnavailable, reason_to_fall_back
from activities.llm.redact import mask_secrets, url_secrets
from activities.llm.scope import CallScope, call_scope
from models.settings import Settings
from tests.fake_openai import (  # noqa: F401  (fixtures: fake_openai, fake_openai_server)
    ANSWER_ROUTE,
    PLAN_ROUTE,
    FakeOpenAI,
    error,
    fake_openai,
    fake_openai_server,
    llm_settings,
    llm_worker,
)

PASSWORD = "pa55-w0rd%40x"  # percent-encoded in the URL: the password is "pa55-w0rd@x"
KEY = "sk-proj-T0pS3cretKeyValue0123456789"
SCHEMA = {"type": "object", "properties": {"value": {"type": "integer"}}}


@pytest.mark.parametrize(
    ("text", "hidden", "kept"),
    [
        (
            "gpt at https://alice:pa55@llm.example.com/v1: Connection error.",
            ["alice", "pa55"],
            "https://***@llm.example.com/v1",
        ),
        (
            "GET https://llm.example.com/v1/chat?api-key=abc123&model=m&access_token=zz9#f",
            ["abc123", "zz9"],
            "?api-key=***&model=m&access_token=***#f",
        ),
        (
            "HTTP 401: Incorrect API key provided: sk-proj-AbCdEf1234567890.",
            ["AbCdEf1234567890"],
            "provided: sk-***.",
        ),
        ("Authorization: Bearer eyJhbGciOi.J9payload.sig refused", ["eyJhbGciOi"], "refused"),
        ('{"api_key": "not-prefixed-value"}', ["not-prefixed-value"], '"api_key": "***"'),
        ("the query's token budget is spent", [], "the query's token budget is spent"),
    ],
)
def test_secrets_in_a_message_are_masked(text: str, hidden: list[str], kept: str) -> None:
    masked = mask_secrets(text)
    assert kept in masked
    for secret in hidden:
        assert secret not in masked


def test_a_named_secret_is_masked_wherever_it_appears_also_percent_encoded() -> None:
    secrets = ["custom-key-9", *url_secrets("https://bob:a%2Fb%40c@host/v1")]
    assert secrets == ["custom-key-9", "a/b@c"]
    text = "sent custom-key-9 to a user whose password is a/b@c (a%2Fb%40c in the URL)"
    assert (
        mask_secrets(text, secrets) == "sent *** to a user whose password is *** (*** in the URL)"
    )


def _secret_settings(settings: Settings, fake: FakeOpenAI, **overrides: Any) -> Settings:
    base_url = fake.base_url.replace("http://", f"http://docorch:{PASSWORD}@")
    return llm_settings(settings, fake, openai_base_url=base_url, openai_api_key=KEY, **overrides)


def _leaks(text: str) -> list[str]:
    return [s for s in (PASSWORD, "pa55-w0rd@x", KEY, KEY.removeprefix("sk-")) if s in text]


async def test_an_echoing_endpoint_leaves_no_secret_in_errors_or_notes(
    fake_openai: FakeOpenAI, settings: Settings
) -> None:
    configured = _secret_settings(settings, fake_openai)
    echoed = f"Incorrect API key provided: {KEY} for {configured.openai_base_url}"
    fake_openai.script("value", error(401, echoed))
    with pytest.raises(LlmRejected) as rejected:
        await LlmClient(configured).complete_json(
            purpose="test", messages=[], schema=SCHEMA, schema_name="value"
        )
    message = str(rejected.value)
    assert "HTTP 401: Incorrect API key provided: *** for http://***@127.0.0.1" in message
    assert message.startswith("fake-model at http://***@127.0.0.1") and not _leaks(message)
    assert not _leaks(reason_to_fall_back(rejected.value))
    fake_openai.script("value", error(503, echoed, {"retry-after-ms": "10"}))
    with pytest.raises(RateLimited) as limited:
        await LlmClient(configured).complete_json(
            purpose="test", messages=[], schema=SCHEMA, schema_name="value"
        )
    assert "provided: *** for" in str(limited.value) and not _leaks(str(limited.value))
    final = CallScope(workflow_id="", activity_id="step", attempt=3, final_attempt=True)
    with call_scope(final):
        assert not _leaks(reason_to_fall_back(limited.value))


async def test_an_unreachable_endpoint_with_credentials_is_named_without_them(
    settings: Settings,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    configured = settings.model_copy(
        update={
            "llm_model": "m",
            "openai_base_url": f"http://docorch:{PASSWORD}@127.0.0.1:{port}/v1",
            "openai_api_key": KEY,
        }
    )
    with pytest.raises(LlmUnavailable) as unavailable:
        await LlmClient(configured).complete_json(
            purpose="test", messages=[], schema=SCHEMA, schema_name="value"
        )
    assert f"http://***@127.0.0.1:{port}/v1" in str(unavailable.value)
    assert not _leaks(str(unavailable.value))


def _history_text(history: dict[str, Any]) -> str:
    """The history as JSON, with every payload's bytes decoded alongside."""
    decoded: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "data" and isinstance(value, str):
                    with contextlib.suppress(binascii.Error, ValueError):
                        decoded.append(base64.b64decode(value).decode("utf-8", "replace"))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(history)
    return json.dumps(history) + "\n".join(decoded)


@pytest.mark.integration
async def test_no_secret_reaches_the_query_result_or_the_temporal_history(
    client: Client, settings: Settings, samples: Path, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    # a data directory of its own: the failed calls below must not count in the session's tool
    # figures (they raise the attempts the planner gives a flaky tool)
    own = settings.model_copy(update={"data_dir": tmp_path / "data"})
    configured = _secret_settings(own, fake_openai)
    echoed = f"bad key {KEY} at {configured.openai_base_url}"
    fake_openai.default(PLAN_ROUTE, error(401, echoed))
    # transient on every attempt: each failed attempt is an ApplicationError in the history,
    # the last one a fallback note in the step's output
    fake_openai.default(ANSWER_ROUTE, error(503, echoed, {"retry-after-ms": "10"}))
    documents = [str(samples / "contract_acme_globex.md")]
    async with llm_worker(client, configured) as sdk:
        handle = await sdk.start("What is the notice period for termination?", documents)
        result = await sdk.result(handle.id)
        history = (await handle.fetch_history()).to_json_dict()
    assert len(fake_openai.seen(ANSWER_ROUTE)) >= 2  # failed attempts were recorded
    stored = result.model_dump_json() + _history_text(history)
    assert "bad key *** at http://***@127.0.0.1" in stored  # the errors are there, masked
    assert not _leaks(stored)
