"""A real HTTP server for the API tests: uvicorn on 127.0.0.1 (a free port) in a thread of its
own, with its own Temporal client (exporting the SDK's Prometheus metrics) and its own worker on
a fresh task queue, both on the session's dev server."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from client.api import create_app
from client.api_thread import BackgroundApiServer
from client.visibility import enable_search_attributes
from models.settings import Settings
from tests.client.tools import fault_registry
from worker import build_worker

UPLOAD_LIMIT = 200_000
TOKEN = "test-token-0123456789"


@pytest_asyncio.fixture(scope="session", autouse=True)
async def search_attributes_enabled(client: Client) -> bool:
    """The dev server registers QueryType, Confidence and SessionId: let queries upsert them."""
    enabled = await enable_search_attributes(client)
    assert enabled
    return enabled


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ApiServer:
    """The API in a background thread, with its own Temporal client (exporting the SDK's
    Prometheus metrics on ``metrics_port``) and its own worker; ``base_url`` once started."""

    target_host: str
    settings: Settings
    task_queue: str = field(default_factory=lambda: f"api-{uuid.uuid4().hex[:8]}")
    metrics_port: int = field(default_factory=_free_port)
    _server: BackgroundApiServer | None = None

    @property
    def base_url(self) -> str:
        return self._server.base_url if self._server else ""

    def start(self) -> None:
        self._server = BackgroundApiServer(self._setup)
        self._server.start(30)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(15)

    async def _setup(self, stack: contextlib.AsyncExitStack) -> FastAPI:
        runtime = Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(bind_address=f"127.0.0.1:{self.metrics_port}")
            )
        )
        client = await Client.connect(
            self.target_host, data_converter=pydantic_data_converter, runtime=runtime
        )
        worker = build_worker(
            client, self.settings, registry=fault_registry(), task_queue=self.task_queue
        )
        await stack.enter_async_context(worker)
        return create_app(
            client,
            self.settings,
            task_queue=self.task_queue,
            registry=fault_registry(),
            ui_url="http://127.0.0.1:8233",
            temporal_metrics_url=f"http://127.0.0.1:{self.metrics_port}/metrics",
        )


@contextlib.contextmanager
def running_api(client: Client, settings: Settings) -> Iterator[ApiServer]:
    server = ApiServer(client.service_client.config.target_host, settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def api_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_document_bytes": UPLOAD_LIMIT})


@pytest.fixture(scope="session")
def api_server(
    client: Client, api_settings: Settings, search_attributes_enabled: bool
) -> Iterator[ApiServer]:
    """The API without a token."""
    with running_api(client, api_settings) as server:
        yield server


@pytest.fixture(scope="session")
def secured_api_server(
    client: Client, api_settings: Settings, search_attributes_enabled: bool
) -> Iterator[ApiServer]:
    """The API with DOCORCH_API_TOKEN set."""
    with running_api(client, api_settings.model_copy(update={"api_token": TOKEN})) as server:
        yield server


@pytest_asyncio.fixture
async def http(api_server: ApiServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api_server.base_url, timeout=30) as session:
        yield session
