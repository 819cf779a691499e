"""The HTTP API (FastAPI): ask questions, stream progress, inspect and cancel executions, upload
documents, and see the system's state and metrics. ``docorch api`` runs it; OpenAPI at /docs.

    app = create_app(temporal_client, settings)          # any connected Temporal client
    await serve(settings, host="127.0.0.1", port=8000)   # what `docorch api` does

Security: with ``DOCORCH_API_TOKEN`` set, every path but ``/health`` (the docs and the schema
included) needs ``Authorization: Bearer <token>``. JSON bodies are capped at ``MAX_JSON_BYTES``
and uploads at ``DOCORCH_MAX_DOCUMENT_BYTES``, both counted while the body streams in.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter, Histogram
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.registry import ToolRegistry
from client.sdk import OrchestratorClient
from models.settings import Settings
from store import DocumentStore, open_store

MAX_JSON_BYTES = 1024 * 1024
PUBLIC_PATHS = frozenset({"/health"})
UPLOAD_PATH = "/documents"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ApiMetrics:
    """The API's own Prometheus metrics, in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "docorch_http_requests",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "docorch_http_request_seconds",
            "HTTP request latency by route.",
            ["route"],
            registry=self.registry,
        )
        self.queries = Counter(
            "docorch_queries_started", "Queries started through the API.", registry=self.registry
        )
        self.sse_events = Counter(
            "docorch_sse_events",
            "Server-sent events by event type.",
            ["event"],
            registry=self.registry,
        )
        self.sse_delay = Histogram(
            "docorch_sse_event_delay_seconds",
            "From the workflow recording an event to the API sending it.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )


@dataclass
class ApiContext:
    """What every route needs; one per app, on ``app.state.ctx``."""

    sdk: OrchestratorClient
    settings: Settings
    registry: ToolRegistry
    address: str
    ui_url: str | None = None
    temporal_metrics_url: str | None = None
    metrics: ApiMetrics = field(default_factory=ApiMetrics)
    started: float = field(default_factory=time.monotonic)

    def document_store(self) -> DocumentStore:
        """The document store of the settings (DOCORCH_STORE_URL; opened on first use)."""
        return open_store(self.settings).documents


class ApiError(HTTPException):
    """An HTTP error whose body is an ErrorBody: detail, error_type, workflow_id."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        error_type: str | None = None,
        workflow_id: str | None = None,
    ) -> None:
        super().__init__(status, detail=detail)
        self.error_type = error_type
        self.workflow_id = workflow_id


async def _api_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    body = {
        "detail": error.detail,
        "error_type": error.error_type,
        "workflow_id": error.workflow_id,
    }
    return JSONResponse(body, status_code=error.status_code)


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


class BodyTooLarge(ApiError):
    """Raised from ``receive`` once a JSON body passes the cap; an HTTPException so that
    FastAPI's body parsing lets it through (it turns other errors into 400s)."""

    def __init__(self) -> None:
        super().__init__(
            413, f"request body over {MAX_JSON_BYTES} bytes", error_type="BodyTooLarge"
        )


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: dict[str, str]
) -> None:
    data = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


class Guard:
    """Bearer-token check and JSON body cap, as plain ASGI so they cover every route (the docs
    and the schema too) and streaming responses stay untouched."""

    def __init__(self, app: ASGIApp, *, token: str | None, metrics: ApiMetrics) -> None:
        self.app = app
        self.token = token
        self.metrics = metrics

    def _authorized(self, scope: Scope) -> bool:
        if not self.token or scope["path"] in PUBLIC_PATHS:
            return True
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"authorization", b"").decode("latin-1")
        return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_seen = {"status": 500}

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen["status"] = message["status"]
            await send(message)

        try:
            await self._guarded(scope, receive, tracking_send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], route, str(status_seen["status"])).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._authorized(scope):
            await _send_json(
                send,
                401,
                {"detail": "missing or invalid bearer token"},
                {"www-authenticate": "Bearer"},
            )
            return
        if scope["path"] == UPLOAD_PATH and scope["method"] == "POST":
            await self.app(scope, receive, send)  # the upload route counts its own limit
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"").decode() or "0"
        if length.isdigit() and int(length) > MAX_JSON_BYTES:
            await _send_json(send, 413, _too_large(), {})
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_JSON_BYTES:
                    raise BodyTooLarge
            return message

        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watching_send)
        except BodyTooLarge:
            if started:
                raise
            await _send_json(send, 413, _too_large(), {})


