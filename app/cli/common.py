"""What every command group shares: the consoles, running a coroutine, failing with a message,
the settings, common options, a client on the embedded runtime, and how the process ends.

Every ``docorch`` command ends through ``run_command_line``: output and logs flushed, then
``os._exit`` with the command's code, without interpreter teardown. The Temporal client's
native threads can outlive the interpreter's finalization and abort it (SIGABRT, exit 134,
temporalio/sdk-python#300) after the command has done its work; leaving without teardown
makes the exit code the command's own, every time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import AsyncIterator, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from app.runtime.devserver import DevServerError, ui_url
from client.connection import target_host
from client.logs import configure_logging
from client.sdk import OrchestratorClient
from client.trace import workflow_ui_url
from models.documents import CONTENT_SCHEME, FILE_SCHEME
from models.settings import Settings
from models.tools import ToolExtensionError
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


INTERRUPTED = 130
"""The exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it."""
CONNECT_FAILED = "Failed client connect"
"""How the Temporal client's RuntimeError begins when no server answers at its address."""


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine. Ctrl-C exits with 130; invalid input (an empty question, no
    documents, a bad id, a bad setting), a failed workflow or update, Temporal unreachable, the
    dev server, the store or a tool extension unusable, a local file unreadable each exit with
    1 and a one-line message."""
    try:
        return asyncio.run(coroutine)
    except KeyboardInterrupt:
        raise typer.Exit(INTERRUPTED) from None
    except ValidationError as error:
        raise fail(
            "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())
        ) from None
    except WorkflowFailureError as error:
        raise fail_workflow(error) from None
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        raise fail(getattr(cause, "message", None) or str(cause or error)) from None
    except RPCError as error:
        raise fail(f"Temporal: {error.message}") from None
    except DevServerError as error:
        raise fail(str(error)) from None
    except StoreError as error:
        raise fail(f"store: {error}") from None
    except ToolExtensionError as error:
        raise fail(str(error)) from None
    except OSError as error:
        if error.filename is None:
            raise
        raise fail(f"{error.filename}: {error.strerror}") from None
    except RuntimeError as error:
        if not str(error).startswith(CONNECT_FAILED):  # the Temporal client's, when it cannot
            raise
        raise fail(
            f"cannot reach Temporal ({error}): start `docorch server`, or point "
            "TEMPORAL_ADDRESS at a running server"
        ) from None


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


def run_command_line(app: typer.Typer) -> NoReturn:
    """Run the command line and end the process with the command's exit code: 0 when it
    succeeded, its ``typer.Exit`` code (1 after ``fail``, 2 for a usage error, 130 after
    Ctrl-C), 1 with a traceback for a bug. Output and logs are flushed first, then the
    process leaves without interpreter teardown (see the module's docstring)."""
    code = 1
    try:
        app()
        code = 0
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    except KeyboardInterrupt:
        code = INTERRUPTED
    except BaseException:
        traceback.print_exc()
    finally:
        _flush()
        os._exit(code)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message"): the message, and failure
    return 1


def _flush() -> None:
    """Flush logging, then stdout and stderr (each may be closed or broken by now)."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


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
