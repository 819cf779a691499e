"""The embedded runtime's rule for an in-process worker: only when none polls the task queue
(what ``docorch api`` follows unless --with-worker or --connect-only)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.client import Client

from app.runtime.embedded import runtime, workers_polling
from models.settings import Settings
from tests.conftest import WorkerFactory

pytestmark = pytest.mark.integration


async def polled(client: Client, task_queue: str) -> bool:
    """Whether a poller shows up on ``task_queue`` within a generous while."""
    for _ in range(100):
        if await workers_polling(client, task_queue):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_worker_runs_in_process_only_when_none_polls(
    client: Client, run_worker: WorkerFactory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", client.service_client.config.target_host)
    idle = settings.model_copy(update={"task_queue": f"idle-{uuid.uuid4().hex[:8]}"})
    assert not await workers_polling(client, idle.task_queue)
    async with runtime(idle, with_worker=None, start_server=False):
        assert await polled(client, idle.task_queue)  # none polled: it runs one
    async with run_worker() as sdk:
        assert await polled(client, sdk.task_queue)
        served = settings.model_copy(update={"task_queue": sdk.task_queue})
        async with runtime(served, with_worker=None, start_server=False) as rt:
            assert rt.worker is None  # one polls already: none in this process
