"""A real HTTP server for the API tests: uvicorn on 127.0.0.1 (a free port) in a thread of its
own; the app's lifespan opens its own Temporal client (exporting the SDK's Prometheus metrics)
and its own worker on a fresh task queue, both on the session's dev server."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from app.api.main import create_app
from app.runtime import embedded
from app.runtime.api_thread import BackgroundApiServer
from client.codec import payload_codec
from client.plugin import data_converter
from models.settings import Settings
from tests.client.tools import fault_registry
from worker import build_worker

UPLOAD_LIMIT = 200_000
TOKEN = "test-token-0123456789"


@pytest.fixture(autouse=True)
def _search_attributes(search_attributes_enabled: bool) -> None:
    """Queries upsert QueryType, Confidence and SessionId (the dev server registers them)."""


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
    with_worker: bool = True
    _server: BackgroundApiServer | None = None

    @property
    def base_url(self) -> str:
        return self._server.base_url if self._server else ""

    def start(self) -> None:
        self._server = BackgroundApiServer(
            create_app(
                self.settings,
                backend=self._backend,
                task_queue=self.task_queue,
                temporal_metrics_url=f"http://127.0.0.1:{self.metrics_port}/metrics",
            )
        )
        self._server.start(30)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(15)

    @contextlib.asynccontextmanager
    async def _backend(self) -> AsyncIterator[embedded.Runtime]:
        """The app's lifespan runs this in the server's loop: a client exporting the SDK's
        metrics, and a worker with the fault tools on this server's task queue."""
        runtime = Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(bind_address=f"127.0.0.1:{self.metrics_port}")
            )
        )
        client = await Client.connect(
            self.target_host,
            data_converter=data_converter(payload_codec(self.settings)),
            runtime=runtime,
        )
        connected = embedded.Runtime(
            client=client,
            address=self.target_host,
            embedded_server=False,
            ui_url="http://127.0.0.1:8233",
        )
        if not self.with_worker:
            yield connected
            return
        worker = build_worker(
            client, self.settings, registry=fault_registry(), task_queue=self.task_queue
        )
        async with worker:
            yield connected


@contextlib.contextmanager
def running_api(
    client: Client, settings: Settings, *, with_worker: bool = True
) -> Iterator[ApiServer]:
    server = ApiServer(client.service_client.config.target_host, settings, with_worker=with_worker)
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
