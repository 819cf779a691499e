"""The reproductions of issue 13 over HTTP: input the API accepted and that then wedged a workflow
is now a 422 (or, when only the session can tell, a 409 from its update validator), and the
session keeps answering. On the real API server and dev server; the autouse
``no_failed_activations`` fixture checks that no workflow task failed meanwhile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from models.limits import MAX_DOCUMENT_NAMES_BYTES

pytestmark = pytest.mark.integration


def _contracts(samples: Path) -> list[str]:
    return [str(samples / "contract_acme_globex.md"), str(samples / "contract_acme_initech.md")]


async def _session(http: httpx.AsyncClient, documents: list[str]) -> str:
    created = await http.post("/sessions", json={"documents": documents})
    assert created.status_code == 201, created.text
    session: str = created.json()["session_id"]
    return session


@pytest.mark.parametrize(
    "body",
    [
        {"question": "What is the monthly fee?", "documents": ["", ""]},
        {"question": "   "},
        {"question": "What is the monthly fee?", "documents": [" "]},
    ],
)
async def test_a_blank_question_or_document_name_is_refused_and_the_session_answers(
    http: httpx.AsyncClient, samples: Path, body: dict[str, Any]
) -> None:
    session = await _session(http, _contracts(samples))
    refused = await http.post(f"/sessions/{session}/ask", json=body)
    assert refused.status_code == 422, refused.text
    added = await http.post(f"/sessions/{session}/documents", json={"documents": ["", " "]})
    assert added.status_code == 422, added.text
    asked = await http.post(
        f"/sessions/{session}/ask", json={"question": "What is the monthly fee?"}
    )
    assert asked.status_code == 200, asked.text
    closed = await http.post(f"/sessions/{session}/close")
    assert [t["status"] for t in closed.json()["turns"]] == ["completed"]


async def test_a_session_of_blank_documents_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post("/sessions", json={"documents": ["  "]})
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/chat", {"query": "Fee?", "documents": ["a.md"], "config": {"deadline_seconds": 1e300}}),
        ("/sessions", {"documents": ["a.md"], "config": {"idle_timeout_seconds": 1e14}}),
        ("/sessions", {"config": {"continue_as_new_after_events": 10**12}}),
    ],
)
async def test_settings_temporal_cannot_hold_are_refused(
    http: httpx.AsyncClient, path: str, body: dict[str, Any]
) -> None:
    response = await http.post(path, json=body)
    assert response.status_code == 422, response.text


async def test_a_thousand_long_document_names_are_refused_before_temporal(
    http: httpx.AsyncClient,
) -> None:
    names = [f"{'d' * 900}-{i}" for i in range(1000)]  # 0.9 MB: inside the body limit
    response = await http.post("/chat", json={"query": "What is the fee?", "documents": names})
    assert response.status_code == 422, response.text
    assert "bytes" in response.text


async def test_a_sessions_documents_stay_within_a_requests_budget(
    http: httpx.AsyncClient, samples: Path
) -> None:
    """Each addition is fine on its own; together they would not fit a request: the session's
    validator refuses the one that would pass the budget (409), and nothing changed."""
    long_names = [f"{'n' * 1000}-{i}" for i in range(MAX_DOCUMENT_NAMES_BYTES // 1010)]
    session = await _session(http, _contracts(samples))
    first = await http.post(f"/sessions/{session}/documents", json={"documents": long_names})
    assert first.status_code == 200, first.text
    more = [f"{'m' * 1000}-{i}" for i in range(10)]
    refused = await http.post(f"/sessions/{session}/documents", json={"documents": more})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error_type"] == "InvalidRequest"
    asked = await http.post(
        f"/sessions/{session}/ask", json={"question": "Fee?", "documents": more}
    )
    assert asked.status_code == 409, asked.text
    state = (await http.get(f"/sessions/{session}")).json()
    assert state["documents"] == [*_contracts(samples), *long_names]
    assert state["turns"] == []
    await http.post(f"/sessions/{session}/close")


@pytest.mark.parametrize(
    "reference",
    ["file:/docs/a\0b.md", "content:0123456789abcdef/a\0b.md", "notes\0.md", "a\0"],
    ids=["file", "content", "name", "id"],
)
async def test_a_reference_with_a_nul_byte_is_refused_before_a_query_starts(
    http: httpx.AsyncClient, reference: str
) -> None:
    """No path, file name or id has a NUL byte: such a reference is malformed (422
    InvalidDocumentReference, no workflow), not a document the workers look for."""
    asked = await http.post("/chat", json={"query": "What?", "documents": [reference]})
    assert asked.status_code == 422, asked.text
    assert asked.json()["error_type"] == "InvalidDocumentReference"
    assert asked.json()["workflow_id"] is None
    opened = await http.post("/sessions", json={"documents": [reference]})
    assert opened.status_code == 422 and opened.json()["error_type"] == "InvalidDocumentReference"


async def test_paths_no_file_can_have_are_reported_as_not_found(
    http: httpx.AsyncClient, docs_dir: Path
) -> None:
    """Well-formed references to paths the OS refuses (the home of no user, a name past the
    file system's limit, a symlink loop inside a root): the query fails NoUsableDocuments
    naming each as not found — not as a document that 'could not be read' — and nothing
    outside the roots is read."""
    loop = docs_dir / "loop-api.md"
    loop.symlink_to(loop)
    references = [
        "file:~no-such-user-docorch/x.md",
        f"file:{docs_dir / ('x' * 300 + '.md')}",
        f"file:{loop}",
        "file:/etc/passwd",
    ]
    try:
        asked = await http.post("/chat", json={"query": "What?", "documents": references})
    finally:
        loop.unlink()  # the other tests share the folder
    assert asked.status_code == 422, asked.text
    refused = asked.json()
    assert refused["error_type"] == "NoUsableDocuments"
    assert refused["detail"].count("no such file") == 3
    assert "could not be read" not in refused["detail"]
    assert "/etc/passwd: outside the allowed roots" in refused["detail"]
