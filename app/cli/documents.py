"""``docorch ingest``: documents into the store, parsed and indexed by a worker (IngestWorkflow),
the same path every query's documents take."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.common import (
    JsonOption,
    cli_settings,
    console,
    embedded_sdk,
    err,
    run,
    split_documents,
)
from models.query import ResolveReport


def ingest(
    sources: Annotated[
        list[str],
        typer.Argument(help="Files here (uploaded first), file:PATH on the workers, or ids."),
    ],
    as_json: JsonOption = False,
) -> None:
    """Ingest documents into the store (same bytes are stored once): files here are uploaded,
    then a worker parses and indexes them. Starts an embedded server and worker if none
    answers."""
    references, files = split_documents(sources)

    async def send() -> ResolveReport:
        async with embedded_sdk(cli_settings()) as (sdk, _):
            return await sdk.ingest(references, files=files)

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
