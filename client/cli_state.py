"""CLI for sessions and state: ``docorch session …`` and ``docorch state``.

These talk to a running server and worker (``docorch server`` + ``docorch worker``, or any
Temporal cluster through TEMPORAL_ADDRESS): a session outlives a single command.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from client.sdk import OrchestratorClient
from client.state import state_summary
from models.settings import Settings

sessions_app = typer.Typer(help="Conversations over active documents (needs a running worker).")
console = Console()


async def _sdk() -> OrchestratorClient:
    return await OrchestratorClient.connect(Settings())


@sessions_app.command("create")
def session_create(doc: Annotated[list[str], typer.Option("--doc", "-d")]) -> None:
    """Start a session with active documents; prints its id."""

    async def run() -> str:
        return await (await _sdk()).sessions.create(doc)

    console.print(asyncio.run(run()))


@sessions_app.command("ask")
def session_ask(session_id: str, question: str) -> None:
    """Ask a question in a session and print the answer."""

    async def run() -> None:
        result = await (await _sdk()).sessions.ask_and_wait(session_id, question)
        from client.render import print_result

        print_result(console, result)

    asyncio.run(run())


@sessions_app.command("turns")
def session_turns(session_id: str) -> None:
    """List a session's turns."""

    async def run() -> None:
        table = Table("#", "question", "status", "confidence", "query")
        for n, turn in enumerate(await (await _sdk()).sessions.turns(session_id), start=1):
            table.add_row(
                str(n), turn.question, turn.status, f"{turn.confidence:.2f}", turn.query_workflow_id
            )
        console.print(table)

    asyncio.run(run())


@sessions_app.command("add")
def session_add(session_id: str, documents: list[str]) -> None:
    """Add active documents."""

    async def run() -> list[str]:
        return await (await _sdk()).sessions.add_documents(session_id, documents)

    console.print(asyncio.run(run()))


@sessions_app.command("remove")
def session_remove(session_id: str, documents: list[str]) -> None:
    """Remove active documents."""

    async def run() -> list[str]:
        return await (await _sdk()).sessions.remove_documents(session_id, documents)

    console.print(asyncio.run(run()))


@sessions_app.command("close")
def session_close(session_id: str) -> None:
    """Close a session after its queued questions are answered."""

    async def run() -> None:
        state = await (await _sdk()).sessions.close(session_id)
        console.print(f"closed {state.session_id} after {state.turns_total} turn(s)")

    asyncio.run(run())


@sessions_app.command("list")
def session_list() -> None:
    """Open sessions."""

    async def run() -> list[str]:
        return await (await _sdk()).sessions.list_open()

    for session_id in asyncio.run(run()):
        console.print(session_id)


def state(
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """State per scope (global, session, execution) and the per-tool figures."""
    from activities.tools.catalog import default_registry

    settings = Settings()

    async def run() -> None:
        sdk = await OrchestratorClient.connect(settings)
        summary = await state_summary(
            sdk.temporal, settings, registered_tools=len(default_registry().names())
        )
        if as_json:
            console.print_json(summary.model_dump_json())
            return
        table = Table("scope", "entries", "bytes", "oldest", "details")
        for scope in summary.scopes:
            table.add_row(
                scope.scope,
                str(scope.entries),
                str(scope.bytes),
                scope.oldest or "-",
                str(scope.details),
            )
        console.print(table)
        tools = Table("tool", "calls", "success", "p50 ms", "p95 ms")
        for t in summary.tools:
            tools.add_row(
                t.tool, str(t.calls), f"{t.success_rate:.0%}", f"{t.p50_ms:.1f}", f"{t.p95_ms:.1f}"
            )
        console.print(tools)

    asyncio.run(run())
