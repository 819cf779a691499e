"""Queries from the command line: ``ask``, ``plan`` (a dry run), ``watch``, ``trace``, ``cancel``.

docorch ask "What is the notice period?" --doc samples/contract_acme_globex.md
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.live import Live
from temporalio.client import WorkflowFailureError

from app.cli.common import (
    DocOption,
    JsonOption,
    cli_settings,
    console,
    embedded_sdk,
    fail,
    fail_workflow,
    on_rpc_errors,
    run,
    split_documents,
    trace_link,
    ui_url_of,
)
from app.cli.render import (
    ProgressView,
    plan_tree,
    print_documents_failed,
    print_result,
    print_trace,
)
from client.sdk import OrchestratorClient
from client.trace import TraceNotFound
from models.query import QueryConfig, Strategy
from models.settings import Settings

StrategyOption = Annotated[Strategy | None, typer.Option()]


def query_config(strategy: Strategy | None, parallel: int | None, levels: bool) -> QueryConfig:
    """The QueryConfig the options ask for (defaults for the rest)."""
    config: dict[str, Any] = {}
    if strategy:
        config["strategy"] = strategy
    if parallel:
        config["max_parallel_steps"] = parallel
    if levels:
        config["scheduling"] = "levels"
    return QueryConfig(**config)


async def follow_live(sdk: OrchestratorClient, workflow_id: str, *, after: int = -1) -> None:
    """Show a query's progress live (plan tree, step lines, spinner) until it ends."""
    view = ProgressView(workflow_id)
    with Live(view, console=console, refresh_per_second=10):
        async for event in sdk.events(workflow_id, after=after):
            view.apply(event)
    console.print()


async def _ask(
    settings: Settings,
    question: str,
    documents: list[str],
    config: Callable[[], QueryConfig],
    as_json: bool,
) -> None:
    references, files = split_documents(documents)
    async with embedded_sdk(settings) as (sdk, rt):
        handle = await sdk.start(question, references, files=files, config=config())
        if not as_json:
            where = "embedded dev server" if rt.embedded_server else rt.address
            console.print(f"[dim]{handle.id} on {where}[/]")
            await follow_live(sdk, handle.id)
        result = await sdk.result(handle.id)
        if as_json:
            console.print_json(result.model_dump_json())
        else:
            print_result(console, result, trace_url=trace_link(rt.ui_url, rt.client, handle.id))


def ask(
    question: str,
    doc: DocOption,
    as_json: JsonOption = False,
    strategy: StrategyOption = None,
    parallel: Annotated[int | None, typer.Option(help="Max steps at once.")] = None,
    levels: Annotated[bool, typer.Option(help="Run level by level instead of eagerly.")] = False,
) -> None:
    """Ask a question about documents (files here are uploaded to the store first, so no
    worker needs this machine's disk). Starts an embedded server and worker if none answers."""
    settings = cli_settings()
    config = functools.partial(query_config, strategy, parallel, levels)
    run(_ask(settings, question, doc, config, as_json))


def plan(
    question: str,
    doc: DocOption,
    as_json: JsonOption = False,
    strategy: StrategyOption = None,
) -> None:
    """Show the plan a question would run (template or LLM) and that it validates; no step
    runs. Starts an embedded server and worker if none answers."""

    async def preview() -> None:
        references, files = split_documents(doc)
        async with embedded_sdk(settings) as (sdk, _):
            found = await sdk.preview_plan(
                question, references, files=files, config=query_config(strategy, None, False)
            )
        if as_json:
            console.print_json(found.model_dump_json())
            return
        console.print(plan_tree(found.plan))
        print_documents_failed(console, found.documents.failures)
        console.print(
            "[green]valid[/]: every tool exists, parameters match, references resolve, no cycle"
        )

    settings = cli_settings()
    run(preview())


def watch(
    workflow_id: str,
    after: Annotated[int, typer.Option(help="Last offset seen; later events only.")] = -1,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON event per line.")] = False,
) -> None:
    """Attach to a query (running or finished) and follow its progress until it ends."""

    async def follow() -> None:
        settings = cli_settings()
        sdk = await OrchestratorClient.connect(settings)
        if as_json:
            async for event in sdk.events(workflow_id, after=after):
                print(event.model_dump_json(), flush=True)
            return
        await follow_live(sdk, workflow_id, after=after)
        try:
            result = await sdk.result(workflow_id)
        except WorkflowFailureError as error:
            raise fail_workflow(error) from None
        link = trace_link(ui_url_of(settings), sdk.temporal, workflow_id)
        print_result(console, result, trace_url=link)

    run(on_rpc_errors(follow(), workflow_id))


def trace(
    workflow_id: str,
    as_json: JsonOption = False,
    ui: Annotated[str | None, typer.Option(help="Temporal UI base URL for the link.")] = None,
) -> None:
    """Show a query's execution trace from its Temporal history: one row per step activity."""

    async def show() -> None:
        settings = cli_settings()
        sdk = await OrchestratorClient.connect(settings)
        try:
            found = await sdk.trace(workflow_id, ui_base_url=ui or ui_url_of(settings))
        except TraceNotFound as error:
            raise fail(str(error)) from None
        if as_json:
            console.print_json(found.model_dump_json())
        else:
            print_trace(console, found)

    run(on_rpc_errors(show(), workflow_id))


def cancel(workflow_id: str) -> None:
    """Cancel a running query; it returns a partial result with status 'cancelled'."""

    async def do_cancel() -> None:
        sdk = await OrchestratorClient.connect(cli_settings())
        await sdk.cancel(workflow_id)
        console.print(f"cancellation requested for {workflow_id}")

    run(do_cancel())
