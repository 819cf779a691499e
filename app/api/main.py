"""The HTTP API (FastAPI): ask questions, stream progress, inspect and cancel executions, upload
documents, and see the system's state and metrics. ``docorch api`` runs it; OpenAPI at /docs.

    app = create_app(settings)                            # lifespan: the embedded runtime
    app = create_app(settings, backend=my_backend)        # or any Runtime context manager
    await serve(settings, host="127.0.0.1", port=8000)    # what `docorch api` does

The app's lifespan enters its backend (a connected Temporal client, and perhaps a dev server and
an in-process worker) and builds the ApiContext the routes share (``app.api.context``). A dev
server the backend started with this API's codec endpoint has its UI's origins allowed to call
``/codec`` (``app.api.ui_codec``).
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Callable
from importlib.metadata import PackageNotFoundError, version

import uvicorn
from fastapi import FastAPI
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError

from app.api.context import ApiContext
from app.api.errors import ApiError, api_error_response, rpc_error_response
from app.api.exposure import allowed_hosts, check_exposure
from app.api.guard import Guard
from app.api.metrics import ApiMetrics
from app.api.routes import chat, codec, documents, executions, sessions, system
from app.api.ui_codec import api_runtime
from app.runtime import embedded
from app.web import router as web_page
from client.sdk import OrchestratorClient
from client.visibility import enable_search_attributes
from models.settings import Settings

BackendFactory = Callable[[], contextlib.AbstractAsyncContextManager[embedded.Runtime]]
"""Opens what the API serves over: a connected client, its address and Web UI (and perhaps a
dev server and a worker), for the app's lifetime."""


def create_app(
    settings: Settings,
    *,
    backend: BackendFactory | None = None,
    task_queue: str | None = None,
    temporal_metrics_url: str | None = None,
) -> FastAPI:
    """The API. On startup its lifespan enters ``backend()`` (by default the embedded runtime:
    the configured Temporal server, else a dev server, with an in-process worker) and serves
    over the client it yields until shutdown. Queries go to ``task_queue`` (the settings' by
    default); ``temporal_metrics_url`` is the Temporal SDK's Prometheus endpoint, whose metrics
    /metrics appends to the API's own. When the backend started a dev server whose UI decodes
    through a codec endpoint (``Runtime.ui_codec_endpoint``), that UI's origins
    (``Runtime.ui_origins``) may call ``/codec`` besides DOCORCH_CODEC_CORS_ORIGINS."""
    metrics = ApiMetrics()
    open_backend = backend or (lambda: embedded.runtime(settings))
    codec_origins = codec.CorsOrigins(settings.codec_cors_origins)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            try:
                connected = await stack.enter_async_context(open_backend())
            except Exception as error:
                app.state.startup_error = error  # serve() raises it once uvicorn gives up
                raise
            if connected.ui_codec_endpoint is not None:
                # the dev server's UI decodes through this API: its browser calls /codec
                codec_origins.allow(connected.ui_origins)
                stack.callback(codec_origins.reset)
            await enable_search_attributes(connected.client)
            app.state.ctx = ApiContext(
                sdk=OrchestratorClient(
                    connected.client,
                    task_queue=task_queue or settings.task_queue,
                    settings=settings,
                ),
                settings=settings,
                address=connected.address,
                metrics=metrics,
                ui_url=connected.ui_url,
                temporal_metrics_url=temporal_metrics_url,
            )
            yield

    app = FastAPI(
        title="docorch",
        description="Questions over documents, answered by durable plans on Temporal.",
        version=_version(),
        lifespan=lifespan,
    )
    for module in (chat, executions, documents, system, sessions):
        app.include_router(module.router)
    app.include_router(web_page(auth_required=bool(settings.api_token)))
    app.add_exception_handler(RPCError, rpc_error_response)
    app.add_exception_handler(ApiError, api_error_response)
    app.add_middleware(
        Guard,
        token=settings.api_token,
        metrics=metrics,
        hosts=allowed_hosts(settings),
        upload_limit=settings.max_document_bytes,
        out_of_bounds=codec_origins.out_of_bounds,
    )
    codec.install(app, codec_origins)  # after the Guard: CORS wraps the token check
    return app


def _version() -> str:
    try:
        return version("docorch")
    except PackageNotFoundError:
        return "0+unknown"


async def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    connect_only: bool = False,
    with_worker: bool = False,
    metrics_port: int | None = None,
) -> None:
    """Run the API until interrupted. One rule: the API connects to the configured Temporal
    server and runs no worker of its own, unless asked (``with_worker``) or no worker polls the
    task queue when it starts. Unless ``connect_only``, it starts the embedded dev server when
    no server answers (a fresh server: no worker polls, so one runs in-process; with codec
    keys and no token its UI decodes through this API's ``/codec``, ``app.api.ui_codec``); with
    ``connect_only`` it never starts a server or a worker. What it started stops with the app,
    before this returns. Raises UnsafeExposure for a ``host`` beyond loopback without a token,
    and what kept the app from starting (e.g. DevServerError when the dev server's port is
    taken)."""
    if connect_only and with_worker:
        raise ValueError("connect_only and with_worker exclude each other")
    check_exposure(settings, host)
    metrics_url = _install_prometheus_runtime(metrics_port)
    worker_rule: bool | None = False if connect_only else (True if with_worker else None)
    app = create_app(
        settings,
        backend=lambda: api_runtime(
            settings,
            host=host,
            port=port,
            with_worker=worker_rule,
            start_server=not connect_only,
        ),
        temporal_metrics_url=metrics_url,
    )
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    quiet = _QuietStartupFailure(app)
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addFilter(quiet)
    try:
        await uvicorn.Server(config).serve()
    except SystemExit:  # uvicorn's exit when the lifespan failed to start
        if quiet.error is None:
            raise
        raise quiet.error from None
    finally:
        uvicorn_log.removeFilter(quiet)


class _QuietStartupFailure(logging.Filter):
    """Once the app's lifespan has failed to start, uvicorn's logs of it (the traceback, then
    "Application startup failed") are dropped: serve() raises the error itself."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__()
        self._app = app

    @property
    def error(self) -> BaseException | None:
        error: BaseException | None = getattr(self._app.state, "startup_error", None)
        return error

    def filter(self, record: logging.LogRecord) -> bool:
        return self.error is None


def _install_prometheus_runtime(port: int | None) -> str | None:
    """Make the Temporal SDK export its client and worker metrics on a loopback Prometheus
    endpoint (read by /metrics). Must run before the first Temporal client of the process."""
    if port is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    address = f"127.0.0.1:{port}"
    try:
        Runtime.set_default(
            Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address))),
            error_if_already_set=True,
        )
    except RuntimeError:
        return None  # a client exists already: its runtime exports no Prometheus metrics
    return f"http://{address}/metrics"
