"""Replanning: a plan for the remaining work after steps failed for good.

Each failed step is replaced by a retrieval path that avoids the failed tools (search its
documents, answer from what is found); the remaining steps are kept with their references to a
failed step rewritten to its replacement. Completed steps are not planned again: their outputs
stay in the parent workflow and the new steps may refer to them.
"""

from __future__ import annotations

from typing import Any

from activities.errors import InvalidPlan
from models.plan import REFERENCE_PREFIX, Plan, ReplanContext, Step
from workflows.dag import LOCAL_NAMES, parse_reference

_DOCUMENT_PARAMS = ("documents", "document", "document_a", "document_b")
_ALL_DOCUMENTS = "$input.documents"
# fields of answer_question's result, and of search_documents' (the two replacement steps)
_ANSWER_FIELDS = frozenset({"answer", "citations", "confidence", "passages"})
_SEARCH_FIELDS = frozenset({"count", "documents_covered"})

Replacements = dict[str, tuple[str, str]]
"""Failed step id -> (its replacement search step, its replacement answer step)."""


def _documents_of(step: Step) -> list[Any]:
    """The documents ``step`` worked on, as references that resolve outside it: names bound
    only inside the step (``$item`` of a for_each) become all documents."""
    found: list[Any] = []
    for name in _DOCUMENT_PARAMS:
        value = step.params.get(name)
        if isinstance(value, list):
            found.extend(value)
        elif value is not None:
            found.append(value)
    local = any(
        isinstance(v, str)
        and v.startswith(REFERENCE_PREFIX)
        and parse_reference(v)[0] in LOCAL_NAMES
        for v in found
    )
    return [_ALL_DOCUMENTS] if local or not found else found


def _rewrite(value: Any, replaced: Replacements) -> Any:
    """``value`` with references to a replaced step pointing at its replacement: answer fields
    (and the whole output) at the answer step, search counts at the search step."""
    if isinstance(value, str) and value.startswith(REFERENCE_PREFIX):
        head, path = parse_reference(value)
        if head not in replaced:
            return value
        search_id, answer_id = replaced[head]
        if path and path[0] in _ANSWER_FIELDS:
            return REFERENCE_PREFIX + ".".join([answer_id, *path])
        if path and path[0] in _SEARCH_FIELDS:
            return REFERENCE_PREFIX + ".".join([search_id, *path])
        return f"{REFERENCE_PREFIX}{answer_id}"
    if isinstance(value, dict):
        return {k: _rewrite(v, replaced) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rewrite(v, replaced) for v in value]
    return value


def _replacement(failed: Step, question: str, attempt: int) -> tuple[Step, Step]:
    search_id = f"{failed.id}_r{attempt}_search"
    focus = (
        failed.params.get("focus") or failed.params.get("query") or failed.params.get("question")
    )
    if isinstance(focus, str) and not focus.startswith(REFERENCE_PREFIX):
        question = focus
    return (
        Step(
            id=search_id,
            tool="search_documents",
            params={
                "query": question,
                "documents": _documents_of(failed),
                "top_k": 5,
                "broaden": 2,
            },
            description=f"Replan {attempt}: retrieve what {failed.tool} would have covered",
        ),
        Step(
            id=f"{failed.id}_r{attempt}",
            tool="answer_question",
            params={"question": question, "passages": f"${search_id}.passages"},
            description=f"Replan {attempt}: answer in place of {failed.id}",
        ),
    )


def _kept(step: Step, replaced: Replacements) -> Step:
    """A remaining step with its references to replaced steps rewritten."""
    update: dict[str, Any] = {
        "params": _rewrite(step.params, replaced),
        "depends_on": tuple(replaced[d][1] if d in replaced else d for d in step.depends_on),
    }
    if step.for_each:
        update["for_each"] = _rewrite(step.for_each, replaced)
    if step.condition is not None:
        update["condition"] = step.condition.model_copy(
            update={"ref": _rewrite(step.condition.ref, replaced)}
        )
    return step.model_copy(update=update)


def replan(context: ReplanContext, available_tools: frozenset[str]) -> Plan:
    """The remaining work of ``context.previous_plan`` with every failed step replaced."""
    previous = context.previous_plan
    failed = [previous.step(context.failed_step)]
    failed += [previous.step(s) for s in context.also_failed if s != context.failed_step]
    usable = available_tools - set(context.failed_tools)
    if not {"search_documents", "answer_question"} <= usable:
        names = ", ".join(repr(s.id) for s in failed)
        raise InvalidPlan(
            f"replan {context.attempt}: no replacement for {names}: search_documents and "
            f"answer_question are unavailable ({', '.join(context.failed_tools)} failed)"
        )
    replacements = [_replacement(s, previous.query, context.attempt) for s in failed]
    replaced: Replacements = {
        s.id: (r[0].id, r[1].id) for s, r in zip(failed, replacements, strict=True)
    }
    remaining = [
        _kept(s, replaced)
        for s in previous.steps
        if s.id not in context.completed and s.id not in replaced
    ]
    answer_step = replaced.get(previous.answer_step, ("", previous.answer_step))[1]
    names = ", ".join(f"{s.id} ({s.tool})" for s in failed)
    return Plan(
        query=previous.query,
        query_type=previous.query_type,
        strategy=previous.strategy,
        steps=(*(step for pair in replacements for step in pair), *remaining),
        answer_step=answer_step,
        reasoning=(
            f"Replan {context.attempt}: {names} failed: {context.error}. Replaced by a search + "
            f"answer over its documents; {len(remaining)} remaining step(s) kept."
        ),
        source="replan",
    )
