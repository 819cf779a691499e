"""Payload encryption end to end, on the real dev server: with DOCORCH_CODEC_KEYS a query answers
as usual while its history holds only ciphertext (read without the codec, as the Temporal UI
does), the API's /codec/decode endpoint (the UI's remote codec) reads it back, and after a key
rotation the old history still decrypts while new payloads use the new key."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.protobuf.message import Message
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory

from app.api.errors import ApiError
from app.api.routes import codec as codec_route
from client.codec import ENCODING, KEY_ID
from client.connection import connect
from client.sdk import OrchestratorClient
from models.query import QueryResult
from models.settings import DEV_UI_ORIGINS, Settings
from tests.app.api.conftest import TOKEN, ApiServer, running_api
from worker import build_worker

pytestmark = pytest.mark.integration

QUESTION = "What is the notice period for termination for convenience?"
OLD_KEY, NEW_KEY = os.urandom(32), os.urandom(32)
UI = DEV_UI_ORIGINS[0]


def _keys(*pairs: tuple[str, bytes]) -> SecretStr:
    return SecretStr(",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in pairs))


SDK_MARKER_DETAILS = {"patch-data", "data"}
"""Marker details the SDK core writes itself, holding no user data: a version marker's patch
id, a local activity marker's bookkeeping (sequence, activity id and type, times). The local
activity's result is user data and is encoded."""


def _payloads(message: Message) -> Iterator[Payload]:
    """Every Payload in ``message`` but the kinds no codec encodes: search attributes (the
    server indexes them) and the SDK core's marker bookkeeping (``SDK_MARKER_DETAILS``)."""
    marker = message.DESCRIPTOR.name == "MarkerRecordedEventAttributes"
    for field, value in message.ListFields():
        if field.message_type is None or field.name == "search_attributes":
            continue
        if field.message_type.GetOptions().map_entry:
            items = [v for k, v in value.items() if not (marker and k in SDK_MARKER_DETAILS)]
        elif field.is_repeated:
            items = list(value)
        else:
            items = [value]
        for item in items:
            if isinstance(item, Payload):
                yield item
            elif isinstance(item, Message):
                yield from _payloads(item)


def _history_payloads(history: WorkflowHistory) -> list[Payload]:
    return [p for event in history.events for p in _payloads(event)]


def _wire(payload: Payload) -> dict[str, Any]:
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


async def _ask(client: Client, settings: Settings, samples: Path) -> QueryResult:
    """The question answered by a worker on ``client`` (a fresh task queue)."""
    queue = f"codec-{uuid.uuid4().hex[:8]}"
    docs = [str(samples / "contract_acme_globex.md"), str(samples / "contract_acme_initech.md")]
    async with build_worker(client, settings, task_queue=queue):
        return await OrchestratorClient(client, task_queue=queue).run(QUESTION, docs)


@pytest.fixture(scope="module")
def codec_api(client: Client, api_settings: Settings) -> Iterator[ApiServer]:
    """The API with the rotated key list: the new key first, the old one still there."""
    rotated = api_settings.model_copy(
        update={"codec_keys": _keys(("k2", NEW_KEY), ("k1", OLD_KEY))}
    )
    with running_api(client, rotated) as server:
        yield server


async def test_an_encrypted_query_answers_and_its_history_is_ciphertext_until_decoded(
    client: Client, settings: Settings, samples: Path, codec_api: ApiServer
) -> None:
    target = client.service_client.config.target_host
    old = settings.model_copy(update={"codec_keys": _keys(("k1", OLD_KEY))})
    result = await _ask(await connect(old, address=target), old, samples)
    assert "90 days" in result.answer and result.citations

    # read as the Temporal UI reads it: no codec
    history = (
        await (await Client.connect(target)).get_workflow_handle(result.workflow_id).fetch_history()
    )
    payloads = _history_payloads(history)
    assert len(payloads) > 10
    assert {(p.metadata["encoding"], p.metadata[KEY_ID]) for p in payloads} == {(ENCODING, b"k1")}
    raw = history.to_json()
    assert "notice period" not in raw and "90 days" not in raw

    # through the API's remote codec, holding the rotated key list
    async with httpx.AsyncClient(base_url=codec_api.base_url, timeout=30) as http:
        decoded = await http.post(
            "/codec/decode",
            json={"payloads": [_wire(p) for p in payloads]},
            headers={"Origin": UI, "X-Namespace": "default"},
        )
    assert decoded.status_code == 200, decoded.text
    assert decoded.headers["access-control-allow-origin"] == UI
    texts = [base64.b64decode(p["data"]).decode() for p in decoded.json()["payloads"]]
    assert any(QUESTION in t for t in texts) and any("90 days" in t for t in texts)


