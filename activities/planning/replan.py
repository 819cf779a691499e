"""Replanning: a plan for the remaining work after steps failed for good.

Each failed step is either tried again (when its tool is not among the tools to avoid: it only
failed with errors a retry may fix, in this round) or replaced by a retrieval path that avoids
those tools (search its documents, answer from what is found). The remaining steps are kept with
their references to a failed step rewritten to what took its place. Completed steps are not
planned again: their outputs stay in the parent workflow and the new steps may refer to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activities.errors import InvalidPlan
from models.grammar import LOCAL_NAMES, REFERENCE_PREFIX, is_reference, parse_reference
from models.names import ALL_DOCUMENTS
from models.plan import Plan, ReplanContext, Step

_DOCUMENT_PARAMS = ("documents", "document", "document_a", "document_b")
# fields of answer_question's result, and of search_documents' (the two replacement steps)
_ANSWER_FIELDS = frozenset({"answer", "citations", "confidence", "passages"})
_SEARCH_FIELDS = frozenset({"count", "documents_covered"})
_REPLACEMENT_TOOLS = frozenset({"search_documents", "answer_question"})


@dataclass(frozen=True)
class _Taken:
    """What takes a failed step's place: the step that stands for its output and, for a
    search + answer replacement, the search step."""

    steps: tuple[Step, ...]
    output: str
    search: str | None = None

    def reference(self, path: list[str]) -> str:
        """Where a reference to the failed step's output (with ``path``) now points."""
        if self.search is None:  # the same tool again: the same fields
            return REFERENCE_PREFIX + ".".join([self.output, *path])
        if path and path[0] in _ANSWER_FIELDS:
            return REFERENCE_PREFIX + ".".join([self.output, *path])
        if path and path[0] in _SEARCH_FIELDS:
            return REFERENCE_PREFIX + ".".join([self.search, *path])
        return f"{REFERENCE_PREFIX}{self.output}"


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
    local = any(is_reference(v) and parse_reference(v)[0] in LOCAL_NAMES for v in found)
    return [ALL_DOCUMENTS] if local or not found else found


def _again(failed: Step, attempt: int, error: str) -> _Taken:
    step = failed.model_copy(
        update={
            "id": f"{failed.id}_r{attempt}",
            "description": f"Replan {attempt}: {failed.tool} again ({failed.id} failed: {error})",
        }
    )
    return _Taken(steps=(step,), output=step.id)


def _search_and_answer(failed: Step, question: str, attempt: int) -> _Taken:
    search_id = f"{failed.id}_r{attempt}_search"
    answer_id = f"{failed.id}_r{attempt}"
    focus = (
        failed.params.get("focus") or failed.params.get("query") or failed.params.get("question")
    )
    if isinstance(focus, str) and not focus.startswith(REFERENCE_PREFIX):
        question = focus
    search = Step(
        id=search_id,
        tool="search_documents",
        params={"query": question, "documents": _documents_of(failed), "top_k": 5, "broaden": 2},
        description=f"Replan {attempt}: retrieve what {failed.tool} would have covered",
    )
    answer = Step(
        id=answer_id,
        tool="answer_question",
        params={"question": question, "passages": f"${search_id}.passages"},
        description=f"Replan {attempt}: answer in place of {failed.id}",
    )
    return _Taken(steps=(search, answer), output=answer_id, search=search_id)


def _rewrite(value: Any, taken: dict[str, _Taken]) -> Any:
    """``value`` with references to a failed step pointing at what took its place."""
    if is_reference(value):
        head, path = parse_reference(value)
        return taken[head].reference(path) if head in taken else value
    if isinstance(value, dict):
        return {k: _rewrite(v, taken) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rewrite(v, taken) for v in value]
    return value


def _kept(step: Step, taken: dict[str, _Taken]) -> Step:
    """A remaining step with its references to failed steps rewritten."""
    update: dict[str, Any] = {
        "params": _rewrite(step.params, taken),
        "depends_on": tuple(taken[d].output if d in taken else d for d in step.depends_on),
    }
    if step.for_each:
        update["for_each"] = _rewrite(step.for_each, taken)
    if step.condition is not None:
        update["condition"] = step.condition.model_copy(
            update={"ref": _rewrite(step.condition.ref, taken)}
        )
    return step.model_copy(update=update)


def replan(context: ReplanContext, available_tools: frozenset[str]) -> Plan:
    """The remaining work of ``context.previous_plan`` with every failed step tried again or
    replaced. Raises InvalidPlan when a step needs replacing and search or answer is to be
    avoided."""
    previous = context.previous_plan
    errors = {context.failed_step: context.error, **context.also_failed}
    failed = [previous.step(s) for s in errors]
    usable = available_tools - set(context.failed_tools)
    replace = [s for s in failed if s.tool not in usable]
    if replace and not _REPLACEMENT_TOOLS.issubset(usable):
        names = ", ".join(repr(s.id) for s in replace)
        raise InvalidPlan(
            f"replan {context.attempt}: no replacement for {names}: search_documents and "
            f"answer_question are unavailable ({', '.join(context.failed_tools)} failed)"
        )
    taken = {
        s.id: _search_and_answer(s, previous.query, context.attempt)
        if s in replace
        else _again(s, context.attempt, errors[s.id])
        for s in failed
    }
    remaining = [
        _kept(s, taken)
        for s in previous.steps
        if s.id not in context.completed and s.id not in taken
    ]
    answer_step = taken[previous.answer_step].output if previous.answer_step in taken else None
    retried = [s.id for s in failed if s not in replace]
    actions = [f"{', '.join(retried)} tried again"] if retried else []
    if replace:
        actions.append(f"{', '.join(s.id for s in replace)} replaced by a search + answer")
    return Plan(
        query=previous.query,
        query_type=previous.query_type,
        strategy=previous.strategy,
        steps=(*(step for t in taken.values() for step in t.steps), *remaining),
        answer_step=answer_step or previous.answer_step,
        reasoning=(
            f"Replan {context.attempt}: {', '.join(f'{s.id} ({s.tool})' for s in failed)} "
            f"failed: {context.error}. {'; '.join(actions)}; "
            f"{len(remaining)} remaining step(s) kept."
        ),
        source="replan",
    )