def _too_large() -> dict[str, Any]:
    return {"detail": f"request body over {MAX_JSON_BYTES} bytes", "error_type": "BodyTooLarge"}


async def _rpc_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RPCError)
    status = {
        RPCStatusCode.NOT_FOUND: 404,
        RPCStatusCode.INVALID_ARGUMENT: 422,
        RPCStatusCode.ALREADY_EXISTS: 409,
        RPCStatusCode.FAILED_PRECONDITION: 409,
        RPCStatusCode.RESOURCE_EXHAUSTED: 429,
        RPCStatusCode.DEADLINE_EXCEEDED: 504,
    }.get(error.status, 503)
    return JSONResponse({"detail": f"Temporal: {error.message}"}, status_code=status)


def create_app(
    client: Client,
    settings: Settings,
    *,
    task_queue: str | None = None,
    registry: ToolRegistry | None = None,
    address: str | None = None,
    ui_url: str | None = None,
    temporal_metrics_url: str | None = None,
) -> FastAPI:
    """The API over a connected Temporal client. Queries go to ``task_queue`` (the settings'
    by default); ``temporal_metrics_url`` is the Temporal SDK's Prometheus endpoint, whose
    metrics /metrics appends to the API's own."""
    from activities.tools.catalog import default_registry
    from client.api_routes_chat import router as chat_router
    from client.api_routes_documents import router as documents_router
    from client.api_routes_executions import router as executions_router
    from client.api_routes_sessions import router as sessions_router
    from client.api_routes_system import router as system_router

    app = FastAPI(
        title="docorch",
        description="Questions over documents, answered by durable plans on Temporal.",
        version=_version(),
    )
    ctx = ApiContext(
        sdk=OrchestratorClient(client, task_queue=task_queue or settings.task_queue),
        settings=settings,
        registry=registry or default_registry(),
        address=address or client.service_client.config.target_host,
        ui_url=ui_url,
        temporal_metrics_url=temporal_metrics_url,
    )
    app.state.ctx = ctx
    for router in (
        chat_router,
        executions_router,
        documents_router,
        system_router,
        sessions_router,
    ):
        app.include_router(router)
    app.add_exception_handler(RPCError, _rpc_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_middleware(Guard, token=settings.api_token, metrics=ctx.metrics)
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

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
    metrics_port: int | None = None,
) -> None:
    """Run the API until interrupted. Connects to Temporal; unless ``connect_only``, starts the
    embedded dev server when none answers and runs a worker in-process (``client.embedded``)."""
    from client.connection import connect, target_host
    from client.embedded import runtime
    from client.visibility import enable_search_attributes

    metrics_url = _install_prometheus_runtime(metrics_port)
    async with contextlib.AsyncExitStack() as stack:
        if connect_only:
            client = await connect(settings)
            address, ui_url = target_host(settings), None
        else:
            rt = await stack.enter_async_context(runtime(settings))
            client, address, ui_url = rt.client, rt.address, rt.ui_url
        await enable_search_attributes(client)
        app = create_app(
            client, settings, address=address, ui_url=ui_url, temporal_metrics_url=metrics_url
        )
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
        await _Server(config).serve()


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGINT/SIGTERM once it has shut down, which would end the process
    before the embedded dev server and worker are stopped; here the caller stops them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            self._captured_signals.clear()


def _install_prometheus_runtime(port: int | None) -> str | None:
    """Make the Temporal SDK export its client and worker metrics on a loopback Prometheus
    endpoint (read by /metrics). Must run before the first Temporal client of the process."""
    import socket

    from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

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