async def test_after_a_key_rotation_old_histories_read_and_new_payloads_use_the_new_key(
    client: Client, settings: Settings, samples: Path
) -> None:
    target = client.service_client.config.target_host
    old = settings.model_copy(update={"codec_keys": _keys(("k1", OLD_KEY))})
    first = await _ask(await connect(old, address=target), old, samples)
    rotated = settings.model_copy(update={"codec_keys": _keys(("k2", NEW_KEY), ("k1", OLD_KEY))})
    rotated_client = await connect(rotated, address=target)
    again = await rotated_client.get_workflow_handle(
        first.workflow_id, result_type=QueryResult
    ).result()
    assert again.answer == first.answer
    second = await _ask(rotated_client, rotated, samples)
    history = (
        await (await Client.connect(target)).get_workflow_handle(second.workflow_id).fetch_history()
    )
    assert {p.metadata[KEY_ID] for p in _history_payloads(history)} == {b"k2"}


async def test_the_codec_endpoints_take_the_token_and_answer_the_uis_preflight(
    secured_api_server: ApiServer,
) -> None:
    preflight_headers = {
        "Origin": UI,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
    }
    body: dict[str, list[Any]] = {"payloads": []}
    async with httpx.AsyncClient(base_url=secured_api_server.base_url, timeout=30) as http:
        preflight = await http.options("/codec/decode", headers=preflight_headers)
        elsewhere = await http.options(
            "/codec/decode", headers={**preflight_headers, "Origin": "https://evil.example"}
        )
        anonymous = await http.post("/codec/decode", json=body, headers={"Origin": UI})
        authorized = await http.post(
            "/codec/decode", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        chat_preflight = await http.options("/chat", headers=preflight_headers)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == UI
    assert "access-control-allow-origin" not in elsewhere.headers
    assert anonymous.status_code == 401
    assert authorized.status_code != 401
    # only the codec endpoints answer cross-origin requests
    assert "access-control-allow-origin" not in chat_preflight.headers


async def test_a_malformed_or_unreadable_payload_is_a_422(codec_api: ApiServer) -> None:
    foreign = {
        "metadata": {
            "encoding": base64.b64encode(ENCODING).decode(),
            KEY_ID: base64.b64encode(b"k9").decode(),
        },
        "data": base64.b64encode(os.urandom(40)).decode(),
    }
    async with httpx.AsyncClient(base_url=codec_api.base_url, timeout=30) as http:
        malformed = await http.post("/codec/decode", json={"payloads": [{"data": "!!"}]})
        unreadable = await http.post("/codec/decode", json={"payloads": [foreign]})
        encoded = await http.post(
            "/codec/encode",
            json={"payloads": [{"metadata": {}, "data": base64.b64encode(b'"x"').decode()}]},
        )
    assert malformed.status_code == 422 and malformed.json()["error_type"] == "InvalidPayload"
    assert unreadable.status_code == 422
    assert unreadable.json()["error_type"] == "PayloadDecryptionError"
    assert "'k9'" in unreadable.json()["detail"]
    (sealed,) = encoded.json()["payloads"]
    assert base64.b64decode(sealed["metadata"][KEY_ID]) == b"k2"


def test_without_keys_the_endpoints_say_no_codec_is_configured() -> None:
    with pytest.raises(ApiError) as refused:
        codec_route._codec(Settings(codec_keys=None))
    assert refused.value.status_code == 404
    assert refused.value.error_type == "CodecNotConfigured"
