"""Host, token, origin and content-type checks and the JSON body cap for every route, as plain
ASGI middleware.

The Host header must name an allowed host (``app.api.exposure``: loopback ones and
``DOCORCH_API_ALLOWED_HOSTS``; unchecked when a token is set and no hosts are configured). With
``DOCORCH_API_TOKEN`` set, every path but ``/health`` and the web page (``app.web``; the docs and
the schema are not spared) needs
``Authorization: Bearer <token>``; without it, a state-changing request from a browser on
another site (its Origin not an allowed host) is refused. State-changing requests carry JSON, a
multipart form, or (uploads) raw bytes. JSON bodies are capped at ``MAX_JSON_BYTES``, counted
while the body streams in; uploads (POST ``UPLOAD_PATH``) count their own limit.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from app import web
from app.api.errors import ApiError
from app.api.exposure import (
    STATE_CHANGING,
    body_type_allowed,
    host_allowed,
    host_of,
    origin_allowed,
)
from app.api.metrics import ApiMetrics

MAX_JSON_BYTES = 1024 * 1024
MULTIPART_OVERHEAD_BYTES = 64 * 1024
"""Room for a multipart form's boundaries and headers around an upload's bytes."""
# the web page and its static files hold no data; the page sends the token with its calls
PUBLIC_PATHS = frozenset({"/health", *web.PUBLIC_PATHS})
UPLOAD_PATH = "/documents"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLarge(ApiError):
    """Raised from ``receive`` once a body passes its cap; an HTTPException so that FastAPI's
    body parsing (JSON, or a multipart form) lets it through (it turns other errors into 400s)."""

    def __init__(self, cap: int) -> None:
        super().__init__(413, f"request body over {cap} bytes", error_type="BodyTooLarge")


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: dict[str, str]
) -> None:
    data = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class Guard:
    """Host, token, origin and content-type checks and the JSON body cap, as plain ASGI so they
    cover every route (the docs and the schema too) and streaming responses stay untouched.
    ``hosts``: the host names the Host header may carry; None leaves it unchecked. Uploads are
    capped at ``upload_limit`` plus a form's overhead (the route counts the file itself).
    ``out_of_bounds(origin, path)``: whether a browser at ``origin`` may not change anything at
    ``path`` whatever else holds (the Temporal Web UI's origins, allowed to call the codec for
    its payloads, may call nothing else: ``CorsOrigins.out_of_bounds``)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        metrics: ApiMetrics,
        hosts: frozenset[str] | None = None,
        upload_limit: int | None = None,
        out_of_bounds: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.app = app
        self.token = token
        self.metrics = metrics
        self.hosts = hosts
        self.upload_limit = upload_limit
        self.out_of_bounds = out_of_bounds

    def _authorized(self, scope: Scope) -> bool:
        if not self.token or scope["path"] in PUBLIC_PATHS:
            return True
        given = _header(scope, b"authorization") or ""
        return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    def _refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        """(status, error type, detail) when the request is refused before any route sees it."""
        if self.hosts is not None:
            host = _header(scope, b"host") or ""
            if not host_allowed(host_of(host), self.hosts):
                return (
                    400,
                    "HostNotAllowed",
                    f"Host {host!r} is not served here: use a loopback address, or add the "
                    "name to DOCORCH_API_ALLOWED_HOSTS",
                )
        if not self._authorized(scope):
            return None  # answered with 401 by the caller
        if scope["method"] not in STATE_CHANGING:
            return None
        origin = _header(scope, b"origin")
        if self._out_of_bounds(scope, origin):
            return (
                403,
                "OriginNotAllowed",
                f"requests from {origin}, a Temporal Web UI's origin, may change nothing here",
            )
        cross_site = origin is not None and not origin_allowed(origin, self.hosts or frozenset())
        if not self.token and cross_site:
            return (
                403,
                "OriginNotAllowed",
                f"requests from {origin} may not change anything here (no API token is set)",
            )
        length = _header(scope, b"content-length")
        has_body = _header(scope, b"transfer-encoding") is not None or length not in (None, "0")
        upload = scope["path"] == UPLOAD_PATH
        content_type = _header(scope, b"content-type")
        if not body_type_allowed(content_type, upload=upload, has_body=has_body):
            accepted = "application/json, multipart/form-data"
            if upload:
                accepted += " or application/octet-stream"
            return (
                415,
                "UnsupportedMediaType",
                f"content type {content_type or '(none)'} is not accepted here: send {accepted}",
            )
        return None

    def _out_of_bounds(self, scope: Scope, origin: str | None) -> bool:
        """Whether ``origin`` may change nothing at the request's path (``out_of_bounds``),
        unless it is this API's own origin (a proxy serving the UI and the API as one)."""
        if origin is None or self.out_of_bounds is None:
            return False
        try:
            own = urlsplit(origin.strip()).netloc.lower() == (_header(scope, b"host") or "").lower()
        except ValueError:
            own = False
        return not own and self.out_of_bounds(origin, scope["path"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the token, cap the body, count the request by route and status."""
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
        refusal = self._refusal(scope)
        if refusal is not None:
            status, error_type, detail = refusal
            await _send_json(send, status, {"detail": detail, "error_type": error_type}, {})
            return
        if not self._authorized(scope):
            await _send_json(
                send,
                401,
                {"detail": "missing or invalid bearer token"},
                {"www-authenticate": "Bearer"},
            )
            return
        upload = scope["path"] == UPLOAD_PATH and scope["method"] == "POST"
        if upload and self.upload_limit is None:
            await self.app(scope, receive, send)
            return
        cap = (
            self.upload_limit + MULTIPART_OVERHEAD_BYTES
            if upload and self.upload_limit
            else MAX_JSON_BYTES
        )
        length = _header(scope, b"content-length") or "0"
        if length.isdigit() and int(length) > cap:
            await _send_json(send, 413, _too_large(cap), {})
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge(cap)
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
            await _send_json(send, 413, _too_large(cap), {})


def _too_large(cap: int) -> dict[str, Any]:
    return {"detail": f"request body over {cap} bytes", "error_type": "BodyTooLarge"}
