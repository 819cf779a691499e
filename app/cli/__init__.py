"""The docorch command line (``docorch = "app.cli:main"``), one module per command group.

docorch ask "What is the notice period?" --doc samples/contract_acme_globex.md
docorch demo | server | worker | api | ingest | plan | watch | trace | cancel | session | state
"""

from __future__ import annotations

import typer

from app.cli import demo, documents, queries, server, sessions, state
from app.cli.common import run_command_line

app = typer.Typer(
    help="docorch: ask questions about your documents, answered by a durable plan.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

for command in (
    server.server,
    server.worker,
    documents.ingest,
    queries.plan,
    queries.ask,
    queries.watch,
    queries.trace,
    server.api,
    queries.cancel,
    demo.demo,
):
    app.command()(command)
app.add_typer(sessions.sessions_app, name="session")
app.command("state")(state.state)


def main() -> None:
    """The ``docorch`` command: ``app``, ending the process with the command's exit code."""
    run_command_line(app)


__all__ = ["app", "main"]
