"""The embedded runtime's rule for an in-process worker: only when none polls the task queue
(what ``docorch api`` follows unless --with-worker or --connect-only)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.client import Client

from app.runtime.embedded import runtime, workers_polling
from client.sdk import OrchestratorClient
from models.settings import Settings
from models.tools import ToolExtensionError
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


async def test_the_in_process_worker_runs_the_tool_extensions_of_the_settings(
    client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DOCORCH_TOOLS reaches the worker of ``docorch ask`` and ``docorch api``, not only
    ``docorch worker``."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", client.service_client.config.target_host)
    extended = settings.model_copy(
        update={
            "task_queue": f"extended-{uuid.uuid4().hex[:8]}",
            "tools": ("tests.extension_tools:register",),
        }
    )
    async with runtime(extended, with_worker=True, start_server=False) as rt:
        sdk = OrchestratorClient(rt.client, task_queue=extended.task_queue)
        assert "count_words" in (await sdk.tools(timeout_seconds=60)).names()


async def test_a_broken_tool_extension_stops_the_runtime_before_it_connects(
    client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It was loaded only once the runtime had connected, or started a dev server when none
    answered: the broken extension was found after that server's start, and ``docorch ask``
    printed a traceback. A runtime that runs no worker (``docorch api --connect-only``) loads
    no tools."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:9")  # nothing listens: never reached
    broken = settings.model_copy(update={"tools": ("tests.extension_tools:broken",)})
    with pytest.raises(ToolExtensionError, match=r"tests\.extension_tools:broken failed"):
        async with runtime(broken, start_server=False):
            pass
    monkeypatch.setenv("TEMPORAL_ADDRESS", client.service_client.config.target_host)
    async with runtime(broken, with_worker=False, start_server=False) as rt:
        assert rt.worker is None
