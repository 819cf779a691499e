"""Result assembly: the answer from the answer step's output, the partial answer when time runs
out or the query is cancelled, and the execution summary. Pure: no activities, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import JsonValue

from models.config import QueryType
from models.documents import Citation
from models.grammar import transitive_dependencies
from models.plan import Plan, Step
from models.query import (
    ORCHESTRATOR_VERSION,
    ExecutionSummary,
    QueryResult,
    QueryStatus,
    StepResult,
    StepStatus,
)
from models.tools import AnswerOutput
from workflows.confidence import answer_confidence
from workflows.executor import PlanExecutor

MAX_PARTIAL_PARTS = 5
PARTIAL_CONFIDENCE_CAP = 0.5
"""A partial answer is never reported as more than this sure."""


def failed_steps_the_answer_needs(plan: Plan, results: Mapping[str, StepResult]) -> list[Step]:
    """Failed, non-optional steps that the answer step depends on (or is)."""
    needed = transitive_dependencies(plan.steps, plan.answer_step) | {plan.answer_step}
    return [
        s
        for s in plan.steps
        if s.id in needed
        and not s.optional
        and s.id in results
        and results[s.id].status is StepStatus.FAILED
    ]


def dependency_confidences(plan: Plan, results: Mapping[str, StepResult]) -> list[float]:
    """Confidences of the completed steps the answer step (transitively) depends on."""
    deps = transitive_dependencies(plan.steps, plan.answer_step)
    return [
        results[d].confidence
        for d in deps
        if d in results and results[d].status is StepStatus.COMPLETED
    ]


def answer_result(
    plan: Plan,
    outputs: Mapping[str, JsonValue],
    results: Mapping[str, StepResult],
    *,
    query_type: QueryType,
    documents_covered: int,
    documents_requested: int,
    replans: int,
    degraded: bool = False,
) -> QueryResult | None:
    """The answer ``plan`` produced, with its confidence; None when its answer step has no
    output that answers."""
    answered = AnswerOutput.of(outputs.get(plan.answer_step))
    if answered is None or answered.answer is None:
        return None
    confidence = answer_confidence(
        results[plan.answer_step].confidence,
        dependency_confidences(plan, results),
        documents_covered=documents_covered,
        documents_requested=documents_requested,
        replans=replans,
        degraded=degraded,
    )
    return QueryResult(
        answer=answered.answer,
        citations=answered.citations,
        confidence_score=confidence,
        query_type=query_type,
        orchestrator_version=ORCHESTRATOR_VERSION,
    )


def partial_answer(
    outputs: Mapping[str, JsonValue], order: Sequence[str]
) -> tuple[str, list[Citation]]:
    """What the finished steps already say, in ``order``: their answers, else their best
    passages, quoted."""
    texts: list[str] = []
    citations: list[Citation] = []
    for step_id in order:
        part = AnswerOutput.of(outputs.get(step_id))
        if part is None:
            continue
        if part.answer:
            texts.append(part.answer)
            citations += part.citations
        elif part.passages:
            best = part.passages[0]
            texts.append(f"\u201c{best.text[:300]}\u201d ({best.document_name})")
        if len(texts) >= MAX_PARTIAL_PARTS:
            break
    if not texts:
        return "No step finished before the query stopped, so there is no answer yet.", []
    return "Partial answer (not every step finished):\n\n" + "\n\n".join(texts), citations


def partial_result(
    plan: Plan | None,
    outputs: Mapping[str, JsonValue],
    results: Sequence[StepResult],
    status: QueryStatus,
) -> QueryResult:
    """The answer of a query stopped early: the latest plan's steps first (last step first),
    then earlier ones; at most half as sure as its completed steps were."""
    latest = [s.id for s in reversed(plan.steps)] if plan else []
    earlier = [r.step_id for r in reversed(results) if r.step_id not in latest]
    text, citations = partial_answer(outputs, latest + earlier)
    completed = [r.confidence for r in results if r.status is StepStatus.COMPLETED]
    mean = sum(completed) / len(completed) if completed else 0.0
    return QueryResult(
        answer=text,
        citations=citations,
        confidence_score=round(min(PARTIAL_CONFIDENCE_CAP, mean * PARTIAL_CONFIDENCE_CAP), 4),
        query_type=plan.query_type if plan else QueryType.QA,
        status=status,
    )


def finish_summary(
    summary: ExecutionSummary, executor: PlanExecutor, plan: Plan | None, status: QueryStatus
) -> ExecutionSummary:
    """``summary`` completed from what the executor recorded. A query stopped early (deadline,
    cancel) lists the steps it never started, and why."""
    stopped = summary.degraded_reason if status is not QueryStatus.COMPLETED else None
    summary.steps = list(executor.results.values())
    summary.levels = executor.levels
    summary.not_run = executor.not_run(plan, stopped)
    summary.retries = sum(max(0, r.attempts - 1) for r in summary.steps if r.fell_back_from is None)
    summary.fallbacks = sum(1 for r in summary.steps if r.fell_back_from)
    summary.max_concurrent_steps = executor.max_in_flight
    summary.llm_usage = executor.llm.total
    return summary
