"""What every command group shares: the consoles, running a coroutine, failing with a message,
the settings, common options, and a client on the embedded runtime."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from app.runtime.devserver import ui_url
from client.connection import target_host
from client.logs import configure_logging
from client.sdk import OrchestratorClient
from models.documents import CONTENT_SCHEME, FILE_SCHEME
from models.settings import Settings
from store import StoreError

if TYPE_CHECKING:
    from app.runtime.embedded import Runtime

console = Console()
err = Console(stderr=True)
T = TypeVar("T")

DocOption = Annotated[
    list[str],
    typer.Option(
        "--doc",
        "-d",
        help="A file here (uploaded to the store first), file:PATH on the workers, or a "
        "document id or name (repeatable).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a rendering.")]


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; Ctrl-C exits with 130. A store that cannot be reached or
    refuses a document, and a local file that cannot be read, are one-line failures."""
    try:
        return asyncio.run(coroutine)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except StoreError as error:
        raise fail(f"store: {error}") from None
    except OSError as error:
        if error.filename is None:
            raise
        raise fail(f"{error.filename}: {error.strerror}") from None


def split_documents(values: Sequence[str]) -> tuple[list[str], list[Path]]:
    """The ``--doc`` values as (references, files to upload): ``content:`` and ``file:``
    references pass as they are; a value naming a file this caller can see is uploaded (the
    claim check: the workers never read this machine's disk); anything else is a document id
    or name."""
    references: list[str] = []
    files: list[Path] = []
    for value in values:
        local = Path(value).expanduser()
        if not value.startswith((CONTENT_SCHEME, FILE_SCHEME)) and local.is_file():
            files.append(local)
        else:
            references.append(value)
    return references, files


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
    """The Temporal UI of the configured server, for a command that only connects: the embedded
    server's when the address is on its port, else the default dev server's."""
    address = target_host(settings)
    _, _, port = address.rpartition(":")
    return ui_url(address, embedded=port == str(settings.server_port))


@contextlib.asynccontextmanager
async def embedded_sdk(settings: Settings) -> AsyncIterator[tuple[OrchestratorClient, Runtime]]:
    """An SDK client on the configured server, or on a dev server started for the block, with
    a worker in this process: what ``ask``, ``plan``, ``ingest`` and ``demo`` run on."""
    from app.runtime.embedded import runtime  # imports the worker: only when a command runs

    async with runtime(settings) as rt:
        yield OrchestratorClient(rt.client, task_queue=settings.task_queue, settings=settings), rt


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
