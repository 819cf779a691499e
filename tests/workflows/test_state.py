"""State scopes: global per-tool figures from the store, sessions and executions from Temporal,
in one summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import Client

from app.state import state_summary
from models.settings import Settings
from tests.conftest import WorkerFactory

pytestmark = pytest.mark.integration


async def test_summary_reports_open_sessions_and_the_tool_figures_of_completed_steps(
    run_worker: WorkerFactory, samples: Path, settings: Settings, client: Client
) -> None:
    docs = [str(samples / "contract_acme_globex.md")]
    async with run_worker() as sdk:
        await sdk.run("What is the monthly fee?", docs)
        session = await sdk.sessions.create(docs)
        turn = await sdk.sessions.ask(session, "What is the governing law?")
        await sdk.sessions.result(session, turn)
        summary = await state_summary(client, settings, registered_tools=4)
        await sdk.sessions.close(session)
    scopes = {s.scope: s for s in summary.scopes}
    assert set(scopes) == {"global", "session", "execution"}
    assert summary.active_sessions >= 1 and scopes["session"].entries >= 1
    assert scopes["global"].entries >= 2 and scopes["global"].bytes > 0
    assert scopes["global"].details["registered_tools"] == 4
    tools = {t.tool: t for t in summary.tools}
    assert tools["search_documents"].calls >= 2 and tools["search_documents"].success_rate == 1.0
    assert tools["search_documents"].p95_ms >= tools["search_documents"].p50_ms > 0
