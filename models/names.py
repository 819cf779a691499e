"""Names and ids that cross Temporal, written and parsed here and nowhere else.

Types: the workflows and the activities that are not tools (a tool's activity type is its name).

Activity ids (decision 2: the activity id is the step id, so the Temporal UI reads like the plan):

==================  ==========================================================================
``step``            the step's call
``step#n``          its n-th run of a repeat_until loop (n >= 2)
``step[i]``         its i-th for_each item (0-based)
``<any of those>~tool``  a fallback to ``tool`` after the call before it failed for good
==================  ==========================================================================

and the ids of the planning activities: ``resolve_<n>`` (document batches), ``plan`` (the
planning activity, or resolve_and_plan when one activity resolves and plans),
``plan_direct`` and, in a ReplanWorkflow, ``replan_<n>``; the n-th replan child of a query is
the workflow ``<query id>-replan-<n>``. Step ids are letters, digits, ``_`` and ``-``, so every
id parses back to exactly what wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLAN_ACTIVITY = "plan_query"
RESOLVE_ACTIVITY = "resolve_documents"
RESOLVE_AND_PLAN_ACTIVITY = "resolve_and_plan"
"""Resolving and planning in one activity (id ``plan``) when the documents fit one batch."""
QUERY_WORKFLOW = "QueryWorkflow"
REPLAN_WORKFLOW = "ReplanWorkflow"
SESSION_WORKFLOW = "SessionWorkflow"
INGEST_WORKFLOW = "IngestWorkflow"
PLAN_PREVIEW_WORKFLOW = "PlanPreviewWorkflow"
TOOL_CATALOG_WORKFLOW = "ToolCatalogWorkflow"
DESCRIBE_TOOLS_ACTIVITY = "describe_tools"
"""What the workers' registry holds (``ToolCatalogWorkflow`` runs it on their task queue)."""
WORKER_ACTIVITIES = frozenset(
    {PLAN_ACTIVITY, RESOLVE_ACTIVITY, RESOLVE_AND_PLAN_ACTIVITY, DESCRIBE_TOOLS_ACTIVITY}
)
"""The activities every worker runs besides its tools: no tool may take one of their names."""
DIRECT_PREFIX = "direct"
"""Prefix of the direct path's step ids (``direct_search``, ``direct_answer``)."""
SEARCH_TOOL = "search_documents"
ANSWER_TOOL = "answer_question"
"""The two tools of the direct path (search every document, answer from what is found)."""
ALL_DOCUMENTS = "$input.documents"
"""The reference to every document of the query's input."""

PLAN_ID = "plan"
DIRECT_PLAN_ID = "plan_direct"
STEP_ID = re.compile(r"[A-Za-z0-9_-]+")
"""What a step id may be made of: it is an activity id and the head of references."""

_ACTIVITY_ID = re.compile(
    r"(?P<step>[A-Za-z0-9_-]+)(?:#(?P<iteration>\d+))?(?:\[(?P<item>\d+)\])?(?:~(?P<tool>.+))?"
)
_REPLAN_CHILD = "-replan-"


@dataclass(frozen=True)
class ActivityId:
    """One call of one step: which repetition or for_each item, and which fallback tool."""

    step: str
    iteration: int | None = None
    """The repetition (2, 3, ...) of a repeat_until step; None for its first run."""
    item: int | None = None
    """The for_each item (0-based); None outside for_each."""
    fallback: str | None = None
    """The tool this call falls back to; None for the step's own tool."""

    def __str__(self) -> str:
        text = self.step
        if self.iteration is not None:
            text += f"#{self.iteration}"
        if self.item is not None:
            text += f"[{self.item}]"
        if self.fallback is not None:
            text += f"~{self.fallback}"
        return text

    def falling_back_to(self, tool: str) -> ActivityId:
        """The id of the same call made with ``tool`` instead."""
        return ActivityId(self.step, self.iteration, self.item, tool)

    @classmethod
    def parse(cls, text: str) -> ActivityId | None:
        """The id's parts, or None when ``text`` is not a step's activity id."""
        match = _ACTIVITY_ID.fullmatch(text)
        if match is None:
            return None
        iteration, item = match["iteration"], match["item"]
        return cls(
            step=match["step"],
            iteration=int(iteration) if iteration is not None else None,
            item=int(item) if item is not None else None,
            fallback=match["tool"],
        )


def repetition_id(step_id: str, iteration: int) -> ActivityId:
    """The activity id of a repeat_until step's run ``iteration`` (0-based): the first run is
    the bare step id, later ones ``step#2``, ``step#3``, ..."""
    return ActivityId(step_id, iteration + 1 if iteration else None)


def resolve_id(batch: int) -> str:
    """The resolve_documents activity of document batch ``batch`` (0-based)."""
    return f"resolve_{batch + 1}"


def replan_activity_id(attempt: int) -> str:
    """The planning activity inside the ``attempt``-th ReplanWorkflow."""
    return f"replan_{attempt}"


def replan_workflow_id(query_id: str, attempt: int) -> str:
    """The ``attempt``-th replan child of the query ``query_id``."""
    return f"{query_id}{_REPLAN_CHILD}{attempt}"


def replan_attempt(workflow_id: str) -> int | None:
    """The attempt number of a replan child's workflow id, or None for any other id."""
    head, sep, tail = workflow_id.rpartition(_REPLAN_CHILD)
    return int(tail) if sep and head and tail.isdigit() else None
