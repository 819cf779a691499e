"""Terminal rendering of plans, progress events and results (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from models.events import EventKind, ProgressEvent
from models.plan import PlanResponse
from models.query import QueryResult

_EVENT_STYLE = {
    EventKind.STEP_COMPLETED: "green",
    EventKind.STEP_FAILED: "red",
    EventKind.STEP_SKIPPED: "yellow",
    EventKind.STEP_FELL_BACK: "magenta",
    EventKind.REPLAN_STARTED: "magenta",
    EventKind.DEGRADED: "yellow",
    EventKind.ERROR: "red",
    EventKind.FINAL_ANSWER: "bold green",
}


def plan_tree(response: PlanResponse) -> Tree:
    plan = response.plan
    tree = Tree(f"[bold]{plan.query_type.value}[/] plan ({plan.source}): {plan.reasoning}")
    for number, level in enumerate(response.levels, start=1):
        branch = tree.add(f"level {number}")
        for step_id in level:
            step = plan.step(step_id)
            branch.add(f"[cyan]{step.id}[/] {step.tool} — {step.description}")
    return tree


def event_line(event: ProgressEvent) -> str:
    style = _EVENT_STYLE.get(event.kind, "dim")
    where = f" {event.step_id}" if event.step_id else ""
    tool = f" ({event.tool})" if event.tool and event.step_id else ""
    extra = ""
    if "confidence" in event.data:
        extra += f" confidence={event.data['confidence']:.2f}"
    if "duration_ms" in event.data:
        extra += f" {event.data['duration_ms']:.0f} ms"
    message = f" {event.message}" if event.message and event.kind is not EventKind.STEP_STARTED else ""
    return f"[{style}]{event.offset:>3} {event.kind.value}[/]{where}{tool}{extra}{message}"


def print_result(console: Console, result: QueryResult, *, ui_url: str | None = None) -> None:
    status = "" if result.status.value == "completed" else f" [{result.status.value}]"
    console.rule(f"[bold]{result.query_type.value}[/] answer{status}")
    console.print(result.answer)
    if result.citations:
        console.print()
        for number, citation in enumerate(result.citations, start=1):
            quote = citation.quote if len(citation.quote) < 110 else citation.quote[:107] + "..."
            console.print(f"  [{number}] [cyan]{citation.label()}[/]: “{quote}”")
    summary = result.execution_summary
    console.print(
        f"\nconfidence [bold]{result.confidence_score:.2f}[/] · orchestrator {result.orchestrator_version}"
        f" · {len(summary.steps)} steps in {len(summary.levels)} levels · {summary.total_ms:.0f} ms"
        f" · retries {summary.retries} · fallbacks {summary.fallbacks} · replans {summary.replans}"
    )
    for failure in summary.documents_failed:
        console.print(f"  [red]skipped document[/] {failure.source}: {failure.error_type}: {failure.message}")
    if summary.degraded_reason:
        console.print(f"  [yellow]note[/]: {summary.degraded_reason}")
    if ui_url:
        console.print(f"  trace: {ui_url}/namespaces/default/workflows/{result.workflow_id}")


def steps_table(result: QueryResult) -> Table:
    table = Table("step", "tool", "level", "status", "attempts", "ms", "confidence")
    for step in result.execution_summary.steps:
        table.add_row(
            step.step_id, step.tool, str(step.level), step.status.value, str(step.attempts),
            f"{step.duration_ms:.0f}", f"{step.confidence:.2f}",
        )
    return table
