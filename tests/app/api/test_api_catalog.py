"""The workers' tool catalogue over HTTP under a burst: the API asks the workers once
(ToolCatalogWorkflow) for every request that arrives while it asks, and keeps the answer, instead
of starting one workflow per request. On the real API server and dev server."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from temporalio.client import Client

from models.names import TOOL_CATALOG_WORKFLOW
from models.settings import Settings
from tests.app.api.conftest import running_api
from tests.visibility import closed_runs

pytestmark = pytest.mark.integration

BURST = 12


async def test_a_burst_of_catalogue_requests_asks_the_workers_once(
    client: Client, api_settings: Settings
) -> None:
    with running_api(client, api_settings) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            answers = await asyncio.gather(
                *(http.get("/system/orchestrator") for _ in range(BURST))
            )
            again = await http.get("/system/status")
        assert [a.status_code for a in answers] == [200] * BURST
        names = {tuple(t["name"] for t in a.json()["tools"]) for a in answers}
        assert len(names) == 1 and "search_documents" in next(iter(names))
        assert "search_documents" in again.json()["registry"]["names"]
        # BURST + 1 runs would be listed by now if each request had started its own
        assert await closed_runs(client, TOOL_CATALOG_WORKFLOW, server.task_queue, BURST + 1) == 1
