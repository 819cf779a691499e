"""What the Temporal UI shows of a query, written here and nowhere else: one-line summaries of the
workflow, its activities and its replan children, and markdown details (the plan as a table).

Summaries are single lines of at most ``SUMMARY_CHARS`` characters; details are short markdown.
Both travel as user metadata on Temporal commands and start requests: written once, never part
of a workflow's decisions. Pure text functions, so the client (at start) and the workflows (as
they run) write the same words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from typing import Any

from models.grammar import dependencies
from models.names import ActivityId
from models.plan import Plan, PlanRequest, ReplanContext, Step
from models.query import QueryRequest

SUMMARY_CHARS = 200
"""Longest one-line summary (the Temporal UI shows about this much in its summary column)."""
VALUE_CHARS = 40
"""Longest text parameter value quoted in an activity's summary."""
TABLE_ROWS = 40
"""Plan steps listed in a details table; the rest are counted."""
LISTED_DOCUMENTS = 10
"""Documents named in a query's static details; the rest are counted."""
ELLIPSIS = "…"


def one_line(text: str, limit: int = SUMMARY_CHARS) -> str:
    """``text`` on one line (runs of whitespace become one space), cut to ``limit`` characters
    with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + ELLIPSIS


def _cell(text: str) -> str:
    """Text for a markdown table cell: one line, pipes escaped."""
    return one_line(text, 120).replace("|", "\\|")


# ---- one-line summaries -----------------------------------------------------------------


def query_summary(question: str) -> str:
    """The static summary of a query's workflow: its question."""
    return one_line(question)


def _value(value: Any) -> str | None:
    """A parameter value as a summary shows it; None leaves it out (nested objects)."""
    if isinstance(value, (bool, int)):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return repr(one_line(value, VALUE_CHARS))
    if isinstance(value, list):
        return f"[{len(value)}]"
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return one_line(value["name"], VALUE_CHARS)  # a document reference: its name
    return None


def key_parameters(params: Mapping[str, Any]) -> str:
    """``name=value`` for a call's parameters: numbers and flags as they are, text quoted and
    cut, lists as their length (``[3]``), a document by its name; other objects left out."""
    shown = ((name, _value(value)) for name, value in params.items() if value is not None)
    return ", ".join(f"{name}={text}" for name, text in shown if text is not None)


def activity_summary(step: Step, tool: str, params: Mapping[str, Any], call: ActivityId) -> str:
    """The summary of one call of ``step`` with ``tool``: its description (or, without one, the
    tool's name), which call it is (a loop's run, a for_each item, a fallback), and its key
    parameters."""
    head = step.description or step.tool
    tags = []
    if call.iteration is not None:
        tags.append(f"run {call.iteration}")
    if call.item is not None:
        tags.append(f"item {call.item}")
    if call.fallback is not None:
        tags.append(f"fallback: {tool} instead of {step.tool}")
    if tags:
        head += f" ({'; '.join(tags)})"
    parameters = key_parameters(params)
    return one_line(f"{head} · {parameters}" if parameters else head)


def resolve_summary(count: int, batch: int, batches: int) -> str:
    """The summary of a resolve_documents activity: how many documents, which batch."""
    noun = "document" if count == 1 else "documents"
    tail = f" (batch {batch + 1} of {batches})" if batches > 1 else ""
    return f"resolve {count} {noun}{tail}"


def resolve_and_plan_summary(request: QueryRequest) -> str:
    """The summary of a resolve_and_plan call: how many documents it resolves, then what it
    plans."""
    count = len(request.documents)
    noun = "document" if count == 1 else "documents"
    if request.plan is not None:
        plan = request.plan
        then = f"check the given {plan.query_type.value} plan ({len(plan.steps)} steps)"
    else:
        follow_up = ", a follow-up" if request.history else ""
        then = f"plan ({request.config.strategy.value} strategy{follow_up})"
    return one_line(f"resolve {count} {noun}, then {then}")


