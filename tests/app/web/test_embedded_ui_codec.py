"""``docorch api`` with DOCORCH_CODEC_KEYS and no token, no Temporal server answering: it starts
the embedded dev server, whose Web UI decodes payloads through the API's own ``/codec`` out of
the box. A question asked through the API then reads, in that UI opened in Chromium, as the
question and the answer (the codec's CORS granted to that UI's origin, on a port
DOCORCH_CODEC_CORS_ORIGINS does not name).

The cases where nothing changes (a token, no keys, an existing server) are
``tests/app/test_ui_codec.py``. A screenshot goes to ``test-artifacts/web/``."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import BrowserContext, Response, expect

from app.runtime.devserver import port_in_use, ui_port
from tests.app.web.test_temporal_ui import (
    ANSWER,
    DOCUMENTS,
    QUESTION,
    UI_CONNECT_RETRIES,
    UI_TIMEOUT_MS,
    _page,
    _payload_box,
    _until_the_ui_reads,
)
from tests.postgres import free_port

pytestmark = pytest.mark.integration

DOCORCH = Path(sys.executable).with_name("docorch")
STARTUP_SECONDS = 120
"""How long ``docorch api`` may take to start its dev server and worker and answer /health."""
STOP_SECONDS = 30
CLEARED_ENV = ("DOCORCH_", "TEMPORAL_", "OPENAI_")
"""The test's own configuration of docorch, Temporal and the LLM stays out of the API's."""


@dataclass(frozen=True)
class EmbeddedApi:
    """``docorch api`` running with the dev server it started."""

    base_url: str
    ui_base: str
    process: subprocess.Popen[bytes]
    stderr: Path


def _ports() -> tuple[int, int]:
    """A frontend port for the dev server and an API port, all three (UI too) distinct."""
    server = free_port()
    while ui_port(server) >= 65535:
        server = free_port()
    api = free_port()
    while api in (server, ui_port(server)):
        api = free_port()
    return server, api


async def _until_serving(api: EmbeddedApi) -> None:
    """Wait until the API answers /health (after its lifespan started the dev server); fail
    with its stderr when it exits first or the time runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_SECONDS
    async with httpx.AsyncClient(base_url=api.base_url, timeout=5) as http:
        while loop.time() < deadline and api.process.poll() is None:
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/health")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise AssertionError(
        f"docorch api did not serve (exit code {api.process.poll()}): "
        f"{api.stderr.read_text(errors='replace')[-2000:]}"
    )


@contextlib.asynccontextmanager
async def _docorch_api(tmp_path: Path, samples: Path) -> AsyncIterator[EmbeddedApi]:
    """``docorch api --port P`` with codec keys, its own data directory, and TEMPORAL_ADDRESS on
    a port nothing listens on: the dev server it starts there. Stopped with SIGTERM, as a
    service manager does; the dev server stops with it."""
    server, api_port = _ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_ENV)}
    env |= {
        "DOCORCH_CODEC_KEYS": f"ui:{base64.b64encode(os.urandom(32)).decode()}",
        "DOCORCH_DATA_DIR": str(tmp_path / "data"),
        "DOCORCH_ALLOWED_ROOTS": str(samples),
        "DOCORCH_SERVER_PORT": str(server),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{server}",
        "DOCORCH_SEMANTIC_SEARCH": "false",
    }
    stderr = tmp_path / "api.stderr"
    with open(stderr, "wb") as log:
        process = subprocess.Popen(
            [str(DOCORCH), "api", "--port", str(api_port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    api = EmbeddedApi(
        f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port(server)}", process, stderr
    )
    try:
        await _until_serving(api)
        yield api
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    # uvicorn shuts down, then raises the signal it caught again: SIGTERM's exit
    assert process.returncode == -signal.SIGTERM, stderr.read_text(errors="replace")[-2000:]
    assert not port_in_use(server), "the dev server outlived docorch api"


async def test_docorch_api_starts_a_temporal_ui_that_reads_its_encrypted_queries(
    browser: BrowserContext, samples: Path, tmp_path: Path, artifacts: Path
) -> None:
    async with _docorch_api(tmp_path, samples) as api:
        async with httpx.AsyncClient(base_url=api.base_url, timeout=120) as http:
            asked = await http.post(
                "/chat",
                json={"query": QUESTION, "documents": [str(samples / n) for n in DOCUMENTS]},
            )
        assert asked.status_code == 200, asked.text
        workflow_id = asked.json()["workflow_id"]
        endpoint = f"{api.base_url}/codec"
        transport = httpx.AsyncHTTPTransport(retries=UI_CONNECT_RETRIES)
        async with httpx.AsyncClient(base_url=api.ui_base, transport=transport, timeout=10) as http:
            ui_settings = (await http.get("/api/v1/settings")).raise_for_status().json()
            await _until_the_ui_reads(http, workflow_id)
        assert ui_settings["Codec"]["Endpoint"] == endpoint

        page = await _page(browser)
        decoded: list[Response] = []
        refused: list[str] = []
        page.on("response", lambda r: decoded.append(r) if r.url.startswith(endpoint) else None)
        page.on("requestfailed", lambda r: refused.append(r.url) if endpoint in r.url else None)
        await page.goto(f"{api.ui_base}/namespaces/default/workflows/{workflow_id}")
        await expect(_payload_box(page, "Input")).to_contain_text(QUESTION, timeout=UI_TIMEOUT_MS)
        await expect(_payload_box(page, "Result")).to_contain_text(ANSWER, timeout=UI_TIMEOUT_MS)
        await page.screenshot(path=artifacts / "embedded-ui-decoded.png", full_page=True)
        # what the page showed came through these; later ones may be cut by the teardown
        answered, failed = list(decoded), list(refused)
        await page.close()
    assert not failed, f"codec requests the browser refused (CORS?): {failed}"
    assert answered and {r.url.split("?")[0] for r in answered} == {f"{endpoint}/decode"}
    assert {(r.status, r.headers.get("access-control-allow-origin")) for r in answered} == {
        (200, api.ui_base)
    }
    assert "temporal_ui_shows_ciphertext" not in api.stderr.read_text(errors="replace")
