"""Terminal rendering of plans, progress events and results (rich)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from app.cli.timeline import STATUS_STYLE, timeline
from models.events import ProgressEvent
from models.plan import PlanResponse
from models.query import DocumentFailure, QueryResult
from workflows.planning import REPEATS_PLAN

if TYPE_CHECKING:
    from client.trace import Trace


def plan_tree(response: PlanResponse) -> Tree:
    """The plan as a tree: its query type, source and reasoning, then its steps by level."""
    plan = response.plan
    tree = Tree(f"[bold]{plan.query_type.value}[/] plan ({plan.source}): {plan.reasoning}")
    for number, level in enumerate(response.levels, start=1):
        branch = tree.add(f"level {number}")
        for step_id in level:
            step = plan.step(step_id)
            branch.add(f"[cyan]{step.id}[/] {step.tool} — {step.description}")
    return tree


def print_result(console: Console, result: QueryResult, *, trace_url: str | None = None) -> None:
    """The answer, its citations, the execution figures and (with ``trace_url``, the query's
    page in the Temporal UI) the trace link."""
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
        f"\nconfidence [bold]{result.confidence_score:.2f}[/]"
        f" · orchestrator {result.orchestrator_version}"
        f" · {len(summary.steps)} steps in {len(summary.levels)} levels · {summary.total_ms:.0f} ms"
        f" · retries {summary.retries} · fallbacks {summary.fallbacks} · replans {summary.replans}"
    )
    print_documents_failed(console, summary.documents_failed)
    if summary.degraded_reason and summary.degraded:
        console.print(f"  [yellow]degraded[/]: {summary.degraded_reason}; the direct path answered")
    elif summary.degraded_reason and REPEATS_PLAN in summary.degraded_reason:
        console.print(f"  [yellow]low confidence[/]: {summary.degraded_reason}")
    elif summary.degraded_reason:
        console.print(
            f"  [yellow]note[/]: {summary.degraded_reason}; the direct path was tried and the "
            "planned answer kept"
        )
    if trace_url:
        console.print(f"  trace: {trace_url}")


def print_documents_failed(console: Console, failures: Sequence[DocumentFailure]) -> None:
    """One line per document that could not be used, with its error type and why."""
    for failure in failures:
        console.print(
            f"  [red]skipped document[/] {failure.source}: {failure.error_type}: {failure.message}"
        )


# ---- live progress ---------------------------------------------------------------------------

_STATE_MARK = {
    "scheduled": "[dim]○[/]",
    "completed": "[green]✓[/]",
    "failed": "[red]✗[/]",
    "skipped": "[yellow]−[/]",
}


@dataclass
class _StepLine:
    step_id: str
    tool: str
    description: str = ""
    state: str = "scheduled"
    started: float | None = None
    duration_ms: float | None = None
    confidence: float | None = None
    attempts: int = 1
    note: str = ""

    def render(self) -> RenderableType:
        label = f"[cyan]{self.step_id}[/] {self.tool}"
        if self.state == "running":
            elapsed = (time.monotonic() - self.started) * 1000 if self.started else 0.0
            return Spinner(
                "dots", Text.from_markup(f"{label} [dim]running {elapsed:.0f} ms{self.note}[/]")
            )
        details = ""
        if self.duration_ms is not None:
            details += f" {self.duration_ms:.0f} ms"
        if self.confidence is not None:
            details += f" · confidence {self.confidence:.2f}"
        if self.attempts > 1:
            details += f" · {self.attempts} attempts"
        mark = _STATE_MARK.get(self.state, "·")
        return Text.from_markup(f"{mark} {label} [dim]{self.state}{details}{self.note}[/]")


@dataclass
class ProgressView:
    """A query's live progress for ``rich.live.Live``: the plan as a tree of levels, one line per
    step with its state and duration, notes on replans and degradation, and a spinner while the
    query runs. Feed it events with ``apply``."""

    workflow_id: str
    header: str = "planning…"
    levels: list[list[str]] = field(default_factory=list)
    extra: dict[str, list[str]] = field(default_factory=dict)
    steps: dict[str, _StepLine] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    final: str | None = None
    started: float = field(default_factory=time.monotonic)

    def apply(self, event: ProgressEvent) -> None:
        """Update the view with one event."""
        handler = getattr(self, f"_on_{event.kind.value}", None)
        if handler is not None:
            handler(event)

    def _line(self, event: ProgressEvent) -> _StepLine:
        step_id = event.step_id or "?"
        if step_id not in self.steps:
            self.steps[step_id] = _StepLine(step_id, event.tool or "?")
            if not any(step_id in level for level in self.levels):
                branch = next(reversed(self.extra), "other steps") if self.extra else "other steps"
                self.extra.setdefault(branch, []).append(step_id)
        return self.steps[step_id]

    def _on_plan_created(self, event: ProgressEvent) -> None:
        data = event.data
        self.header = (
            f"[bold]{data.query_type or '?'}[/] plan ({data.source or '?'}, "
            f"{data.strategy or '?'}): {event.message}"
        )
        self.levels = [list(level) for level in data.levels or []]
        for step in data.steps or []:
            self.steps[step.id] = _StepLine(step.id, step.tool, step.description)

    def _on_step_scheduled(self, event: ProgressEvent) -> None:
        self._line(event).state = "scheduled"

    def _on_step_started(self, event: ProgressEvent) -> None:
        line = self._line(event)
        line.state, line.tool = "running", event.tool or line.tool
        line.started = line.started or time.monotonic()

    def _on_step_completed(self, event: ProgressEvent) -> None:
        line = self._line(event)
        line.state, line.tool = "completed", event.tool or line.tool
        line.duration_ms = event.data.duration_ms
        line.confidence = event.data.confidence
        line.attempts = event.data.attempts or 1

    def _on_step_failed(self, event: ProgressEvent) -> None:
        line = self._line(event)
        line.state, line.note = "failed", f" · {event.message}"
        if line.started:
            line.duration_ms = (time.monotonic() - line.started) * 1000

    def _on_step_skipped(self, event: ProgressEvent) -> None:
        line = self._line(event)
        line.state, line.note = "skipped", f" · {event.message}"

    def _on_step_fell_back(self, event: ProgressEvent) -> None:
        line = self._line(event)
        line.note = f" · fell back from {event.data.failed_tool or line.tool}"
        line.tool = event.tool or line.tool

    def _on_replan_started(self, event: ProgressEvent) -> None:
        self.notes.append(f"[magenta]replanning[/] (attempt {event.data.attempt}): {event.message}")
        self.extra[f"replan {event.data.attempt}"] = []

    def _on_replan_finished(self, event: ProgressEvent) -> None:
        ok = event.data.ok is not False
        self.notes.append(f"[magenta]replan {'ready' if ok else 'failed'}[/]: {event.message}")

    def _on_degraded(self, event: ProgressEvent) -> None:
        if event.data.llm_budget_exhausted:
            self.notes.append(f"[yellow]LLM budget[/]: {event.message}")
            return
        self.notes.append(f"[yellow]degraded to the direct path[/]: {event.message}")
        self.extra["direct path"] = []

    def _on_error(self, event: ProgressEvent) -> None:
        self.notes.append(f"[red]error[/]: {event.message}")
        if event.is_final:
            self.final = f"[red]failed[/]: {event.message}"

    def _on_final_answer(self, event: ProgressEvent) -> None:
        confidence = event.data.confidence
        suffix = f", confidence {confidence:.2f}" if confidence is not None else ""
        self.final = f"[bold green]{event.message}[/]{suffix}"

    def __rich__(self) -> RenderableType:
        tree = Tree(self.header)
        for number, level in enumerate(self.levels, start=1):
            branch = tree.add(f"level {number}")
            for step_id in level:
                branch.add(self.steps[step_id].render() if step_id in self.steps else step_id)
        for name, step_ids in self.extra.items():
            branch = tree.add(name)
            for step_id in step_ids:
                branch.add(self.steps[step_id].render())
        parts: list[RenderableType] = [tree, *(Text.from_markup(n) for n in self.notes)]
        elapsed = time.monotonic() - self.started
        if self.final is None:
            parts.append(Spinner("dots", Text(f"{self.workflow_id} · {elapsed:.1f} s")))
        else:
            parts.append(Text.from_markup(f"{self.final} · {elapsed:.1f} s"))
        return Group(*parts)


# ---- the trace ---------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def trace_table(trace: Trace) -> Table:
    """One row per step activity: where it sits in the plan, how it went, how long it took."""
    table = Table(
        "step",
        "tool",
        "lvl",
        "plan",
        "status",
        "att",
        "wait ms",
        "run ms",
        "total ms",
        "conf",
        "notes",
        title=f"{trace.workflow_id} · {trace.status}",
    )
    for row in trace.rows:
        notes = []
        if row.fell_back_from:
            notes.append(f"fell back from {row.fell_back_from}")
        if row.last_retry_failure and row.attempts > 1:
            notes.append(f"retried after: {row.last_retry_failure}")
        if row.failure and row.status != "completed":
            notes.append(row.failure)
        style = STATUS_STYLE.get(row.status, "")
        table.add_row(
            row.activity_id,
            row.tool,
            "-" if row.level is None else str(row.level),
            row.plan,
            f"[{style}]{row.status}[/]" if style else row.status,
            str(row.attempts),
            _ms(row.queue_wait_ms),
            _ms(row.duration_ms),
            _ms(row.total_ms),
            "-" if row.confidence is None else f"{row.confidence:.2f}",
            "; ".join(notes),
        )
    return table


def print_trace(console: Console, trace: Trace) -> None:
    """The trace table and the steps' timeline, then the status, timings, replans, failure
    and UI link."""
    console.print(trace_table(trace))
    chart = timeline(trace, width=max(20, min(60, console.width - 40)))
    if chart is not None:
        console.print(chart)
    parts = [f"status {trace.status}"]
    if trace.query_type:
        parts.append(f"{trace.query_type} ({trace.strategy})")
    if trace.duration_ms is not None:
        parts.append(f"{trace.duration_ms:.0f} ms")
    if trace.confidence_score is not None:
        parts.append(f"confidence {trace.confidence_score:.2f}")
    if trace.replans:
        parts.append(f"replans: {', '.join(trace.replans)}")
    parts.append(f"{trace.history_events} history events, {trace.history_bytes} bytes")
    console.print(" · ".join(parts))
    if trace.failure:
        console.print(f"[red]failure[/]: {trace.failure}")
    if trace.ui_url:
        console.print(f"Temporal UI: {trace.ui_url}")
