"""A real browser on the real API: Debian's Chromium driven by Playwright (never a browser
download), the API in a thread with a worker on the session's dev server, its token on.

Chromium is looked for at ``DOCORCH_CHROMIUM`` (default /usr/bin/chromium; ``.ci/install-system``
installs Debian's ``chromium``). Without it the browser tests fail and say so;
``DOCORCH_SKIP_BROWSER_TESTS=1`` skips them on a developer machine that has no Chromium.
Screenshots go to ``test-artifacts/web/`` (git-ignored) at the checkout's root."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import (
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    ViewportSize,
    async_playwright,
)
from temporalio.client import Client

from models.settings import Settings
from tests.app.api.conftest import TOKEN, ApiServer, running_api

CHROMIUM_ENV = "DOCORCH_CHROMIUM"
SKIP_ENV = "DOCORCH_SKIP_BROWSER_TESTS"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "web"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = ViewportSize(width=1280, height=900)
PHONE = ViewportSize(width=390, height=844)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The Chromium binary; fails with what to do when there is none."""
    if os.environ.get(SKIP_ENV):
        pytest.skip(f"{SKIP_ENV} is set: the browser tests are skipped")
    path = Path(os.environ.get(CHROMIUM_ENV, "/usr/bin/chromium"))
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"no Chromium at {path}: install Debian's chromium package (.ci/install-system does), "
            f"point {CHROMIUM_ENV} at a Chromium binary, or set {SKIP_ENV}=1 to skip the "
            "browser tests",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="module")
def web_api(
    client: Client, settings: Settings, search_attributes_enabled: bool
) -> Iterator[ApiServer]:
    """The API with DOCORCH_API_TOKEN set, as ``docorch api`` would serve it."""
    with running_api(client, settings.model_copy(update={"api_token": TOKEN})) as server:
        yield server


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class PageErrors:
    """Console errors, uncaught exceptions and failed requests of a page."""

    def __init__(self, page: Page) -> None:
        self.seen: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", self._page_error)
        page.on("requestfailed", lambda r: self.seen.append(f"request failed: {r.url}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.seen.append(f"console: {message.text} ({message.location})")

    def _page_error(self, error: Error) -> None:
        self.seen.append(f"page error: {error.message}")


@pytest_asyncio.fixture
async def browser(chromium: Path, tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """A headless Chromium with a fresh profile, at desktop width."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "profile",
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=DESKTOP,
        )
        try:
            yield context
        finally:
            await context.close()
