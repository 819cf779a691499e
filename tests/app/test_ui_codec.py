"""The Temporal UI of the dev server ``docorch api`` starts decodes payloads through the API's
``/codec`` (``app.api.ui_codec``) only when codec keys are set, no API token is, and the API
started that server itself; then, and only then, the UI's origins may call ``/codec``.

The browser end of it is ``tests/app/web/test_embedded_ui_codec.py``."""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client

from app.api.main import create_app
from app.api.ui_codec import api_runtime, ciphertext_reason, codec_url, embedded_ui_endpoint
from app.runtime import embedded
from app.runtime.api_thread import BackgroundApiServer
from app.runtime.devserver import server_command, ui_origins
from models.settings import DEV_UI_ORIGINS, Settings

KEYS = SecretStr(f"ui:{base64.b64encode(os.urandom(32)).decode()}")
API_PORT = 8000
SERVER_PORT = 7399
"""A frontend port off the default, whose UI (8399) DOCORCH_CODEC_CORS_ORIGINS does not name."""
FLAG = "--ui-codec-endpoint"


def _settings(keys: SecretStr | None, token: str | None, base: Settings | None = None) -> Settings:
    return (base or Settings()).model_copy(
        update={"codec_keys": keys, "api_token": token, "codec_cors_origins": DEV_UI_ORIGINS}
    )


@pytest.mark.parametrize(
    ("keys", "token", "host", "expected"),
    [
        (KEYS, None, "127.0.0.1", "http://127.0.0.1:8000/codec"),
        (KEYS, None, "localhost", "http://localhost:8000/codec"),
        (KEYS, None, "::1", "http://[::1]:8000/codec"),
        (KEYS, None, "0.0.0.0", "http://127.0.0.1:8000/codec"),
        (KEYS, None, "::", "http://127.0.0.1:8000/codec"),
        (KEYS, "t0ken", "127.0.0.1", None),  # the UI cannot send the token
        (None, None, "127.0.0.1", None),  # nothing is encrypted
        (None, "t0ken", "127.0.0.1", None),
    ],
)
def test_the_dev_servers_command_line_names_the_apis_codec_only_with_keys_and_no_token(
    keys: SecretStr | None, token: str | None, host: str, expected: str | None
) -> None:
    settings = _settings(keys, token)
    command = server_command(
        settings,
        SERVER_PORT,
        db_file=None,
        codec_endpoint=embedded_ui_endpoint(settings, host, API_PORT),
    )
    assert "--ui-disable-news-fetch" in command  # the UI asks nothing of the internet
    if expected is None:
        assert FLAG not in command
    else:
        assert command.count(FLAG) == 1
        assert command[command.index(FLAG) + 1] == expected


def test_the_embedded_uis_origins_are_where_the_dev_server_puts_its_ui() -> None:
    assert ui_origins(SERVER_PORT) == ("http://127.0.0.1:8399", "http://localhost:8399")
    assert codec_url("127.0.0.1", 8001) == "http://127.0.0.1:8001/codec"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("token", "why"),
    [(None, "docorch did not start this Temporal server"), ("t0ken", "DOCORCH_API_TOKEN")],
)
async def test_on_an_existing_server_nothing_changes_and_the_reason_is_given(
    client: Client,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    token: str | None,
    why: str,
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", client.service_client.config.target_host)
    keyed = _settings(KEYS, token, settings)
    async with api_runtime(
        keyed, host="127.0.0.1", port=API_PORT, with_worker=False, start_server=True
    ) as connected:
        assert not connected.embedded_server
        assert connected.ui_codec_endpoint is None and connected.ui_origins == ()
    reason = ciphertext_reason(keyed, connected, codec_url("127.0.0.1", API_PORT))
    assert reason is not None and why in reason
    assert ciphertext_reason(_settings(None, token), connected, "") is None


@contextlib.contextmanager
def _api(client: Client, settings: Settings, *, ui_codec_endpoint: str | None) -> Iterator[str]:
    """The API over ``client`` as if its backend had started a dev server on SERVER_PORT, its
    UI given ``ui_codec_endpoint``; yields the API's base URL."""

    @contextlib.asynccontextmanager
    async def backend() -> AsyncIterator[embedded.Runtime]:
        yield embedded.Runtime(
            client=client,
            address=client.service_client.config.target_host,
            embedded_server=True,
            ui_url=f"http://127.0.0.1:{SERVER_PORT + 1000}",
            ui_codec_endpoint=ui_codec_endpoint,
            ui_origins=ui_origins(SERVER_PORT),
        )

    with BackgroundApiServer(
        create_app(_settings(KEYS, None, settings), backend=backend)
    ) as server:
        yield server.base_url


async def _allowed_origin(base_url: str, origin: str) -> str | None:
    """What the codec's preflight answers ``origin`` (Access-Control-Allow-Origin)."""
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        preflight = await http.options("/codec/decode", headers=headers)
    allowed: str | None = preflight.headers.get("access-control-allow-origin")
    return allowed


@pytest.mark.integration
async def test_the_uis_origins_may_call_the_codec_only_when_it_decodes_through_it(
    client: Client, settings: Settings
) -> None:
    ui, other = ui_origins(SERVER_PORT), "http://127.0.0.1:9999"
    endpoint = codec_url("127.0.0.1", API_PORT)
    with _api(client, settings, ui_codec_endpoint=endpoint) as base_url:
        decoding = [await _allowed_origin(base_url, origin) for origin in (*ui, other)]
    with _api(client, settings, ui_codec_endpoint=None) as base_url:
        ciphertext = [await _allowed_origin(base_url, origin) for origin in ui]
        configured = await _allowed_origin(base_url, DEV_UI_ORIGINS[0])
    assert decoding == [*ui, None]
    assert ciphertext == [None, None]
    assert configured == DEV_UI_ORIGINS[0]  # DOCORCH_CODEC_CORS_ORIGINS as ever
