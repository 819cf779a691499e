"""Replanning: a plan for the remaining work after a step failed for good.

The failed step is replaced by a retrieval path that avoids the failed tools (search its
documents, answer from what is found); the remaining steps are kept with their references to
the failed step rewritten to the replacement. Completed steps are not planned again: their
outputs stay in the parent workflow and the new steps may refer to them.
"""

from __future__ import annotations

from typing import Any

from activities.errors import InvalidPlan
from models.plan import REFERENCE_PREFIX, Plan, ReplanContext, Step
from workflows.dag import parse_reference

_DOCUMENT_PARAMS = ("documents", "document", "document_a", "document_b")


def _documents_of(step: Step) -> list[Any]:
    found: list[Any] = []
    for name in _DOCUMENT_PARAMS:
        value = step.params.get(name)
        if isinstance(value, list):
            found.extend(value)
        elif value is not None:
            found.append(value)
    return found or ["$input.documents"]


def _rewrite(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str) and value.startswith(REFERENCE_PREFIX):
        head, path = parse_reference(value)
        if head != old:
            return value
        if path and path[0] == "passages":
            return f"${new}.passages"
        return f"${new}"
    if isinstance(value, dict):
        return {k: _rewrite(v, old, new) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rewrite(v, old, new) for v in value]
    return value


def replan(context: ReplanContext, available_tools: frozenset[str]) -> Plan:
    """The remaining work of ``context.previous_plan`` with the failed step replaced."""
    previous = context.previous_plan
    failed = previous.step(context.failed_step)
    usable = available_tools - set(context.failed_tools)
    if not {"search_documents", "answer_question"} <= usable:
        raise InvalidPlan(
            f"replan {context.attempt}: no replacement for {failed.id!r}: "
            f"search_documents and answer_question are unavailable ({', '.join(context.failed_tools)} failed)"
        )
    suffix = f"r{context.attempt}"
    search_id = f"{failed.id}_{suffix}_search"
    answer_id = f"{failed.id}_{suffix}"
    question = previous.query
    focus = failed.params.get("focus") or failed.params.get("query") or failed.params.get("question")
    if isinstance(focus, str) and not focus.startswith(REFERENCE_PREFIX):
        question = focus
    documents = _documents_of(failed)
    replacement = (
        Step(
            id=search_id,
            tool="search_documents",
            params={"query": question, "documents": documents, "top_k": 5, "broaden": 2},
            description=f"Replan {context.attempt}: retrieve what {failed.tool} would have covered",
        ),
        Step(
            id=answer_id,
            tool="answer_question",
            params={"question": question, "passages": f"${search_id}.passages"},
            description=f"Replan {context.attempt}: answer in place of {failed.id}",
        ),
    )
    remaining = [
        s for s in previous.steps if s.id not in context.completed and s.id != failed.id
    ]
    rewritten = [
        s.model_copy(
            update={
                "params": _rewrite(s.params, failed.id, answer_id),
                "depends_on": tuple(answer_id if d == failed.id else d for d in s.depends_on),
                "for_each": _rewrite(s.for_each, failed.id, answer_id) if s.for_each else None,
            }
        )
        for s in remaining
    ]
    answer_step = answer_id if previous.answer_step == failed.id else previous.answer_step
    return Plan(
        query=previous.query,
        query_type=previous.query_type,
        strategy=previous.strategy,
        steps=(*replacement, *rewritten),
        answer_step=answer_step,
        reasoning=(
            f"Replan {context.attempt}: {failed.id} ({failed.tool}) failed: {context.error}. "
            f"Replaced by a search + answer over its documents; {len(rewritten)} remaining step(s) kept."
        ),
        source="replan",
    )
