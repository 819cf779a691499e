"""POST /codec/decode and /codec/encode: the payload codec (``client.codec``, keys from
DOCORCH_CODEC_KEYS) as a remote codec for the Temporal Web UI and CLI, per Temporal's codec
server protocol: a JSON body ``{"payloads": [{"metadata": {...}, "data": ...}]}`` whose bytes
are base64, answered in the same shape.

    temporal workflow show -w <id> --codec-endpoint http://127.0.0.1:8000/codec \\
        --codec-auth "Bearer $DOCORCH_API_TOKEN"

The endpoints take the API's bearer token like every route. The Web UI calls them from the
browser, so they answer CORS for the UI origins in DOCORCH_CODEC_CORS_ORIGINS, and for those of
a dev server's UI that the API's backend started with this codec (``CorsOrigins.allow``; the
preflight, which carries no token, is answered before the token check).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload

from app.api.context import Ctx
from app.api.errors import ApiError
from app.api.schemas import ErrorBody
from client.codec import EncryptionCodec, PayloadDecryptionError, payload_codec
from models.settings import Settings

PREFIX = "/codec"
MAX_PAYLOADS = 1000
CORS_HEADERS = ["Authorization", "Content-Type", "X-Namespace"]

router = APIRouter(prefix=PREFIX, tags=["codec"])


class WirePayload(BaseModel):
    """A Temporal Payload in proto3 JSON: metadata values and data base64-encoded."""

    metadata: dict[str, str] = Field(default_factory=dict)
    data: str = ""


class WirePayloads(BaseModel):
    """The body of a codec request and of its answer."""

    payloads: list[WirePayload] = Field(default_factory=list, max_length=MAX_PAYLOADS)


def _bytes(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, f"{where}: not base64", error_type="InvalidPayload") from None


def _payload(wire: WirePayload, index: int) -> Payload:
    metadata = {k: _bytes(v, f"payload {index}: metadata {k!r}") for k, v in wire.metadata.items()}
    return Payload(metadata=metadata, data=_bytes(wire.data, f"payload {index}: data"))


def _wire(payload: Payload) -> WirePayload:
    return WirePayload(
        metadata={k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        data=base64.b64encode(payload.data).decode(),
    )


def _codec(settings: Settings) -> EncryptionCodec:
    codec = payload_codec(settings)
    if codec is None:
        raise ApiError(
            404,
            "no payload codec is configured: set DOCORCH_CODEC_KEYS on the API, the workers "
            "and every client",
            error_type="CodecNotConfigured",
        )
    return codec


RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


@router.post(
    "/decode",
    response_model=WirePayloads,
    responses=RESPONSES,
    summary="Decrypt payloads (the Temporal Web UI's and CLI's remote codec)",
)
async def decode(body: WirePayloads, ctx: Ctx) -> WirePayloads:
    codec = _codec(ctx.settings)
    payloads = [_payload(p, n) for n, p in enumerate(body.payloads)]
    try:
        decoded = await codec.decode(payloads)
    except PayloadDecryptionError as error:
        raise ApiError(422, str(error), error_type="PayloadDecryptionError") from None
    return WirePayloads(payloads=[_wire(p) for p in decoded])


@router.post(
    "/encode",
    response_model=WirePayloads,
    responses=RESPONSES,
    summary="Encrypt payloads (input the Temporal Web UI or CLI sends to a workflow)",
)
async def encode(body: WirePayloads, ctx: Ctx) -> WirePayloads:
    codec = _codec(ctx.settings)
    encoded = await codec.encode([_payload(p, n) for n, p in enumerate(body.payloads)])
    return WirePayloads(payloads=[_wire(p) for p in encoded])


class CorsOrigins:
    """The browser origins that may call the codec endpoints: the configured ones
    (DOCORCH_CODEC_CORS_ORIGINS), and those ``allow`` adds while the API runs (the Web UI of the
    dev server its backend started with this codec endpoint)."""

    def __init__(self, configured: Sequence[str]) -> None:
        self.configured = tuple(configured)
        self._added: frozenset[str] = frozenset()

    def allow(self, origins: Iterable[str]) -> None:
        """Let ``origins`` call the codec endpoints too, until ``reset``."""
        self._added |= frozenset(origins)

    def reset(self) -> None:
        """Back to the configured origins alone."""
        self._added = frozenset()

    def added(self, origin: str) -> bool:
        """Whether ``allow`` added ``origin``."""
        return origin in self._added

    def out_of_bounds(self, origin: str, path: str) -> bool:
        """Whether ``origin``, one of these (a Temporal Web UI's), calls ``path`` outside the
        codec endpoints: the UI's origin may call the codec only (the API's cross-site guard,
        ``app.api.guard``, takes any loopback origin for this API's own page)."""
        origin = origin.strip().rstrip("/")
        ui = origin in self.configured or self.added(origin)
        return ui and not path.startswith(f"{PREFIX}/")


class _Cors(CORSMiddleware):
    """Starlette's CORS for the configured origins, and for those ``CorsOrigins.allow`` added
    after the middleware was built (the app's lifespan runs after it)."""

    def __init__(self, app: ASGIApp, *, origins: CorsOrigins) -> None:
        super().__init__(
            app,
            allow_origins=origins.configured,
            allow_methods=["POST"],
            allow_headers=CORS_HEADERS,
            allow_credentials=True,
            max_age=600,
        )
        self.origins = origins

    def is_allowed_origin(self, origin: str) -> bool:
        return self.origins.added(origin) or super().is_allowed_origin(origin)


class CodecCors:
    """CORS for the codec endpoints only, for the Temporal Web UI origins; other paths are
    passed on untouched. Installed outside the token check, so a preflight is answered."""

    def __init__(self, app: ASGIApp, *, origins: CorsOrigins) -> None:
        self.app = app
        self.cors = _Cors(app, origins=origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """CORS around ``/codec/*``; everything else as it is."""
        path = scope.get("path", "") if scope["type"] == "http" else ""
        handler = self.cors if path.startswith(f"{PREFIX}/") else self.app
        await handler(scope, receive, send)


def install(app: FastAPI, origins: CorsOrigins) -> None:
    """Serve the codec endpoints with CORS for ``origins`` (as they are at each request). Call
    after the token check is added, so that CORS wraps it."""
    app.include_router(router)
    app.add_middleware(CodecCors, origins=origins)
