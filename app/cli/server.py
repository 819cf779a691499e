"""Long-running processes: ``docorch server`` (the embedded Temporal dev server), ``docorch
worker`` and ``docorch api`` (the HTTP API)."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from app.cli.common import cli_settings, console, fail, run
from app.runtime.devserver import dev_server, ui_url
from models.settings import Settings


def server(
    port: Annotated[int | None, typer.Option(help="Frontend port (UI on port+1000).")] = None,
) -> None:
    """Run the embedded Temporal dev server (persistent, in the data directory) until Ctrl-C or
    SIGTERM; either stops the server too."""
    settings = cli_settings()

    async def serve() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with dev_server(settings, port=port) as address:
            console.print(f"Temporal dev server on [bold]{address}[/], UI {ui_url(address)}")
            await stop.wait()

    run(serve())


def worker(
    address: Annotated[str | None, typer.Option(help="Temporal address.")] = None,
    tools: Annotated[
        list[str] | None,
        typer.Option(
            "--tools",
            help="Your own tools: a 'module:function' that registers them on the worker's "
            "registry (repeatable; added to DOCORCH_TOOLS).",
        ),
    ] = None,
) -> None:
    """Run a worker on the task queue (connects through TEMPORAL_ADDRESS / profiles), with the
    built-in tools and those of DOCORCH_TOOLS / --tools."""
    from worker import run_worker

    async def serve() -> None:
        settings = Settings()  # here, so that a bad setting is a one-line error
        if tools:
            settings = Settings(tools=(*settings.tools, *tools))
        await run_worker(settings, address=address)

    run(serve())


def api(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
    connect_only: Annotated[
        bool,
        typer.Option(help="Only connect to Temporal: no embedded server, no in-process worker."),
    ] = False,
    with_worker: Annotated[
        bool, typer.Option(help="Run a worker in this process even when others poll.")
    ] = False,
    metrics_port: Annotated[
        int | None, typer.Option(help="Loopback port for the Temporal SDK's metrics.")
    ] = None,
) -> None:
    """Run the HTTP API (OpenAPI at /docs). Set DOCORCH_API_TOKEN to require a bearer token;
    without one it listens on loopback only and answers only to loopback host names (and
    DOCORCH_API_ALLOWED_HOSTS).

    It connects to the configured Temporal server (starting the embedded dev server when none
    answers, unless --connect-only) and runs no worker of its own unless --with-worker, or no
    worker polls the task queue when it starts. With DOCORCH_CODEC_KEYS and no token, the Web UI
    of a dev server it starts decodes payloads through this API's /codec."""
    from app.api.exposure import UnsafeExposure, check_exposure
    from app.api.main import serve

    if connect_only and with_worker:
        raise fail("--connect-only and --with-worker exclude each other")
    settings = cli_settings()
    try:
        check_exposure(settings, host)
    except UnsafeExposure as error:
        raise fail(str(error)) from None
    console.print(f"docorch API on http://{host}:{port} (docs at /docs)")
    run(
        serve(
            settings,
            host=host,
            port=port,
            connect_only=connect_only,
            with_worker=with_worker,
            metrics_port=metrics_port,
        )
    )
