"""A query's current details in the Temporal UI: the phase, the level being run, the steps done,
running, failed and skipped, the plan as a table with each step's status, and notes on why a
replan or the direct path started.

Kept up to date from the event log (every event refreshes it) and from the plans the query
adopts. ``workflow.set_current_details`` writes nothing to the history: the UI reads the text
through the workflow's metadata query while a worker has the workflow, between workflow tasks.
So in a workflow the text is rendered once per batch of events (``defer``: the workflow's event
loop runs the render after the work of the current activation), not once per event: a 50-step
plan's first workflow task emits a hundred events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from temporalio import workflow

from models.events import EventKind, ProgressEvent
from models.grammar import levels
from models.plan import Plan
from models.summaries import one_line, status_cell, step_row, table

StepState = Literal["scheduled", "running", "done", "failed", "skipped"]
WAITING = status_cell("waiting")
MAX_NOTES = 10
"""Notes shown (the latest); older ones are counted."""


class LiveDetails:
    """The current details of one QueryWorkflow, refreshed as its events come in."""

    def __init__(
        self,
        question: str,
        show: Callable[[str], None] = workflow.set_current_details,
        *,
        defer: Callable[[Callable[[], None]], Any] | None = None,
    ) -> None:
        self.question = question
        self._show = show
        """Where the details go: the workflow's current details (a list's append in tests)."""
        self._defer = defer
        """Schedules a render after the current batch of work (the workflow event loop's
        ``call_soon``); None: every refresh renders at once."""
        self._pending = False
        self.phase = "starting"
        self.rows: dict[str, str] = {}
        """The table row (without status) of every step of every plan adopted so far, in order
        of first appearance; rows and status cells are written once, as they change (the
        details are shown again after every event)."""
        self.tools: dict[str, str] = {}
        self.state: dict[str, StepState] = {}
        self.cells: dict[str, str] = {}
        self.level: dict[str, int] = {}
        self.levels = 0
        """Levels of the plan running now."""
        self.notes: list[str] = []
        self.closing = ""

    def enter(self, phase: str) -> None:
        """The query moved on to ``phase`` (resolving documents, planning, running, ...)."""
        self.phase = phase
        self.refresh()

    def show_plan(self, plan: Plan) -> None:
        """A plan the query runs (the first, a replan's, the direct path's): its steps join
        the table."""
        for step in plan.steps:
            self.rows[step.id] = step_row(step)
            self.tools[step.id] = step.tool
        self.levels = len(levels(plan.steps))
        self.refresh()

    def apply(self, event: ProgressEvent) -> None:
        """Fold one event of the log into the details, and show them."""
        step_id, data = event.step_id, event.data
        kind = event.kind
        if kind is EventKind.STEP_SCHEDULED and step_id:
            self._mark(step_id, "scheduled", "scheduled")
            if data.level is not None:
                self.level[step_id] = data.level
        elif kind is EventKind.STEP_STARTED and step_id:
            self._mark(step_id, "running", "running" + self._via(step_id, event.tool))
        elif kind is EventKind.STEP_FELL_BACK and step_id:
            self._mark(step_id, "running", f"falling back to {event.tool}")
        elif kind is EventKind.STEP_COMPLETED and step_id:
            confidence = f" ({data.confidence:.2f})" if data.confidence is not None else ""
            self._mark(step_id, "done", f"done{confidence}{self._via(step_id, event.tool)}")
        elif kind is EventKind.STEP_FAILED and step_id:
            self._mark(step_id, "failed", f"failed: {data.error_type or event.message}")
        elif kind is EventKind.STEP_SKIPPED and step_id:
            self._mark(step_id, "skipped", f"skipped: {event.message}")
        elif kind is EventKind.REPLAN_STARTED:
            self._note(f"replan {data.attempt} started: {event.message}")
        elif kind is EventKind.REPLAN_FINISHED:
            outcome = f"{len(data.steps or [])} steps" if data.ok else event.message
            self._note(f"replan {data.attempt} finished: {outcome}")
        elif kind is EventKind.DEGRADED and data.llm_budget_exhausted:
            self._note(f"LLM budget: {event.message}")
        elif kind is EventKind.DEGRADED:
            self._note(f"direct path (orchestrator 1.0): {event.message}")
        elif kind is EventKind.ERROR:
            where = f"document {data.source}: " if data.source else ""
            self._note(f"error: {where}{event.message}")
        elif kind is EventKind.FINAL_ANSWER:
            score = data.confidence
            tail = f", confidence {score:.2f}" if score is not None else ""
            self.closing = event.message + tail
        self.refresh()

    def _via(self, step_id: str, tool: str | None) -> str:
        planned = self.tools.get(step_id)
        return f" via {tool}" if planned and tool and tool != planned else ""

    def _mark(self, step_id: str, state: StepState, label: str) -> None:
        self.state[step_id] = state
        self.cells[step_id] = status_cell(label)

    def _note(self, text: str) -> None:
        self.notes.append(one_line(text))

    def refresh(self) -> None:
        """Show the details in the Temporal UI (no history event): at once, or once the
        current batch of work is done when renders are deferred."""
        if self._defer is None:
            self._show(self.render())
        elif not self._pending:
            self._pending = True
            self._defer(self._flush)

    def _flush(self) -> None:
        self._pending = False
        self._show(self.render())

    def render(self) -> str:
        """The details as markdown."""
        counts = {
            s: sum(1 for v in self.state.values() if v == s)
            for s in ("done", "running", "failed", "skipped")
        }
        head = [f"**{self.closing or self.phase}**"]
        active = [self.level[s] for s, v in self.state.items() if v in ("scheduled", "running")]
        if active:
            head.append(f"level {min(active)} of {self.levels}")
        if self.rows:
            head += [f"{n} {state}" for state, n in counts.items()]
        lines = [" · ".join(head), "", f"**Question**: {one_line(self.question, 1000)}"]
        if self.rows:
            rows = (row + self.cells.get(step_id, WAITING) for step_id, row in self.rows.items())
            lines += ["", table(rows, len(self.rows), with_status=True)]
        if self.notes:
            older = len(self.notes) - MAX_NOTES
            lines += ["", *(f"- {n}" for n in self.notes[-MAX_NOTES:])]
            if older > 0:
                lines.append(f"- … {older} earlier notes")
        return "\n".join(lines)
