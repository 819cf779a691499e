"""Bearer-token check and JSON body cap for every route, as plain ASGI middleware.

With ``DOCORCH_API_TOKEN`` set, every path but ``/health`` and the web page (``app.web``; the
docs and the schema are not spared) needs ``Authorization: Bearer <token>``. JSON bodies are
capped at ``MAX_JSON_BYTES``, counted while the body streams in; uploads (POST ``UPLOAD_PATH``)
count their own limit.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app import web
from app.api.errors import ApiError
from app.api.metrics import ApiMetrics

MAX_JSON_BYTES = 1024 * 1024
# the web page and its static files hold no data; the page sends the token with its calls
PUBLIC_PATHS = frozenset({"/health", *web.PUBLIC_PATHS})
UPLOAD_PATH = "/documents"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


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
