"""Without a token the API is for this machine only: loopback listening, Host checked (DNS
rebinding), cross-site requests refused; state-changing requests must carry JSON, a multipart
form or (uploads) raw bytes; uploads are private files, and one that fails leaves nothing."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from app.api.exposure import (
    UnsafeExposure,
    allowed_hosts,
    body_type_allowed,
    check_exposure,
    host_allowed,
    host_of,
)
from app.api.routes.documents import scratch_dir
from models.settings import Settings
from tests.app.api.conftest import UPLOAD_LIMIT, ApiServer

DOCORCH = Path(sys.executable).with_name("docorch")


def _settings(**values: object) -> Settings:
    return Settings().model_copy(update=values)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_interfaces_need_no_token(host: str) -> None:
    check_exposure(_settings(api_token=None), host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "api.example.com"])
def test_other_interfaces_are_refused_without_a_token(host: str) -> None:
    with pytest.raises(UnsafeExposure, match="DOCORCH_API_TOKEN"):
        check_exposure(_settings(api_token=None), host)
    check_exposure(_settings(api_token="t0ken"), host)


def test_docorch_api_refuses_to_listen_beyond_loopback_without_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DOCORCH_API_TOKEN"}
    env["DOCORCH_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [str(DOCORCH), "api", "--host", "0.0.0.0", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "refusing to listen on 0.0.0.0 without DOCORCH_API_TOKEN" in " ".join(
        done.stderr.split()
    )


def test_host_names_allowed() -> None:
    loopback_only = allowed_hosts(_settings(api_token=None))
    assert loopback_only is not None
    for value in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"):
        assert host_allowed(host_of(value), loopback_only), value
    for value in ("evil.example:8000", "localhost.evil.example", "", "10.0.0.1"):
        assert not host_allowed(host_of(value), loopback_only), value
    configured = allowed_hosts(_settings(api_token=None, api_allowed_hosts=("docs.internal",)))
    assert configured is not None and host_allowed(host_of("docs.internal:80"), configured)
    assert allowed_hosts(_settings(api_token="t0ken")) is None  # the token is the defence


@pytest.mark.parametrize(
    ("content_type", "upload", "has_body", "allowed"),
    [
        ("application/json", False, True, True),
        ("application/json; charset=utf-8", False, True, True),
        ("application/merge-patch+json", False, True, True),
        ("multipart/form-data; boundary=x", False, True, True),
        ("application/octet-stream", True, True, True),
        ("application/octet-stream", False, True, False),
        ("text/plain", False, True, False),
        ("text/plain", True, True, False),
        ("application/x-www-form-urlencoded", True, True, False),
        (None, False, False, True),
        (None, True, True, False),
    ],
)
def test_body_types_of_state_changing_requests(
    content_type: str | None, upload: bool, has_body: bool, allowed: bool
) -> None:
    assert body_type_allowed(content_type, upload=upload, has_body=has_body) is allowed


# ---- against the served API (no token) -----------------------------------------------------

integration = pytest.mark.integration


def _uploaded_files(settings: Settings) -> set[Path]:
    root = scratch_dir(settings)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@integration
async def test_a_foreign_host_header_is_refused(http: httpx.AsyncClient) -> None:
    rebound = await http.get("/system/orchestrator", headers={"Host": "evil.example:8000"})
    assert rebound.status_code == 400 and rebound.json()["error_type"] == "HostNotAllowed"
    local = await http.get("/system/orchestrator", headers={"Host": "localhost:8000"})
    assert local.status_code == 200


@integration
async def test_cross_site_simple_posts_plant_nothing_and_start_nothing(
    http: httpx.AsyncClient, api_settings: Settings, client: Client, api_server: ApiServer
) -> None:
    before = _uploaded_files(api_settings)
    marker = f"planted {uuid.uuid4()}"
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"content-type": content_type} if content_type else {}
        planted = await http.post(
            "/documents", params={"filename": "plant.md"}, content=marker, headers=headers
        )
        assert planted.status_code == 415, (content_type, planted.text)
        assert planted.json()["error_type"] == "UnsupportedMediaType"
        question = f'{{"query": "{marker}", "documents": ["a.md"]}}'
        asked = await http.post("/chat", content=question, headers=headers)
        assert asked.status_code == 415, content_type
    assert _uploaded_files(api_settings) == before
    started = [
        w
        async for w in client.list_workflows(
            f"TaskQueue = '{api_server.task_queue}' AND WorkflowType = 'QueryWorkflow'"
        )
    ]
    assert all(marker not in str(w.id) for w in started)


@integration
async def test_a_post_from_another_site_is_refused(
    http: httpx.AsyncClient, api_server: ApiServer
) -> None:
    body: dict[str, object] = {"documents": [], "config": {}}
    foreign = await http.post("/sessions", json=body, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and foreign.json()["error_type"] == "OriginNotAllowed"
    null = await http.post("/sessions", json=body, headers={"Origin": "null"})
    assert null.status_code == 403
    own = await http.get("/documents", headers={"Origin": "https://evil.example"})
    assert own.status_code == 200  # reading is not refused: the browser keeps the answer


@integration
async def test_multipart_upload_is_stored_privately_and_ingested(
    http: httpx.AsyncClient, api_settings: Settings
) -> None:
    text = f"# Multipart {uuid.uuid4()}\n\nThe multipart fee is 17 euros.\n".encode()
    response = await http.post("/documents", files={"file": ("fee notes.md", text, "text/x")})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "fee notes.md"
    # the bytes went into the store (the claim check), privately; no scratch copy stays behind
    content_id = hashlib.sha256(text).hexdigest()[:16]
    content = next(p for p in api_settings.data_dir.rglob(content_id) if p.is_file())
    assert stat.S_IMODE(content.stat().st_mode) == 0o600
    assert _uploaded_files(api_settings) == set()
    renamed = await http.post(
        "/documents",
        params={"filename": "renamed.md"},
        files={"file": ("x/y.md", text + b"Renamed.\n")},
    )
    assert renamed.status_code == 201 and renamed.json()["name"] == "renamed.md"


@integration
async def test_failed_uploads_leave_nothing_on_disk(
    http: httpx.AsyncClient, api_settings: Settings
) -> None:
    before = _uploaded_files(api_settings)
    too_big = b"z" * (UPLOAD_LIMIT + 1)
    oversized = await http.post("/documents", files={"file": ("big.txt", too_big)})
    assert oversized.status_code == 413
    way_too_big = b"z" * (UPLOAD_LIMIT + 200_000)  # past the form's cap: cut while reading
    cut = await http.post("/documents", files={"file": ("bigger.txt", way_too_big)})
    assert cut.status_code == 413
    corrupt = await http.post(
        "/documents",
        files={"file": ("broken.pdf", b"%PDF-1.7\n" + os.urandom(2000))},
    )
    assert corrupt.status_code == 422 and corrupt.json()["error_type"]
    unsupported = await http.post(
        "/documents",
        params={"filename": f"{uuid.uuid4()}.xyz"},
        content=b"hello",
        headers={"content-type": "application/octet-stream"},
    )
    assert unsupported.status_code == 422
    no_file = await http.post("/documents", files={"other": ("a.md", b"hello")})
    assert no_file.status_code == 422
    assert _uploaded_files(api_settings) == before
    leftovers = [
        p for p in scratch_dir(api_settings).iterdir() if p.is_dir() and not any(p.iterdir())
    ]
    assert leftovers == []
