"""Sessions and state over HTTP, on the real API server and dev server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration


async def test_a_session_over_http_answers_a_follow_up(
    http: httpx.AsyncClient, samples: Path
) -> None:
    docs = [str(samples / "contract_acme_globex.md"), str(samples / "contract_acme_initech.md")]
    created = await http.post("/sessions", json={"documents": docs})
    assert created.status_code == 201, created.text
    session = created.json()["session_id"]
    # the list comes from Temporal visibility, eventually consistent: a session just started
    # may take a moment to be listed (it was missed once on a loaded machine)
    for _ in range(100):
        if session in (await http.get("/sessions")).json():
            break
        await asyncio.sleep(0.1)
    assert session in (await http.get("/sessions")).json()

    first = await http.post(
        f"/sessions/{session}/ask", json={"question": "What is the monthly fee?"}
    )
    assert first.status_code == 200, first.text
    second = await http.post(
        f"/sessions/{session}/ask", json={"question": "And what about the second contract?"}
    )
    query_id = second.json()["query_workflow_id"]
    assert query_id == f"{session}-turn-2"

    removed = await http.post(f"/sessions/{session}/documents/remove", json={"documents": docs[:1]})
    assert removed.json() == docs[1:]
    added = await http.post(f"/sessions/{session}/documents", json={"documents": docs[:1]})
    assert sorted(added.json()) == sorted(docs)

    closed = await http.post(f"/sessions/{session}/close")
    assert closed.status_code == 200, closed.text
    turns = (await http.get(f"/sessions/{session}/turns")).json()
    assert [t["status"] for t in turns] == ["completed", "completed"]
    assert "15,500" in turns[1]["answer_summary"]

    refused = await http.post(f"/sessions/{session}/ask", json={"question": "Anything else?"})
    assert refused.status_code in (404, 409)


async def test_ask_with_wait_started_can_be_followed_at_once(
    http: httpx.AsyncClient, samples: Path
) -> None:
    docs = [str(samples / "contract_acme_globex.md")]
    session = (await http.post("/sessions", json={"documents": docs})).json()["session_id"]
    asked = await http.post(
        f"/sessions/{session}/ask",
        params={"wait_started": "true"},
        json={"question": "What is the notice period for termination?"},
    )
    assert asked.status_code == 200, asked.text
    query_id = asked.json()["query_workflow_id"]
    # started already: its execution exists and its events can be read to the final answer
    assert (await http.get(f"/executions/{query_id}")).status_code == 200
    async with http.stream("GET", f"/executions/{query_id}/events") as stream:
        assert stream.status_code == 200
        kinds = [
            line.removeprefix("event: ")
            async for line in stream.aiter_lines()
            if line.startswith("event: ")
        ]
    assert kinds[0] == "reasoning_step" and kinds[-1] == "final_answer"
    await http.post(f"/sessions/{session}/close")


async def test_ids_of_queries_and_sessions_are_never_taken_for_each_other(
    http: httpx.AsyncClient, samples: Path
) -> None:
    docs = [str(samples / "contract_acme_globex.md")]
    session = (await http.post("/sessions", json={"documents": docs})).json()["session_id"]
    try:
        # /chat attaching to the session as if it were a query would wait until it closes
        details = {}
        for workflow_id in (session, f"{session}-turn-1", "not-a-query-id"):
            attached = await http.post(
                "/chat",
                json={"query": "What is the fee?", "documents": docs, "workflow_id": workflow_id},
                timeout=10,
            )
            assert attached.status_code == 422, (workflow_id, attached.text)
            details[workflow_id] = str(attached.json()["detail"])
        assert "is a session's id" in details[session]
        for path in ("/sessions/query-123/turns", f"/sessions/{session}-turn-1/turns"):
            refused = await http.get(path)
            assert refused.status_code == 422, path
        assert (await http.get(f"/sessions/{session}/turns")).status_code == 200
    finally:
        await http.post(f"/sessions/{session}/close")


async def test_session_documents_are_confined(http: httpx.AsyncClient) -> None:
    """By the workers' roots, when a turn reads them (the API may run on another host); a
    malformed reference is refused when the session starts."""
    malformed = await http.post("/sessions", json={"documents": ["file:"]})
    assert malformed.status_code == 422
    assert malformed.json()["error_type"] == "InvalidDocumentReference"
    created = await http.post("/sessions", json={"documents": ["/etc/passwd"]})
    session = created.json()["session_id"]
    try:
        asked = await http.post(f"/sessions/{session}/ask", json={"question": "What?"})
        turn = asked.json()["query_workflow_id"]
        for _ in range(200):
            (last,) = (await http.get(f"/sessions/{session}/turns")).json()
            if last["status"] != "pending":
                break
            await asyncio.sleep(0.05)
        assert last["status"] == "failed", last
        failure = (await http.get(f"/executions/{turn}")).json()["failure"]
        assert failure.startswith("NoUsableDocuments: ")
        assert "/etc/passwd: outside the allowed roots" in failure
    finally:
        await http.post(f"/sessions/{session}/close")


async def test_system_state_reports_every_scope(http: httpx.AsyncClient) -> None:
    response = await http.get("/system/state")
    assert response.status_code == 200, response.text
    scopes = {s["scope"] for s in response.json()["scopes"]}
    assert scopes == {"global", "session", "execution"}
