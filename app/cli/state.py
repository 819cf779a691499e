"""``docorch state``: state per scope (global, session, execution)."""

from __future__ import annotations

from rich.table import Table
from temporalio.client import WorkflowFailureError

from app.cli.common import JsonOption, cli_settings, console, run
from app.state import state_summary
from client.sdk import OrchestratorClient
from models.state import StateSummary


def _print_summary(summary: StateSummary) -> None:
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


def state(as_json: JsonOption = False) -> None:
    """State per scope: global (tool figures), session, execution."""

    async def show() -> None:
        settings = cli_settings()
        sdk = await OrchestratorClient.connect(settings)
        try:
            registered: int | None = len((await sdk.tools(timeout_seconds=5)).tools)
        except WorkflowFailureError:  # no worker answered: the tools are theirs to tell
            registered = None
        summary = await state_summary(sdk.temporal, settings, registered_tools=registered)
        if as_json:
            console.print_json(summary.model_dump_json())
        else:
            _print_summary(summary)

    run(show())
