"""The HTTP API on a real uvicorn server (loopback, free port) over the real dev server."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from models.settings import Settings
from tests.app.api.conftest import TOKEN, UPLOAD_LIMIT, ApiServer, running_api
from tests.client.tools import retry_and_fallback_plan, slow_plan

pytestmark = pytest.mark.integration
QUESTION = "What is the notice period for termination for convenience?"
SSE_TYPES = {"reasoning_step", "tool_execution", "final_answer", "error"}


def _docs(samples: Path, *names: str) -> list[str]:
    return [str(samples / n) for n in names or ("contract_acme_globex.md",)]


async def _sse(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """Parse a text/event-stream body into {event, id, data} dicts (comments skipped)."""
    fields: dict[str, Any] = {}
    async for line in response.aiter_lines():
        if not line:
            if "data" in fields:
                fields["data"] = json.loads(fields["data"])
                yield fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value


async def _read_stream(
    http: httpx.AsyncClient,
    body: dict[str, Any],
    *,
    last_event_id: str | None = None,
    stop_after: int | None = None,
) -> tuple[httpx.Response, list[dict[str, Any]]]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    events: list[dict[str, Any]] = []
    async with http.stream("POST", "/chat/stream", json=body, headers=headers) as response:
        if response.status_code != 200:
            await response.aread()
            return response, events
        async for event in _sse(response):
            events.append(event)
            if stop_after is not None and len(events) >= stop_after:
                break
    return response, events


# ---- chat -----------------------------------------------------------------------------------


async def test_chat_returns_the_query_result(http: httpx.AsyncClient, samples: Path) -> None:
    response = await http.post("/chat", json={"query": QUESTION, "documents": _docs(samples)})
    assert response.status_code == 200, response.text
    result = response.json()
    assert "90 days" in result["answer"] and result["citations"]
    assert result["query_type"] == "qa" and 0 < result["confidence_score"] <= 1
    assert result["workflow_id"].startswith("query-")
    assert result["execution_summary"]["steps"] and result["orchestrator_version"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"documents": ["a.md"]}, "query"),
        ({"query": "   ", "documents": ["a.md"]}, "query is empty"),
        ({"query": "What?", "documents": []}, "documents"),
        ({"query": "What?", "documents": ["a.md"], "config": {"max_parallel_steps": 0}}, "max"),
        ({"query": "What?", "documents": ["a.md"], "plan": {"steps": "x"}}, "plan"),
        ({"query": "What?", "documents": ["a.md"], "workflow_id": "../etc"}, "workflow_id"),
    ],
)
async def test_invalid_bodies_are_refused_with_a_clear_422(
    http: httpx.AsyncClient, body: dict[str, Any], fragment: str
) -> None:
    response = await http.post("/chat", json=body)
    assert response.status_code == 422
    assert fragment in response.text


async def test_malformed_and_oversized_bodies(http: httpx.AsyncClient) -> None:
    malformed = await http.post(
        "/chat", content=b'{"query": "x", ', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 422
    huge = {"query": "What?", "documents": ["a" * 1000] * 1100}
    oversized = await http.post("/chat", json=huge)
    assert oversized.status_code == 413 and "BodyTooLarge" in oversized.text

    async def chunks() -> AsyncIterator[bytes]:  # no content-length: counted as it streams
        yield b'{"query": "What?", "documents": ["'
        for _ in range(1200):
            yield b"a" * 1024
        yield b'"]}'

    streamed = await http.post(
        "/chat", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_query_failures_are_422_with_the_error_type(
    http: httpx.AsyncClient, docs_dir: Path
) -> None:
    # the workers' roots decide (this API could run on another host): the query says why
    outside = await http.post("/chat", json={"query": "What?", "documents": ["/etc/passwd"]})
    assert outside.status_code == 422
    refused = outside.json()
    assert refused["error_type"] == "NoUsableDocuments"
    assert "/etc/passwd: outside the allowed roots" in refused["detail"]
    # a reference that is no reference is refused before any query starts
    malformed = await http.post(
        "/chat", json={"query": "What?", "documents": ["content:not-an-id/a.md"]}
    )
    assert malformed.status_code == 422 and malformed.json()["workflow_id"] is None
    assert malformed.json()["error_type"] == "InvalidDocumentReference"
    missing = await http.post(
        "/chat", json={"query": "What?", "documents": [str(docs_dir / "nope.md")]}
    )
    assert missing.status_code == 422
    body = missing.json()
    assert body["error_type"] == "NoUsableDocuments" and body["workflow_id"].startswith("query-")


# ---- streaming -----------------------------------------------------------------------------


async def test_chat_stream_is_read_to_its_end(http: httpx.AsyncClient, samples: Path) -> None:
    response, events = await _read_stream(http, {"query": QUESTION, "documents": _docs(samples)})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    workflow_id = response.headers["x-workflow-id"]
    assert {e["event"] for e in events} <= SSE_TYPES
    assert [int(e["id"]) for e in events] == list(range(len(events)))
    assert events[0]["event"] == "reasoning_step" and events[0]["data"]["kind"] == "plan_created"
    assert any(e["event"] == "tool_execution" for e in events)
    final = events[-1]
    assert final["event"] == "final_answer" and final["data"]["workflow_id"] == workflow_id
    assert "90 days" in final["data"]["result"]["answer"]


async def test_stream_reconnect_with_last_event_id_neither_loses_nor_repeats(
    http: httpx.AsyncClient, samples: Path
) -> None:
    body = {
        "query": QUESTION,
        "documents": _docs(samples),
        "workflow_id": f"query-{uuid.uuid4()}",
        "plan": retry_and_fallback_plan(QUESTION),
        "config": {"confidence_threshold": 0},
    }
    _, first = await _read_stream(http, body, stop_after=3)
    assert len(first) == 3
    response, rest = await _read_stream(http, body, last_event_id=first[-1]["id"])
    assert response.status_code == 200
    offsets = [int(e["id"]) for e in first + rest]
    assert offsets == list(range(len(offsets)))
    assert rest[-1]["event"] == "final_answer"
    assert any(e["data"]["kind"] == "step_fell_back" for e in first + rest)
    # the same body again attaches to the same query: nothing new starts
    _, replay = await _read_stream(http, body)
    assert [e["id"] for e in replay] == [str(o) for o in offsets]
    bad = await http.post(
        "/chat/stream", json={**body, "workflow_id": None}, headers={"Last-Event-ID": "2"}
    )
    assert bad.status_code == 422
    not_a_number = await http.post("/chat/stream", json=body, headers={"Last-Event-ID": "x"})
    assert not_a_number.status_code == 422


# ---- executions ------------------------------------------------------------------------------


async def test_execution_trace_events_and_cancel(http: httpx.AsyncClient, samples: Path) -> None:
    workflow_id = f"query-{uuid.uuid4()}"
    body = {
        "query": QUESTION,
        "documents": _docs(samples),
        "workflow_id": workflow_id,
        "plan": slow_plan(QUESTION, seconds=2),
    }
    _, first = await _read_stream(http, body, stop_after=1)  # started, plan created
    running = await http.get(f"/executions/{workflow_id}")
    assert running.status_code == 200
    view = running.json()
    assert view["status"] == "running" and view["workflow_type"] == "QueryWorkflow"
    assert view["state"]["plan"]["steps"] and view["result"] is None
    cancelled = await http.post(f"/executions/{workflow_id}/cancel")
    assert cancelled.status_code == 202 and cancelled.json()["cancel_requested"]
    async with http.stream(
        "GET", f"/executions/{workflow_id}/events", headers={"Last-Event-ID": first[-1]["id"]}
    ) as response:
        events = [e async for e in _sse(response)]
    assert int(events[0]["id"]) == int(first[-1]["id"]) + 1
    assert events[-1]["event"] == "final_answer"
    assert events[-1]["data"]["result"]["status"] == "cancelled"
    done = (await http.get(f"/executions/{workflow_id}")).json()
    assert done["status"] == "completed" and done["result"]["status"] == "cancelled"
    again = await http.post(f"/executions/{workflow_id}/cancel")
    assert again.status_code == 409
    trace = await http.get(f"/executions/{workflow_id}/trace")
    assert trace.status_code == 200
    assert [r["activity_id"] for r in trace.json()["rows"]][:1] == ["search"]
    assert trace.json()["ui_url"].endswith(workflow_id)


async def test_unknown_executions_are_404(http: httpx.AsyncClient) -> None:
    for path in (
        "/executions/query-nope",
        "/executions/query-nope/trace",
        "/executions/query-nope/events",
    ):
        assert (await http.get(path)).status_code == 404, path
    assert (await http.post("/executions/query-nope/cancel")).status_code == 404
    assert (await http.get("/executions/bad%20id")).status_code == 422


async def test_execution_summary_from_visibility(http: httpx.AsyncClient, samples: Path) -> None:
    ok = await http.post("/chat", json={"query": QUESTION, "documents": _docs(samples)})
    assert ok.status_code == 200
    await http.post("/chat", json={"query": "What?", "documents": ["nope.md"]})
    # visibility is eventually consistent: wait until both queries are listed as closed
    for _ in range(50):
        summary = (await http.get("/executions/summary", params={"limit": 100})).json()
        if summary["completed"] >= 1 and summary["failed"] >= 1 and summary["confidence"]:
            break
        import asyncio

        await asyncio.sleep(0.1)
    assert 0 < summary["success_rate"] < 1
    assert (
        summary["latency_ms"]["p50"] > 0
        and summary["latency_ms"]["p95"] >= summary["latency_ms"]["p50"]
    )
    assert sum(summary["confidence"].values()) >= 1 and summary["mean_confidence"] > 0
    assert summary["query_types"].get("qa", 0) >= 1
    assert any("NoUsableDocuments" in e["error"] for e in summary["most_common_errors"])
    assert (await http.get("/executions/summary", params={"limit": 0})).status_code == 422


# ---- documents -------------------------------------------------------------------------------


async def test_upload_ingests_and_lists_documents(http: httpx.AsyncClient, samples: Path) -> None:
    text = f"# Upload test {uuid.uuid4()}\n\nThe upload fee is 42 euros per month.\n".encode()
    response = await http.post(
        "/documents",
        params={"filename": "upload_test.md"},
        content=text,
        headers={"content-type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    ref = response.json()
    assert ref["name"] == "upload_test.md" and ref["chunks"] >= 1
    listed = (await http.get("/documents")).json()
    assert ref["id"] in {d["id"] for d in listed["documents"]}
    assert listed["stats"]["documents"] >= 1
    answer = await http.post(
        "/chat", json={"query": "What is the upload fee?", "documents": [ref["id"]]}
    )
    assert answer.status_code == 200 and "42 euros" in answer.json()["answer"]
    # the claim check, as the SDK writes it, and a corpus file on the workers: both are
    # references the workers resolve, whatever this API's own roots and directory
    by_content = await http.post(
        "/chat",
        json={
            "query": "What is the upload fee?",
            "documents": [f"content:{hashlib.sha256(text).hexdigest()[:16]}/upload_test.md"],
        },
    )
    assert by_content.status_code == 200, by_content.text
    assert "42 euros" in by_content.json()["answer"]
    by_file = await http.post(
        "/chat", json={"query": QUESTION, "documents": [f"file:{p}" for p in _docs(samples)]}
    )
    assert by_file.status_code == 200, by_file.text
    assert "90 days" in by_file.json()["answer"]


async def test_uploads_are_size_limited_while_streaming_and_names_confined(
    http: httpx.AsyncClient,
) -> None:
    raw = {"content-type": "application/octet-stream"}
    big = b"x" * (UPLOAD_LIMIT + 1)
    declared = await http.post(
        "/documents", params={"filename": "big.txt"}, content=big, headers=raw
    )
    assert declared.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(UPLOAD_LIMIT // 10_000 + 2):
            yield b"y" * 10_000

    streamed = await http.post(
        "/documents", params={"filename": "big.txt"}, content=chunks(), headers=raw
    )
    assert streamed.status_code == 413
    for name in ("../escape.md", "a/b.md", ".hidden"):
        response = await http.post(
            "/documents", params={"filename": name}, content=b"hello", headers=raw
        )
        assert response.status_code == 422, name
    empty = await http.post("/documents", params={"filename": "empty.md"}, content=b"", headers=raw)
    assert empty.status_code == 422
    unsupported = await http.post(
        "/documents", params={"filename": "x.xyz"}, content=b"hello", headers=raw
    )
    assert unsupported.status_code == 422
    assert unsupported.json()["error_type"] == "UnsupportedDocument"


# ---- system ----------------------------------------------------------------------------------


async def test_without_a_worker_the_api_says_it_cannot_list_the_tools(
    client: Client, api_settings: Settings
) -> None:
    """The tools are the workers': an API whose task queue no worker polls lists none, says
    why (status), and answers /system/orchestrator with a 503 — it has no catalogue of its
    own to pass off as theirs."""
    with running_api(client, api_settings, with_worker=False) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            status = (await http.get("/system/status")).json()
            info = await http.get("/system/orchestrator")
            state = (await http.get("/system/state")).json()
    assert status["registry"]["tools"] == 0 and status["registry"]["names"] == []
    assert "no worker polls task queue" in status["registry"]["error"]
    assert info.status_code == 503 and info.json()["error_type"] == "NoWorker"
    scope = next(s for s in state["scopes"] if s["scope"] == "global")
    assert scope["details"]["registered_tools"] == "unknown: no worker answered"


async def test_system_status_and_orchestrator(
    http: httpx.AsyncClient, api_server: ApiServer
) -> None:
    status = (await http.get("/system/status")).json()
    assert status["temporal"]["reachable"] and status["temporal"]["server_version"]
    assert status["temporal"]["search_attributes"] is True
    workers = status["workers"]
    assert workers["task_queue"] == api_server.task_queue and workers["polling"]
    assert workers["workflow_pollers"] and workers["activity_pollers"]
    assert "flaky_search" in status["registry"]["names"]
    assert status["versions"]["temporalio"] and "documents" in status["documents"]
    info = (await http.get("/system/orchestrator")).json()
    assert set(info["strategies"]) == {"simple", "parallel", "adaptive", "comprehensive"}
    tools = {t["name"]: t for t in info["tools"]}
    assert tools["broken_search"]["alternatives"] == ["search_documents"]
    search = tools["search_documents"]
    assert search["parameters"]["properties"]["query"] and search["result"]
    assert search["reliability"] == "high" and search["estimated_duration"] > 0
    assert search["max_attempts"] >= 1 and info["config"]["defaults"]["max_parallel_steps"]


async def test_metrics_include_the_api_and_the_temporal_worker(http: httpx.AsyncClient) -> None:
    await http.get("/health")
    response = await http.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert 'docorch_http_requests_total{method="GET",route="/health",status="200"}' in text
    assert "docorch_sse_event_delay_seconds_bucket" in text
    assert "temporal_" in text and "# Temporal SDK metrics unavailable" not in text


async def test_health_is_open_and_everything_else_needs_the_token(
    secured_api_server: ApiServer,
) -> None:
    async with httpx.AsyncClient(base_url=secured_api_server.base_url, timeout=30) as http:
        assert (await http.get("/health")).status_code == 200
        for method, path in (
            ("GET", "/system/status"),
            ("GET", "/openapi.json"),
            ("GET", "/documents"),
            ("POST", "/chat"),
            ("GET", "/executions/query-x"),
        ):
            response = await http.request(method, path)
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"] == "Bearer"
        wrong = await http.get("/system/status", headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 401
        good = {"Authorization": f"Bearer {TOKEN}"}
        assert (await http.get("/system/status", headers=good)).status_code == 200
        assert (await http.get("/openapi.json", headers=good)).status_code == 200
        info = (await http.get("/system/orchestrator", headers=good)).json()
        assert info["config"]["auth_required"] is True


async def test_without_a_token_no_authorization_is_needed(http: httpx.AsyncClient) -> None:
    assert (await http.get("/system/orchestrator")).status_code == 200
    assert (await http.get("/openapi.json")).status_code == 200
