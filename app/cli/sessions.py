"""``docorch session …``: conversations over active documents.

These talk to a running server and worker (``docorch server`` + ``docorch worker``, or any
Temporal cluster through TEMPORAL_ADDRESS): a session outlives a single command.
"""

from __future__ import annotations

import typer
from rich.table import Table

from app.cli.common import DocOption, cli_settings, console, run, split_documents
from app.cli.render import print_result
from client.sdk import OrchestratorClient
from client.sessions import Sessions

sessions_app = typer.Typer(help="Conversations over active documents (needs a running worker).")


async def _sessions() -> Sessions:
    return (await OrchestratorClient.connect(cli_settings())).sessions


async def _uploaded(values: list[str]) -> tuple[Sessions, list[str]]:
    """The sessions, and ``values`` as references (files here uploaded first, as ``ask``)."""
    sdk = await OrchestratorClient.connect(cli_settings())
    references, files = split_documents(values)
    return sdk.sessions, list(await sdk.references(references, files))


@sessions_app.command("create")
def session_create(doc: DocOption) -> None:
    """Start a session with active documents; prints its id."""

    async def create() -> str:
        sessions, documents = await _uploaded(doc)
        return await sessions.create(documents)

    console.print(run(create()))


@sessions_app.command("ask")
def session_ask(session_id: str, question: str) -> None:
    """Ask a question in a session and print the answer."""

    async def ask() -> None:
        print_result(console, await (await _sessions()).ask_and_wait(session_id, question))

    run(ask())


@sessions_app.command("turns")
def session_turns(session_id: str) -> None:
    """List a session's turns."""

    async def turns() -> None:
        table = Table("#", "question", "status", "confidence", "query")
        for n, turn in enumerate(await (await _sessions()).turns(session_id), start=1):
            table.add_row(
                str(n), turn.question, turn.status, f"{turn.confidence:.2f}", turn.query_workflow_id
            )
        console.print(table)

    run(turns())


@sessions_app.command("add")
def session_add(session_id: str, documents: list[str]) -> None:
    """Add active documents (files here are uploaded first)."""

    async def add() -> list[str]:
        sessions, references = await _uploaded(documents)
        return await sessions.add_documents(session_id, references)

    console.print(run(add()))


@sessions_app.command("remove")
def session_remove(session_id: str, documents: list[str]) -> None:
    """Remove active documents."""

    async def remove() -> list[str]:
        return await (await _sessions()).remove_documents(session_id, documents)

    console.print(run(remove()))


@sessions_app.command("close")
def session_close(session_id: str) -> None:
    """Close a session after its queued questions are answered."""

    async def close() -> None:
        state = await (await _sessions()).close(session_id)
        console.print(f"closed {state.session_id} after {state.turns_total} turn(s)")

    run(close())


@sessions_app.command("list")
def session_list() -> None:
    """Open sessions."""

    async def open_ids() -> list[str]:
        return await (await _sessions()).list_open()

    for session_id in run(open_ids()):
        console.print(session_id)
