"""Streaming: the delay from the workflow recording a progress event (its ``at``, workflow time)
to an SSE client of the HTTP API receiving it, p50/p95.

The API runs as `docorch api` would (uvicorn, its own Temporal client and an in-process worker)
in a thread of its own; the benchmark process is the SSE client (httpx), on the same machine and
clock. Scenarios: a chain of sleep steps (events spread over time: the steady state of a reader
blocked on the ``wait_events`` update), several such streams at once, and a real question over
the sample documents (events in bursts). Also counted: events and workflow updates per query,
and the share of the query's history that delivering progress added (``progress_cost``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.registry import ToolRegistry
from activities.tools.catalog import default_registry
from app.api.main import create_app
from app.runtime import embedded
from app.runtime.api_thread import BackgroundApiServer
from bench.dags import SLEEP_TOOL, Dag, DagStep, sleep_tool
from bench.environment import environment
from bench.histories import ProgressCost, progress_cost
from bench.paths import SAMPLES
from bench.results import md_table
from bench.stats import median, percentile
from bench.workers import new_task_queue
from models.settings import Settings
from worker import build_worker

NAME = "streaming"
TITLE = "Streaming: event to SSE client"


def _registry() -> ToolRegistry:
    registry = default_registry()
    registry.register_function(sleep_tool, name=SLEEP_TOOL, estimated_duration=0.1)
    return registry


def _api(target_host: str, settings: Settings, task_queue: str) -> BackgroundApiServer:
    """The API with its own event loop, Temporal client and worker, in a background thread."""

    @contextlib.asynccontextmanager
    async def backend() -> AsyncIterator[embedded.Runtime]:
        client = await Client.connect(target_host, data_converter=pydantic_data_converter)
        async with build_worker(client, settings, registry=_registry(), task_queue=task_queue):
            yield embedded.Runtime(
                client=client, address=target_host, embedded_server=False, ui_url=None
            )

    app = create_app(settings, backend=backend, task_queue=task_queue)
    return BackgroundApiServer(app, name="bench-api")


async def _events(response: httpx.Response) -> AsyncIterator[tuple[float, dict[str, Any]]]:
    """(receive time, data) per SSE event, the time taken as soon as the event is complete."""
    data: str | None = None
    async for line in response.aiter_lines():
        if line.startswith("data:"):
            data = line[5:].strip()
        elif not line and data is not None:
            yield time.time(), json.loads(data)
            data = None


async def _stream(http: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    delays: list[float] = []
    workflow_id = ""
    async with http.stream("POST", "/chat/stream", json=body) as response:
        response.raise_for_status()
        workflow_id = response.headers["x-workflow-id"]
        async for received, data in _events(response):
            if "at" in data:
                at = datetime.fromisoformat(data["at"])
                at = at if at.tzinfo else at.replace(tzinfo=UTC)
                delays.append((received - at.timestamp()) * 1000)
    return {"workflow_id": workflow_id, "delays": delays}


async def _progress(client: Client, workflow_id: str) -> ProgressCost:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return progress_cost(history)


def _chain(steps: int, ms: int) -> dict[str, Any]:
    dag = Dag(
        name=f"chain{steps}x{ms}",
        steps=tuple(
            DagStep(id=f"s{i}", ms=ms, deps=(f"s{i - 1}",) if i else ()) for i in range(steps)
        ),
    )
    return dag.plan().model_dump(mode="json")


async def _scenario(
    http: httpx.AsyncClient, client: Client, bodies: list[dict[str, Any]], concurrency: int
) -> dict[str, Any]:
    delays: list[float] = []
    events: list[int] = []
    costs: list[ProgressCost] = []
    for start in range(0, len(bodies), concurrency):
        batch = bodies[start : start + concurrency]
        streams = await asyncio.gather(*(_stream(http, body) for body in batch))
        for stream in streams:
            delays += stream["delays"]
            events.append(len(stream["delays"]))
            costs.append(await _progress(client, stream["workflow_id"]))
    return {
        "queries": len(bodies),
        "concurrency": concurrency,
        "delay_ms": {
            "p50": round(percentile(delays, 50), 2),
            "p95": round(percentile(delays, 95), 2),
            "max": round(max(delays), 2),
            "n": len(delays),
        },
        "events_per_query": median(events),
        "updates_per_query": median([c.updates for c in costs]),
        "history_events_per_query": median([c.total for c in costs]),
        "progress_share": round(max(c.share for c in costs), 3),
    }


async def run(quick: bool) -> dict[str, Any]:
    bench = await environment()
    queries = 4 if quick else 20
    parallel = 4 if quick else 8
    chain = _chain(steps=5, ms=50)
    question = "What is the notice period for termination for convenience?"
    sample_docs = [
        str(SAMPLES / "contract_acme_globex.md"),
        str(SAMPLES / "contract_acme_initech.md"),
    ]

    def chain_body() -> dict[str, Any]:
        return {
            "query": "benchmark chain",
            "documents": sample_docs[:1],
            "plan": chain,
            "config": {"confidence_threshold": 0},
            "workflow_id": f"query-{uuid.uuid4()}",
        }

    target = bench.client.service_client.config.target_host
    with _api(target, bench.settings, new_task_queue("streaming")) as api:
        async with httpx.AsyncClient(base_url=api.base_url, timeout=60) as http:
            await _stream(http, chain_body())  # warm-up: worker caches, sandbox imports
            scenarios = {
                "chain of 5 × 50 ms steps, one stream": await _scenario(
                    http, bench.client, [chain_body() for _ in range(queries)], 1
                ),
                f"chain of 5 × 50 ms steps, {parallel} streams at once": await _scenario(
                    http, bench.client, [chain_body() for _ in range(parallel * 2)], parallel
                ),
                "QA over 2 sample contracts, one stream": await _scenario(
                    http,
                    bench.client,
                    [{"query": question, "documents": sample_docs} for _ in range(queries)],
                    1,
                ),
            }
    first = next(iter(scenarios.values()))
    share = max(s["progress_share"] for s in scenarios.values())
    return {
        "scenarios": scenarios,
        "goals": [
            {
                "goal": "event → SSE client p95 < 250 ms (one stream, steady state)",
                "measured": f"{first['delay_ms']['p95']:.0f} ms",
                "met": first["delay_ms"]["p95"] < 250,
            },
            {
                "goal": "live progress ≤ 20% of a followed query's history events",
                "measured": f"{share:.0%}",
                "met": share <= 0.2,
            },
        ],
    }


def table(results: dict[str, Any]) -> str:
    rows = [
        [
            name,
            r["queries"],
            r["delay_ms"]["p50"],
            r["delay_ms"]["p95"],
            r["delay_ms"]["max"],
            r["delay_ms"]["n"],
            r["events_per_query"],
            r["updates_per_query"],
            r.get("history_events_per_query", "–"),
            f"{r['progress_share']:.0%}" if "progress_share" in r else "–",
        ]
        for name, r in results["scenarios"].items()
    ]
    return (
        "Delay from the workflow recording an event (`at`, workflow time) to the SSE client "
        "receiving it through `POST /chat/stream` (uvicorn + its own Temporal client and worker in "
        "a thread; httpx client in the benchmark process; one machine, one clock). Updates per "
        "query = `wait_events` updates accepted into the history; *progress share* = the most, "
        "over the queries, of the history's events that delivering progress added (updates and "
        "the workflow tasks that ran for them alone; goal ≤ 20%).\n\n"
        + md_table(
            [
                "scenario",
                "queries",
                "p50 ms",
                "p95 ms",
                "max ms",
                "events",
                "events/query",
                "updates/query",
                "history events/query",
                "progress share",
            ],
            rows,
        )
    )
