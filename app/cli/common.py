"""What every command group shares: the consoles, running a coroutine, failing with a message,
the settings, common options, and a client on the embedded runtime."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from app.runtime.devserver import ui_url
from client.connection import target_host
from client.logs import configure_logging
from client.sdk import OrchestratorClient
from client.trace import workflow_ui_url
from models.settings import Settings

if TYPE_CHECKING:
    from app.runtime.embedded import Runtime

console = Console()
err = Console(stderr=True)
T = TypeVar("T")

DocOption = Annotated[
    list[str], typer.Option("--doc", "-d", help="Document path or id (repeatable).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a rendering.")]


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; Ctrl-C exits with 130."""
    try:
        return asyncio.run(coroutine)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` to stderr; raise the returned Exit (code 1)."""
    err.print(f"[red]error:[/] {message}")
    return typer.Exit(1)


def cli_settings() -> Settings:
    """The settings, with logging configured for a terminal command (warnings and above)."""
    settings = Settings()
    configure_logging(settings.log_format, level=30)
    return settings


def ui_url_of(settings: Settings) -> str:
    """The Temporal UI of the configured server, for a command that only connects:
    ``DOCORCH_UI_URL``, else derived from the server's address."""
    return ui_url(target_host(settings), settings)


def trace_link(ui_base: str | None, client: Client, workflow_id: str) -> str | None:
    """The query's page in the Temporal UI at ``ui_base`` (None when the UI is unknown)."""
    return workflow_ui_url(ui_base, client.namespace, workflow_id) if ui_base else None


@contextlib.asynccontextmanager
async def embedded_sdk(settings: Settings) -> AsyncIterator[tuple[OrchestratorClient, Runtime]]:
    """An SDK client on the configured server, or on a dev server started for the block, with
    a worker in this process: what ``ask``, ``plan``, ``ingest`` and ``demo`` run on."""
    from app.runtime.embedded import runtime  # imports the worker: only when a command runs

    async with runtime(settings) as rt:
        yield OrchestratorClient(rt.client, task_queue=settings.task_queue), rt


async def on_rpc_errors(coroutine: Coroutine[Any, Any, None], workflow_id: str) -> None:
    """Await ``coroutine``; a Temporal RPC error becomes a one-line failure."""
    try:
        await coroutine
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise fail(f"{workflow_id}: no such query") from None
        raise fail(f"Temporal: {error.message}") from None


def fail_workflow(error: WorkflowFailureError) -> typer.Exit:
    """A failed workflow as a one-line failure: its cause's message."""
    cause = error.cause
    return fail(getattr(cause, "message", str(cause)))


def run_or_fail(coroutine: Coroutine[Any, Any, T]) -> T:
    """``run``, with invalid input (an empty question, no documents, a bad option) and a failed
    workflow each reported as a one-line failure."""
    try:
        return run(coroutine)
    except ValidationError as error:
        raise fail("; ".join(e["msg"] for e in error.errors())) from None
    except WorkflowFailureError as error:
        raise fail_workflow(error) from None