def plan_summary(request: PlanRequest, why: str | None = None) -> str:
    """The summary of a planning activity: a given plan checked, the direct path and ``why``
    it was taken, a replan and what failed, or planning with the strategy and documents."""
    documents = f"{len(request.documents)} document{'s' if len(request.documents) != 1 else ''}"
    if request.given_plan is not None:
        plan = request.given_plan
        return one_line(
            f"plan: check the given {plan.query_type.value} plan ({len(plan.steps)} steps)"
        )
    if request.direct:
        return one_line(f"plan: the direct path (search + answer), because {why or 'asked'}")
    if request.replan is not None:
        return replan_summary(request.replan)
    follow_up = ", a follow-up" if request.history else ""
    return one_line(f"plan: {request.config.strategy.value} strategy over {documents}{follow_up}")


def replan_summary(context: ReplanContext) -> str:
    """Why the ``context.attempt``-th replan started: the step that failed and its error."""
    also = f" (and {len(context.also_failed)} more)" if context.also_failed else ""
    failed = f"{context.failed_step}{also} failed: {context.error}"
    return one_line(f"replan {context.attempt}: {failed}")


# ---- markdown details -------------------------------------------------------------------


def table_head(*, with_status: bool) -> str:
    """The header and rule of a plan table (``plan_table``)."""
    if with_status:
        return "| step | tool | depends on | status |\n|---|---|---|---|"
    return "| step | tool | depends on |\n|---|---|---|"


def step_row(step: Step) -> str:
    """A step's row of a plan table, without the status cell: step, tool, depends on."""
    needs = ", ".join(sorted(dependencies(step) - {"input"})) or "—"
    return f"| {_cell(step.id)} | {_cell(step.tool)} | {_cell(needs)} |"


def status_cell(status: str) -> str:
    """The status cell that ends a step's row in a plan table with statuses."""
    return f" {_cell(status)} |"


def table(rows: Iterable[str], count: int, *, with_status: bool) -> str:
    """A plan table of ``count`` steps from their rows (``step_row``, with a ``status_cell``
    when ``with_status``): the header, at most ``TABLE_ROWS`` rows (the rest are not read), and
    how many more there are."""
    lines = [table_head(with_status=with_status), *islice(rows, TABLE_ROWS)]
    if count > TABLE_ROWS:
        lines.append(f"\n… and {count - TABLE_ROWS} more steps")
    return "\n".join(lines)


def plan_table(steps: Sequence[Step], status: Mapping[str, str] | None = None) -> str:
    """A plan's steps as a markdown table: step, tool, depends on (and, with ``status``, each
    step's status; ``waiting`` when it has none), at most ``TABLE_ROWS`` rows."""
    if status is None:
        return table(map(step_row, steps), len(steps), with_status=False)
    rows = (step_row(s) + status_cell(status.get(s.id, "waiting")) for s in steps)
    return table(rows, len(steps), with_status=True)


def start_details(question: str, documents: Sequence[str], plan: Plan | None = None) -> str:
    """The static details of a query's workflow: the question, its documents and, when the
    caller gave the plan, the plan's table."""
    shown = [f"- {_cell(d)}" for d in documents[:LISTED_DOCUMENTS]]
    if len(documents) > LISTED_DOCUMENTS:
        shown.append(f"- … and {len(documents) - LISTED_DOCUMENTS} more")
    parts = [f"**Question**: {one_line(question, 1000)}", "**Documents**:", *shown]
    if plan is not None:
        parts += ["", f"**Plan** (given, {plan.query_type.value}):", "", plan_table(plan.steps)]
    return "\n".join(parts)


def replan_details(context: ReplanContext) -> str:
    """The static details of a replan child: what failed, which tools to avoid, what is kept."""
    failed = {context.failed_step: context.error, **context.also_failed}
    lines = ["**Failed steps**:", *(f"- {_cell(s)}: {_cell(e)}" for s, e in failed.items())]
    if context.failed_tools:
        lines.append(f"**Tools avoided**: {', '.join(context.failed_tools)}")
    if context.completed:
        lines.append(f"**Kept** (completed): {', '.join(sorted(context.completed))}")
    return "\n".join(lines)
