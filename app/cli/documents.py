"""``docorch ingest``: documents into the store, parsed and indexed by a worker (IngestWorkflow),
the same path every query's documents take."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.common import JsonOption, cli_settings, console, embedded_sdk, err, run
from models.query import ResolveReport


def ingest(paths: list[Path], as_json: JsonOption = False) -> None:
    """Ingest documents into the store (same bytes are stored once). Starts an embedded server
    and worker if none answers."""

    async def send() -> ResolveReport:
        async with embedded_sdk(cli_settings()) as (sdk, _):
            return await sdk.ingest([str(path) for path in paths])

    report = run(send())
    if as_json:
        console.print_json(report.model_dump_json())
    else:
        for ref in report.documents:
            console.print(
                f"[green]ingested[/] {ref.name} → {ref.id} ({ref.format}, {ref.chunks} chunks)"
            )
        for failure in report.failures:
            err.print(f"[red]{failure.error_type}[/]: {failure.message}")
    if report.failures:
        raise typer.Exit(1)
