"""The docorch command line.

docorch ask "What is the notice period?" --doc samples/contract_acme_globex.md
docorch demo | server | worker | ingest | plan | watch | trace | cancel | api
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from client.logs import configure_logging
from client.render import ProgressView, plan_tree, print_result, print_trace
from models.query import QueryConfig, QueryResult, Strategy
from models.settings import Settings

if TYPE_CHECKING:
    from client.sdk import OrchestratorClient

app = typer.Typer(
    help="docorch: ask questions about your documents, answered by a durable plan.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)
T = TypeVar("T")

DocOption = Annotated[
    list[str], typer.Option("--doc", "-d", help="Document path or id (repeatable).")
]
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
def server(
    port: Annotated[int | None, typer.Option(help="Frontend port (UI on port+1000).")] = None,
) -> None:
    """Run the embedded Temporal dev server (persistent, in the data directory) until Ctrl-C or
    SIGTERM; either stops the server too."""
    import signal

    from client.devserver import DevServerError, dev_server

    settings = _settings()

    async def serve() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with dev_server(settings, port=port) as address:
            ui_port = int(address.rsplit(":", 1)[1]) + 1000
            console.print(
                f"Temporal dev server on [bold]{address}[/], UI http://127.0.0.1:{ui_port}"
            )
            await stop.wait()

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
                console.print(
                    f"[green]ingested[/] {ref.name} → {ref.id} ({ref.format}, {ref.chunks} chunks)"
                )
        except BadInput as error:
            failed = True
            rows.append(
                {"source": str(path), "error_type": error.error_type, "message": str(error)}
            )
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
        console.print(
            "[green]valid[/]: every tool exists, parameters match, references resolve, no cycle"
        )


async def follow_live(sdk: OrchestratorClient, workflow_id: str, *, after: int = -1) -> None:
    """Show a query's progress live (plan tree, step lines, spinner) until it ends."""
    from rich.live import Live

    view = ProgressView(workflow_id)
    with Live(view, console=console, refresh_per_second=10):
        async for event in sdk.events(workflow_id, after=after):
            view.apply(event)
    console.print()


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
            await follow_live(sdk, handle.id)
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
def watch(
    workflow_id: str,
    after: Annotated[int, typer.Option(help="Last offset seen; later events only.")] = -1,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON event per line.")] = False,
) -> None:
    """Attach to a query (running or finished) and follow its progress until it ends."""
    from temporalio.client import WorkflowFailureError

    from client.sdk import OrchestratorClient

    async def follow() -> None:
        settings = _settings()
        sdk = await OrchestratorClient.connect(settings)
        if as_json:
            async for event in sdk.events(workflow_id, after=after):
                print(event.model_dump_json(), flush=True)
            return
        await follow_live(sdk, workflow_id, after=after)
        try:
            result = await sdk.result(workflow_id)
        except WorkflowFailureError as error:
            raise _fail(getattr(error.cause, "message", str(error.cause))) from None
        print_result(console, result, ui_url=_ui_url(settings))

    _run(_on_rpc_errors(follow(), workflow_id))


@app.command()
def trace(
    workflow_id: str,
    as_json: JsonOption = False,
    ui: Annotated[str | None, typer.Option(help="Temporal UI base URL for the link.")] = None,
) -> None:
    """Show a query's execution trace from its Temporal history: one row per step activity."""
    from client.sdk import OrchestratorClient
    from client.trace import TraceNotFound

    async def show() -> None:
        settings = _settings()
        sdk = await OrchestratorClient.connect(settings)
        try:
            found = await sdk.trace(workflow_id, ui_base_url=ui or _ui_url(settings))
        except TraceNotFound as error:
            raise _fail(str(error)) from None
        if as_json:
            console.print_json(found.model_dump_json())
        else:
            print_trace(console, found)

    _run(_on_rpc_errors(show(), workflow_id))


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
    connect_only: Annotated[
        bool,
        typer.Option(help="Only connect to Temporal: no embedded server, no in-process worker."),
    ] = False,
    metrics_port: Annotated[
        int | None, typer.Option(help="Loopback port for the Temporal SDK's metrics.")
    ] = None,
) -> None:
    """Run the HTTP API (OpenAPI at /docs). Set DOCORCH_API_TOKEN to require a bearer token."""
    from client.api import serve
    from client.devserver import DevServerError

    settings = _settings()
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.api_token:
        err.print("[yellow]warning[/]: listening beyond loopback without DOCORCH_API_TOKEN")
    console.print(f"docorch API on http://{host}:{port} (docs at /docs)")
    try:
        _run(
            serve(
                settings, host=host, port=port, connect_only=connect_only, metrics_port=metrics_port
            )
        )
    except DevServerError as error:
        raise _fail(str(error)) from None


def _ui_url(settings: Settings) -> str:
    """The Temporal UI: the embedded server's (frontend port + 1000), else the default 8233."""
    from client.connection import target_host

    host, _, port = target_host(settings).rpartition(":")
    host = host or "127.0.0.1"
    if host in ("localhost", "0.0.0.0"):
        host = "127.0.0.1"
    if port.isdigit() and int(port) == settings.server_port:
        return f"http://{host}:{int(port) + 1000}"
    return f"http://{host}:8233"


async def _on_rpc_errors(coroutine: Coroutine[Any, Any, None], workflow_id: str) -> None:
    from temporalio.service import RPCError, RPCStatusCode

    try:
        await coroutine
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise _fail(f"{workflow_id}: no such query") from None
        raise _fail(f"Temporal: {error.message}") from None


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
    # one query of each type, over Markdown, text, PDF and DOCX samples (samples/make_samples.py)
    (
        "Find where the expired certificate is mentioned",
        ["q3_operations_report.md", "incident_review_2025-09-22.docx"],
    ),
    (
        "Summarize the incident review and the Umbrella agreement",
        ["incident_review_2025-09-22.docx", "contract_acme_umbrella.pdf"],
    ),
    (
        "What are the main risks to availability?",
        [
            "q3_operations_report.md",
            "steering_meeting_notes.txt",
            "incident_review_2025-09-22.docx",
        ],
    ),
    (
        "Compare the Globex and Umbrella service agreements",
        ["contract_acme_globex.md", "contract_acme_umbrella.pdf"],
    ),
    (
        "Extract the amounts and dates due after August",
        ["contract_acme_umbrella.pdf", "incident_review_2025-09-22.docx"],
    ),
    ("Extract the tables", ["contract_acme_umbrella.pdf", "incident_review_2025-09-22.docx"]),
    (
        "What is the notice period for termination for convenience?",
        ["contract_acme_globex.md", "contract_acme_initech.md", "contract_acme_umbrella.pdf"],
    ),
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
    main()
