"""State scopes: step outputs kept by reference, cleanup that keeps what is referenced,
global per-tool figures, and the summary."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from activities.state import StateStore
from app.state import cleanup, state_summary
from models.settings import Settings
from tests.conftest import WorkerFactory

pytestmark = pytest.mark.integration


def _age(store: StateStore, workflow_id: str, seconds: float) -> None:
    old = time.time() - seconds
    for path in (store.steps_dir / workflow_id).glob("*.json"):
        os.utime(path, (old, old))


async def test_step_outputs_are_kept_and_cleanup_spares_referenced_ones(
    run_worker: WorkerFactory, samples: Path, settings: Settings, client
) -> None:
    docs = [str(samples / "contract_acme_globex.md")]
    async with run_worker() as sdk:
        finished = await sdk.run("What is the monthly fee?", docs)
        session = await sdk.sessions.create(docs)
        in_session = await sdk.sessions.ask(session, "What is the governing law?")
        await sdk.sessions.result(session, in_session)
        store = StateStore(settings.data_dir)
        outputs = store.step_outputs(finished.workflow_id)
        assert set(outputs) >= {s.step_id for s in finished.execution_summary.steps}
        assert outputs["answer_1"]["answer"] == finished.answer
        _age(store, finished.workflow_id, 7200)
        _age(store, in_session, 7200)
        report = await cleanup(client, settings, ttl_seconds=3600)
        assert store.step_outputs(finished.workflow_id) == {}
        assert store.step_outputs(in_session) != {}, "an open session's turn must be kept"
        assert report.removed_executions >= 1 and report.kept_referenced >= 1
        summary = await state_summary(client, settings, registered_tools=4)
        await sdk.sessions.close(session)
    scopes = {s.scope: s for s in summary.scopes}
    assert set(scopes) == {"global", "session", "execution", "step"}
    assert summary.active_sessions >= 1 and scopes["session"].entries >= 1
    assert scopes["step"].entries >= 1 and scopes["step"].bytes > 0
    tools = {t.tool: t for t in summary.tools}
    assert tools["search_documents"].calls >= 1 and tools["search_documents"].success_rate == 1.0
