"""How the API serves the page, without a browser or a server: ``/`` and its static files with
a Content-Security-Policy, open without the token (they hold no data) while the API stays
closed; every file the page loads is served; nothing inline for the policy to block."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.runtime import embedded
from app.web import PUBLIC_PATHS
from models.settings import Settings

STATIC = Path(__file__).resolve().parents[3] / "app" / "web" / "static"
TOKEN = "serving-token-0123456789"
MEDIA = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@contextlib.asynccontextmanager
async def _no_backend() -> AsyncIterator[embedded.Runtime]:
    raise AssertionError("the page is served without the app's lifespan")
    yield  # pragma: no cover


def _client(settings: Settings, token: str | None) -> TestClient:
    """The app without its lifespan (no Temporal): only what needs no backend answers."""
    app = create_app(settings.model_copy(update={"api_token": token}), backend=_no_backend)
    return TestClient(app)


@pytest.fixture
def secured(settings: Settings) -> Iterator[TestClient]:
    yield _client(settings, TOKEN)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _index_tags() -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed((STATIC / "index.html").read_text())
    return parser.tags


def test_the_page_is_open_without_the_token_and_under_a_content_security_policy(
    secured: TestClient,
) -> None:
    page = secured.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<meta name="docorch-auth" content="required">' in page.text
    assert secured.get("/documents").status_code == 401
    assert secured.get("/static/missing.js").status_code == 401  # not a page file: guarded


def test_without_a_token_the_page_does_not_ask_for_one(settings: Settings) -> None:
    client = _client(settings, None)
    assert '<meta name="docorch-auth" content="optional">' in client.get("/").text
    assert client.get("/static/missing.js").status_code == 404


def test_every_file_the_page_loads_is_served_with_its_type(secured: TestClient) -> None:
    loaded = {
        value
        for _, attrs in _index_tags()
        for name in ("src", "href")
        if (value := attrs.get(name)) and value.startswith("static/")
    }
    for script in STATIC.glob("*.js"):
        imported = re.findall(r'from\s+"\./([\w.-]+\.js)"', script.read_text())
        loaded |= {f"static/{name}" for name in imported}
    assert {"static/app.js", "static/style.css", "static/api.js", "static/sse.js"} <= loaded
    for path in sorted(loaded):
        response = secured.get(f"/{path}")
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(MEDIA[Path(path).suffix]), path
        assert f"/{path}" in PUBLIC_PATHS


def test_nothing_inline_for_the_policy_to_block() -> None:
    tags = _index_tags()
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    assert scripts and all(attrs.get("src") for attrs in scripts)
    for tag, attrs in tags:
        assert "style" not in attrs, tag
        assert not [name for name in attrs if name.startswith("on")], tag
    for script in STATIC.glob("*.js"):
        code = script.read_text()
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|\beval\(", code), script


def test_the_hooks_the_browser_tests_use_are_in_the_page() -> None:
    hooks = {attrs.get("data-testid") for _, attrs in _index_tags()}
    assert {"question", "documents", "ask", "answer"} <= hooks
    scripts = "".join(p.read_text() for p in STATIC.glob("*.js"))
    assert 'testid: "step"' in scripts and '"data-testid": "citation"' in scripts
