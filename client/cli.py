"""The docorch command line.

    docorch ask "What is the notice period?" --doc samples/contract_acme_globex.md
    docorch demo | server | worker | ingest | plan | watch | cancel
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from client.logs import configure_logging
from client.render import event_line, plan_tree, print_result
from models.query import QueryConfig, QueryResult, Strategy
from models.settings import Settings

app = typer.Typer(help="docorch: ask questions about your documents, answered by a durable plan.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
console = Console()
err = Console(stderr=True)
T = TypeVar("T")

DocOption = Annotated[list[str], typer.Option("--doc", "-d", help="Document path or id (repeatable).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a rendering.")]


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coroutine)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/] {message}")
    return typer.Exit(1)


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_format, level=30)
    return settings


@app.command()
def server(port: Annotated[int | None, typer.Option(help="Frontend port (UI on port+1000).")] = None) -> None:
    """Run the embedded Temporal dev server (persistent, in the data directory) until Ctrl-C."""
    from client.devserver import DevServerError, dev_server

    settings = _settings()

    async def serve() -> None:
        async with dev_server(settings, port=port) as address:
            ui_port = int(address.rsplit(":", 1)[1]) + 1000
            console.print(f"Temporal dev server on [bold]{address}[/], UI http://127.0.0.1:{ui_port}")
            await asyncio.Event().wait()

    try:
        _run(serve())
    except DevServerError as error:
        raise _fail(str(error)) from None


@app.command()
def worker(address: Annotated[str | None, typer.Option(help="Temporal address.")] = None) -> None:
    """Run a worker on the task queue (connects through TEMPORAL_ADDRESS / profiles)."""
    from worker import run_worker

    _run(run_worker(Settings(), address=address))


@app.command()
def ingest(paths: list[Path], as_json: JsonOption = False) -> None:
    """Ingest documents into the store (same bytes are stored once)."""
    from activities import context
    from activities.errors import BadInput
    from activities.ingest import resolve_one

    ctx = context.install(_settings())
    failed = False
    rows = []
    for path in paths:
        try:
            ref = resolve_one(ctx, str(path))
            rows.append(ref.model_dump(mode="json"))
            if not as_json:
                console.print(f"[green]ingested[/] {ref.name} → {ref.id} ({ref.format}, {ref.chunks} chunks)")
        except BadInput as error:
            failed = True
            rows.append({"source": str(path), "error_type": error.error_type, "message": str(error)})
            if not as_json:
                err.print(f"[red]{error.error_type}[/]: {error}")
    if as_json:
        console.print_json(json.dumps(rows))
    if failed:
        raise typer.Exit(1)


def _config(strategy: Strategy | None, parallel: int | None, levels: bool) -> QueryConfig:
    config: dict[str, Any] = {}
    if strategy:
        config["strategy"] = strategy
    if parallel:
        config["max_parallel_steps"] = parallel
    if levels:
        config["scheduling"] = "levels"
    return QueryConfig(**config)


@app.command()
def plan(
    question: str,
    doc: DocOption,
    as_json: JsonOption = False,
    strategy: Annotated[Strategy | None, typer.Option()] = None,
) -> None:
    """Show the plan for a question and whether it validates; nothing runs."""
    from activities import context
    from activities.errors import BadInput
    from activities.ingest import resolve_one
    from activities.planning.activity import Planner
    from activities.tools.catalog import default_registry
    from models.plan import PlanRequest

    ctx = context.install(_settings())
    try:
        documents = tuple(resolve_one(ctx, d) for d in doc)
        response = Planner(default_registry()).plan(
            PlanRequest(query=question, documents=documents, config=_config(strategy, None, False))
        )
    except BadInput as error:
        raise _fail(f"{error.error_type}: {error}") from None
    if as_json:
        console.print_json(response.model_dump_json())
    else:
        console.print(plan_tree(response))
        console.print("[green]valid[/]: every tool exists, parameters match, references resolve, no cycle")


async def _ask(
    settings: Settings, question: str, documents: list[str], config: QueryConfig, as_json: bool
) -> QueryResult:
    from client.embedded import runtime
    from client.sdk import OrchestratorClient

    async with runtime(settings) as rt:
        sdk = OrchestratorClient(rt.client, task_queue=settings.task_queue)
        handle = await sdk.start(question, documents, config=config)
        if not as_json:
            where = "embedded dev server" if rt.embedded_server else rt.address
            console.print(f"[dim]{handle.id} on {where}[/]")
            with console.status("working…"):
                async for event in sdk.events(handle.id):
                    console.print(event_line(event))
        result = await handle.result()
        if as_json:
            console.print_json(result.model_dump_json())
        else:
            print_result(console, result, ui_url=rt.ui_url)
        return result


@app.command()
def ask(
    question: str,
    doc: DocOption,
    as_json: JsonOption = False,
    strategy: Annotated[Strategy | None, typer.Option()] = None,
    parallel: Annotated[int | None, typer.Option(help="Max steps at once.")] = None,
    levels: Annotated[bool, typer.Option(help="Run level by level instead of eagerly.")] = False,
) -> None:
    """Ask a question about documents. Starts an embedded server and worker if none answers."""
    from temporalio.client import WorkflowFailureError

    settings = _settings()
    try:
        config = _config(strategy, parallel, levels)
        _run(_ask(settings, question, doc, config, as_json))
    except ValidationError as error:
        raise _fail("; ".join(e["msg"] for e in error.errors())) from None
    except WorkflowFailureError as error:
        cause = error.cause
        raise _fail(getattr(cause, "message", str(cause))) from None


@app.command()
def watch(workflow_id: str, after: Annotated[int, typer.Option(help="Last offset seen.")] = -1) -> None:
    """Attach to a running query and print its progress until it finishes."""
    from client.sdk import OrchestratorClient

    async def follow() -> None:
        sdk = await OrchestratorClient.connect(_settings())
        async for event in sdk.events(workflow_id, after=after):
            console.print(event_line(event))

    _run(follow())


@app.command()
def cancel(workflow_id: str) -> None:
    """Cancel a running query; it returns a partial result with status 'cancelled'."""
    from client.sdk import OrchestratorClient

    async def do_cancel() -> None:
        sdk = await OrchestratorClient.connect(_settings())
        await sdk.cancel(workflow_id)
        console.print(f"cancellation requested for {workflow_id}")

    _run(do_cancel())


DEMO_QUERIES = (
    ("What is the notice period for termination for convenience?", ["contract_acme_globex.md", "contract_acme_initech.md"]),
    ("Summarize the operations report and the meeting notes", ["q3_operations_report.md", "steering_meeting_notes.txt"]),
    ("Compare the two service agreements", ["contract_acme_globex.md", "contract_acme_initech.md"]),
)


def samples_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "samples"


@app.command()
def demo(as_json: JsonOption = False) -> None:
    """Answer sample questions over the sample documents on the embedded server."""
    from client.embedded import runtime
    from client.sdk import OrchestratorClient

    settings = _settings()
    folder = samples_dir()

    async def run_demo() -> None:
        async with runtime(settings.model_copy(update={"allowed_roots": (folder,)})) as rt:
            sdk = OrchestratorClient(rt.client, task_queue=settings.task_queue)
            console.print(f"[bold]docorch demo[/] · Temporal {rt.address} · UI {rt.ui_url}")
            for question, names in DEMO_QUERIES:
                docs = [str(folder / n) for n in names]
                console.rule(f"[bold]Q:[/] {question}")
                console.print(f"[dim]documents: {', '.join(names)}[/]")
                result = await sdk.run(question, docs)
                if as_json:
                    console.print_json(result.model_dump_json())
                else:
                    print_result(console, result, ui_url=rt.ui_url)

    _run(run_demo())


def _register_state_commands() -> None:
    from client.cli_state import sessions_app, state

    app.add_typer(sessions_app, name="session")
    app.command("state")(state)


_register_state_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
