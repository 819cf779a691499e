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

from app.api.guard import Guard, Receive, Scope, Send
from app.api.main import create_app
from app.api.metrics import ApiMetrics
from app.api.routes.codec import CorsOrigins
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


@pytest.mark.integration
async def test_the_uis_origins_may_call_the_codec_and_change_nothing_else(
    client: Client, settings: Settings
) -> None:
    """The UI's origins are loopback ones, which the guard took for this API's own page: a
    request from the UI (a script in a payload it renders, say) could start queries, sessions
    and uploads. The codec answers them; every other state-changing route refuses them, and
    CORS is answered for the codec only."""
    origins = (*ui_origins(SERVER_PORT), DEV_UI_ORIGINS[0])
    endpoint = codec_url("127.0.0.1", API_PORT)
    with _api(client, settings, ui_codec_endpoint=endpoint) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            for origin in origins:
                headers = {"Origin": origin}
                decoded = await http.post("/codec/decode", json={"payloads": []}, headers=headers)
                assert decoded.status_code == 200, decoded.text
                refused = [
                    await http.post("/chat", json={"query": "q?"}, headers=headers),
                    await http.post("/sessions", json={}, headers=headers),
                    await http.post(
                        "/documents", files={"file": ("a.txt", b"text")}, headers=headers
                    ),
                ]
                assert [(r.status_code, r.json()["error_type"]) for r in refused] == [
                    (403, "OriginNotAllowed")
                ] * 3
                preflight = await http.options(
                    "/chat", headers={**headers, "Access-Control-Request-Method": "POST"}
                )
                assert "access-control-allow-origin" not in preflight.headers
            # this API's own page (no Origin from a script, or its own) is served as ever
            created = await http.post("/sessions", json={}, headers={"Origin": base_url})
            assert created.status_code == 201, created.text


@pytest.mark.integration
async def test_an_api_restarted_without_the_embedded_ui_forgets_its_origins(
    client: Client, settings: Settings
) -> None:
    """The same app served twice (its lifespan run again): the origins the first backend's UI
    added are gone once the second started no UI of its own."""
    started_ui = [True, False]

    @contextlib.asynccontextmanager
    async def backend() -> AsyncIterator[embedded.Runtime]:
        with_ui = started_ui.pop(0)
        yield embedded.Runtime(
            client=client,
            address=client.service_client.config.target_host,
            embedded_server=with_ui,
            ui_url=None,
            ui_codec_endpoint=codec_url("127.0.0.1", API_PORT) if with_ui else None,
            ui_origins=ui_origins(SERVER_PORT) if with_ui else (),
        )

    app = create_app(_settings(KEYS, None, settings), backend=backend)
    ui = ui_origins(SERVER_PORT)[0]
    with BackgroundApiServer(app) as server:
        first = await _allowed_origin(server.base_url, ui)
    with BackgroundApiServer(app) as server:
        second = await _allowed_origin(server.base_url, ui)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            session = await http.post("/sessions", json={}, headers={"Origin": ui})
    assert (first, second) == (ui, None)
    assert session.status_code == 201  # no longer a UI's origin: a loopback page as any other


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://127.0.0.1:8233", 403),  # the UI's: may change nothing here
        ("http://127.0.0.1:8000", 200),  # the API's own page, even where it is the UI's too
        (None, 200),  # no browser
    ],
)
async def test_a_ui_origin_is_out_of_bounds_unless_it_is_the_apis_own(
    origin: str | None, status: int
) -> None:
    """Behind a proxy serving the UI and the API as one origin, the API's own page keeps
    working: the guard compares the Origin with the request's Host first."""

    async def ok(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    origins = CorsOrigins(("http://127.0.0.1:8233", "http://127.0.0.1:8000"))
    guard = Guard(ok, token=None, metrics=ApiMetrics(), out_of_bounds=origins.out_of_bounds)
    transport = httpx.ASGITransport(app=guard)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        response = await http.post(
            "/chat", json={"query": "q?"}, headers={"Origin": origin} if origin else {}
        )
    assert response.status_code == status, response.text
