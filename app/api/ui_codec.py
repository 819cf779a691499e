"""The Temporal Web UI of the dev server ``docorch api`` starts, reading encrypted payloads.

With DOCORCH_CODEC_KEYS set, Temporal holds only ciphertext; the UI shows a query's question and
answer only through a remote codec, the API's ``/codec`` (``app.api.routes.codec``). When the API
itself starts the embedded dev server and no DOCORCH_API_TOKEN is set, that server's UI is
started with the API's codec endpoint, and the API lets the UI's origin call it (``create_app``
adds ``Runtime.ui_origins`` to the codec's CORS origins). Otherwise nothing changes, and a
warning says why the UI shows ciphertext: the UI cannot send the API's token, or docorch did
not start that server's UI.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import structlog

from app.api.routes.codec import PREFIX
from app.runtime import embedded
from models.settings import Settings

log = structlog.get_logger(__name__)

ANY_INTERFACE = frozenset({"0.0.0.0", "::", ""})
"""Hosts an API listens on for every interface: its codec is reached on loopback."""


def codec_url(host: str, port: int) -> str:
    """The API's codec endpoint for an API listening on ``host:port``, as a browser on this
    machine reaches it: 127.0.0.1 for every interface (0.0.0.0, ::), IPv6 in brackets."""
    name = host.strip().strip("[]")
    if name in ANY_INTERFACE:
        name = "127.0.0.1"
    if ":" in name:
        name = f"[{name}]"
    return f"http://{name}:{port}{PREFIX}"


def embedded_ui_endpoint(settings: Settings, host: str, port: int) -> str | None:
    """The codec endpoint to start the embedded dev server's UI with, beside an API on
    ``host:port``: the API's own, when codec keys are set and no API token is (the UI cannot
    send it); else None."""
    if settings.codec_keys is None or settings.api_token:
        return None
    return codec_url(host, port)


def ciphertext_reason(settings: Settings, connected: embedded.Runtime, endpoint: str) -> str | None:
    """Why the Temporal UI of ``connected`` shows encrypted payloads as ciphertext, and what to
    do, ``endpoint`` being the API's codec; None when it decodes them or none are encrypted."""
    if settings.codec_keys is None or connected.ui_codec_endpoint is not None:
        return None
    if settings.api_token:
        return (
            "the UI cannot send DOCORCH_API_TOKEN to the API's codec endpoint: for the UI, run a "
            "second API without a token (README, 'Payload encryption')"
        )
    if not connected.embedded_server:
        return (
            "docorch did not start this Temporal server, so it cannot give its UI a codec "
            f"endpoint: set that UI's codec endpoint to {endpoint} and list its origin in "
            "DOCORCH_CODEC_CORS_ORIGINS"
        )
    return "docorch started this Temporal server's UI without a codec endpoint"


def report(settings: Settings, connected: embedded.Runtime, endpoint: str) -> None:
    """Log how the Temporal UI of ``connected`` reads encrypted payloads: through the API's
    codec ``endpoint``, or as ciphertext and why (a warning). Nothing without codec keys."""
    if settings.codec_keys is None:
        return
    reason = ciphertext_reason(settings, connected, endpoint)
    if reason is None:
        log.info(
            "temporal_ui_decodes_payloads",
            ui=connected.ui_url,
            codec_endpoint=connected.ui_codec_endpoint,
        )
    else:
        log.warning("temporal_ui_shows_ciphertext", ui=connected.ui_url, reason=reason)


@contextlib.asynccontextmanager
async def api_runtime(
    settings: Settings,
    *,
    host: str,
    port: int,
    with_worker: bool | None,
    start_server: bool,
) -> AsyncIterator[embedded.Runtime]:
    """The embedded runtime (``embedded.runtime``) of an API listening on ``host:port``: a dev
    server it starts has its UI decode payloads through that API's codec when
    ``embedded_ui_endpoint`` allows; ``report`` says how the UI reads payloads."""
    async with embedded.runtime(
        settings,
        with_worker=with_worker,
        start_server=start_server,
        ui_codec_endpoint=embedded_ui_endpoint(settings, host, port),
    ) as connected:
        report(settings, connected, codec_url(host, port))
        yield connected
