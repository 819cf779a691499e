"""QueryWorkflow: plan -> run the steps -> answer, degrading instead of crashing.

The mechanics live beside it: ``executor`` (scheduling, retries, fallbacks, loops), ``dag``
(pure graph logic), ``confidence`` (the formulas), ``progress`` (the event log).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    ChildWorkflowError,
    FailureError,
)

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from models.documents import DocumentRef
    from models.events import EventKind, ProgressEvent
    from models.plan import INPUT_NAME, Plan, PlanRequest, PlanResponse, ReplanContext, Step
    from models.query import (
        DEGRADED_ORCHESTRATOR_VERSION,
        ORCHESTRATOR_VERSION,
        ExecutionSummary,
        QueryRequest,
        QueryResult,
        QueryStatus,
        QueryType,
        ResolveReport,
        ResolveRequest,
        StepResult,
        StepStatus,
    )
    from workflows import search_attributes
    from workflows.answer import citations_of, partial_answer
    from workflows.confidence import answer_confidence
    from workflows.executor import (
        PlanExecutor,
        dependency_confidences,
        failed_steps_the_answer_needs,
    )
    from workflows.failures import application_cause, cause_message, reraise_cancellation
    from workflows.names import PLAN_ACTIVITY, QUERY_WORKFLOW, RESOLVE_ACTIVITY
    from workflows.progress import EventLog
    from workflows.replan import ReplanWorkflow

RESOLVE_BATCH = 200
_PLAN_RETRY = RetryPolicy(maximum_attempts=3, non_retryable_error_types=["InvalidPlan"])


@workflow.defn(name=QUERY_WORKFLOW, failure_exception_types=[ValidationError])
class QueryWorkflow:
    """Answers one question over a set of documents. Input QueryRequest, output QueryResult."""

    def __init__(self) -> None:
        self.events = EventLog()
        self.outputs: dict[str, Any] = {}
        self.plan: Plan | None = None
        self.executor: PlanExecutor | None = None
        self.summary = ExecutionSummary()
        self.phase = "starting"

    @workflow.run
    async def run(self, request: QueryRequest) -> QueryResult:
        started = workflow.now()
        self.summary.strategy = request.config.strategy
        self.summary.scheduling = request.config.scheduling
        self.executor = PlanExecutor(
            outputs=self.outputs,
            events=self.events,
            max_parallel=request.config.max_parallel_steps,
            scheduling=request.config.scheduling,
        )
        work = asyncio.create_task(self._answer(request))
        try:
            done, _ = await workflow.wait([work], timeout=request.config.deadline_seconds)
            if done:
                result = work.result()
            else:
                await self._stop(work)
                result = self._partial(request, QueryStatus.PARTIAL, "deadline reached")
        except asyncio.CancelledError:
            await self._stop(work)
            result = self._partial(request, QueryStatus.CANCELLED, "cancelled")
        except FailureError as error:
            cause = application_cause(error)
            self.events.emit(
                EventKind.ERROR,
                cause_message(error),
                error_type=cause.type if cause else type(error).__name__,
            )
            raise
        self.summary.total_ms = (workflow.now() - started).total_seconds() * 1000
        result.execution_summary = self._finish_summary(result.status)
        result.workflow_id = workflow.info().workflow_id
        search_attributes.record(
            query_type=result.query_type.value,
            confidence=result.confidence_score,
            session_id=request.session_id,
        )
        self.phase = "done"
        self.events.emit(
            EventKind.FINAL_ANSWER,
            result.status.value,
            confidence=result.confidence_score,
            orchestrator_version=result.orchestrator_version,
        )
        return result

    # ---- reading it while it runs --------------------------------------------------------

    @workflow.query
    def events_after(self, offset: int) -> list[ProgressEvent]:
        """Events with an offset greater than ``offset`` (-1 for all)."""
        return self.events.after(offset)

    @workflow.update
    async def wait_events(self, offset: int) -> list[ProgressEvent]:
        """Block until an event newer than ``offset`` exists (or the query ends); return them."""
        self.events.waits += 1
        await workflow.wait_condition(lambda: self.events.has_after(offset))
        return self.events.after(offset)

    @wait_events.validator
    def _admit_wait(self, offset: int) -> None:
        self.events.admit_wait()

    @workflow.query
    def state(self) -> dict[str, Any]:
        """Execution-scope state: phase, plan, step results so far (no document text)."""
        return {
            "phase": self.phase,
            "plan": self.plan.model_dump(mode="json") if self.plan else None,
            "steps": [r.model_dump(mode="json") for r in self._results()],
            "events": len(self.events.events),
        }

    # ---- the flow ----------------------------------------------------------------------------

    async def _answer(self, request: QueryRequest) -> QueryResult:
        assert self.executor is not None
        documents = await self._resolve(request)
        self.outputs[INPUT_NAME] = {
            "query": request.query,
            "documents": [d.model_dump(mode="json") for d in documents],
        }
        planned = await self._plan(request, documents)
        answered: Plan | None = None
        if planned is not None:
            self.phase = "running"
            await self.executor.run(planned)
            answered = await self._replan_until_answered(request, planned, documents)
        result = self._result(request, answered) if answered else None
        if result is None or result.confidence_score < request.config.confidence_threshold:
            threshold = request.config.confidence_threshold
            why = (
                "planning failed"
                if planned is None
                else f"no answer after {self.summary.replans} replan(s)"
                if result is None
                else f"confidence {result.confidence_score:.2f} < {threshold}"
            )
            result = await self._degrade(request, documents, result, why)
        return result

    async def _resolve(self, request: QueryRequest) -> list[DocumentRef]:
        """Resolve (and ingest) the named documents in batches; bad ones are reported, not fatal."""
        self.phase = "resolving documents"
        sources = list(request.documents)
        batches = [sources[i : i + RESOLVE_BATCH] for i in range(0, len(sources), RESOLVE_BATCH)]
        reports = await asyncio.gather(
            *(
                workflow.execute_activity(
                    RESOLVE_ACTIVITY,
                    ResolveRequest(sources=batch),
                    result_type=ResolveReport,
                    activity_id=f"resolve_{n + 1}",
                    start_to_close_timeout=timedelta(minutes=10),
                    heartbeat_timeout=timedelta(seconds=30),
                    retry_policy=RetryPolicy(maximum_attempts=3),
                )
                for n, batch in enumerate(batches)
            )
        )
        documents = [d for r in reports for d in r.documents]
        failures = [f for r in reports for f in r.failures]
        self.summary.documents_failed = failures
        self.summary.documents_covered = len(documents)
        for failure in failures:
            self.events.emit(
                EventKind.ERROR,
                failure.message,
                error_type=failure.error_type,
                source=failure.source,
                fatal=False,
            )
        if not documents:
            details = "; ".join(f.message for f in failures)
            raise ApplicationError(
                f"no usable documents: {details}", type="NoUsableDocuments", non_retryable=True
            )
        return documents

    async def _plan(self, request: QueryRequest, documents: list[DocumentRef]) -> Plan | None:
        """The validated plan, or None when planning failed (the caller degrades)."""
        self.phase = "planning"
        started = workflow.now()
        given = Plan.model_validate(request.plan) if request.plan is not None else None
        try:
            response = await _plan_activity(
                PlanRequest(
                    query=request.query,
                    documents=tuple(documents),
                    config=request.config,
                    given_plan=given,
                    history=request.history,
                ),
                activity_id="plan",
                timeout_seconds=120,
            )
        except ActivityError as error:
            reraise_cancellation(error)
            message = cause_message(error)
            if given is not None:
                raise ApplicationError(message, type="InvalidPlan", non_retryable=True) from None
            self.events.emit(EventKind.ERROR, f"planning failed: {message}", fatal=False)
            self.summary.degraded_reason = f"planning failed: {message}"
            return None
        finally:
            self.summary.planning_ms = (workflow.now() - started).total_seconds() * 1000
        self._adopt(response)
        return response.plan

    def _adopt(self, response: PlanResponse) -> None:
        plan = response.plan
        self.plan = plan
        self.summary.plan_source = plan.source
        self.events.emit(
            EventKind.PLAN_CREATED,
            plan.reasoning,
            query_type=plan.query_type.value,
            strategy=plan.strategy.value,
            source=plan.source,
            levels=response.levels,
            steps=[{"id": s.id, "tool": s.tool, "description": s.description} for s in plan.steps],
        )
        if self.executor is not None:
            self.executor.llm.add(response.llm_usage, step_id="plan")

    async def _replan_until_answered(
        self, request: QueryRequest, plan: Plan, documents: list[DocumentRef]
    ) -> Plan | None:
        """Replan (as a child workflow) while steps the answer needs have failed for good; the
        answered plan, or None when replans are exhausted or replanning failed."""
        assert self.executor is not None
        avoid: list[str] = []
        failed_before: set[str] = set()
        while plan.answer_step not in self.outputs:
            failed = failed_steps_the_answer_needs(plan, self.executor.results)
            if not failed or self.summary.replans >= request.config.max_replans:
                return None
            # a tool is avoided once it failed on bad input or failed in two rounds; until then
            # the replan may try it again (it only met errors a retry may fix)
            for step in failed:
                bad_input = step.id in self.executor.not_retryable
                tools = (step.tool, *step.fallback)
                avoid += [t for t in tools if bad_input or t in failed_before]
                failed_before.update(tools)
            self.summary.replans += 1
            context = self._replan_context(plan, failed, avoid)
            replanned = await self._replan(request, documents, context)
            if replanned is None:
                return None
            plan = self.plan = replanned
            await self.executor.run(plan, replan=context.attempt)
        return plan

    def _replan_context(
        self, plan: Plan, failed: list[Step], failed_tools: list[str]
    ) -> ReplanContext:
        assert self.executor is not None
        results = self.executor.results
        first, *others = failed
        return ReplanContext(
            attempt=self.summary.replans,
            failed_step=first.id,
            failed_tools=tuple(dict.fromkeys(failed_tools)),
            error=results[first.id].error or "failed",
            also_failed={s.id: results[s.id].error or "failed" for s in others},
            completed={s: r.tool for s, r in results.items() if s in self.outputs},
            previous_plan=plan,
        )

    async def _replan(
        self, request: QueryRequest, documents: list[DocumentRef], context: ReplanContext
    ) -> Plan | None:
        """One ReplanWorkflow child, id ``<query id>-replan-<n>``: the validated plan for the
        remaining work, or None when it could not make one."""
        attempt = context.attempt
        self.events.emit(
            EventKind.REPLAN_STARTED,
            f"{context.failed_step} failed: {context.error}",
            step_id=context.failed_step,
            attempt=attempt,
            failed=[context.failed_step, *context.also_failed],
        )
        try:
            response: PlanResponse = await workflow.execute_child_workflow(
                ReplanWorkflow.run,
                PlanRequest(
                    query=request.query,
                    documents=tuple(documents),
                    config=request.config,
                    replan=context,
                ),
                id=f"{workflow.info().workflow_id}-replan-{attempt}",
                execution_timeout=timedelta(minutes=5),
            )
        except ChildWorkflowError as error:
            reraise_cancellation(error)
            self.events.emit(
                EventKind.REPLAN_FINISHED,
                f"replan failed: {cause_message(error)}",
                attempt=attempt,
                ok=False,
            )
            return None
        self.events.emit(
            EventKind.REPLAN_FINISHED,
            response.plan.reasoning,
            attempt=attempt,
            ok=True,
            steps=[s.id for s in response.plan.steps],
        )
        return response.plan

    async def _degrade(
        self,
        request: QueryRequest,
        documents: list[DocumentRef],
        planned: QueryResult | None,
        why: str,
    ) -> QueryResult:
        """Run the direct path and return the better of it and the planned answer."""
        assert self.executor is not None
        self.events.emit(EventKind.DEGRADED, why)
        self.summary.degraded_reason = why
        try:
            response = await _plan_activity(
                PlanRequest(
                    query=request.query,
                    documents=tuple(documents),
                    config=request.config,
                    direct=True,
                ),
                activity_id="plan_direct",
                timeout_seconds=60,
            )
            await self.executor.run(response.plan, replan=self.summary.replans)
            direct = self._result(request, response.plan, degraded=True)
        except ActivityError as error:
            reraise_cancellation(error)
            self.events.emit(
                EventKind.ERROR, f"direct path failed: {cause_message(error)}", fatal=False
            )
            direct = None
        candidates = [r for r in (planned, direct) if r is not None]
        if not candidates:
            raise ApplicationError(
                f"no answer: {why}, and the direct path failed too",
                type="NoAnswer",
                non_retryable=True,
            )
        best = max(candidates, key=lambda r: r.confidence_score)
        if best is direct:
            self.summary.degraded = True
            best.orchestrator_version = DEGRADED_ORCHESTRATOR_VERSION
        return best

    # ---- results -------------------------------------------------------------------------

    def _result(
        self, request: QueryRequest, plan: Plan, *, degraded: bool = False
    ) -> QueryResult | None:
        assert self.executor is not None
        output = self.outputs.get(plan.answer_step)
        if not isinstance(output, dict) or "answer" not in output:
            return None
        results = self.executor.results
        confidence = answer_confidence(
            results[plan.answer_step].confidence,
            dependency_confidences(plan, results),
            documents_covered=self.summary.documents_covered,
            documents_requested=len(request.documents),
            replans=self.summary.replans,
            degraded=degraded,
        )
        query_type = self.plan.query_type if self.plan else QueryType.QA
        return QueryResult(
            answer=str(output["answer"]),
            citations=citations_of(output),
            confidence_score=confidence,
            query_type=query_type,
            orchestrator_version=ORCHESTRATOR_VERSION,
        )

    def _partial(self, request: QueryRequest, status: QueryStatus, why: str) -> QueryResult:
        latest = [s.id for s in reversed(self.plan.steps)] if self.plan else []
        earlier = [r.step_id for r in reversed(self._results()) if r.step_id not in latest]
        text, citations = partial_answer(self.outputs, latest + earlier)
        completed = [r.confidence for r in self._results() if r.status is StepStatus.COMPLETED]
        confidence = min(0.5, sum(completed) / len(completed) * 0.5) if completed else 0.0
        self.summary.degraded_reason = why
        return QueryResult(
            answer=text,
            citations=citations,
            confidence_score=round(confidence, 4),
            query_type=self.plan.query_type if self.plan else QueryType.QA,
            status=status,
        )

    async def _stop(self, work: asyncio.Task[QueryResult]) -> None:
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError, FailureError):
            await work

    def _results(self) -> list[StepResult]:
        return list(self.executor.results.values()) if self.executor else []

    def _finish_summary(self, status: QueryStatus) -> ExecutionSummary:
        summary = self.summary
        # a query stopped early (deadline, cancel) lists the steps it never started, and why
        stopped = summary.degraded_reason if status is not QueryStatus.COMPLETED else None
        if self.executor is not None:
            summary.steps = self._results()
            summary.levels = self.executor.levels
            summary.not_run = self.executor.not_run(self.plan, stopped)
            summary.retries = sum(
                max(0, r.attempts - 1) for r in summary.steps if r.fell_back_from is None
            )
            summary.fallbacks = sum(1 for r in summary.steps if r.fell_back_from)
            summary.max_concurrent_steps = self.executor.max_in_flight
            summary.llm_usage = self.executor.llm.total
        return summary


async def _plan_activity(
    request: PlanRequest, *, activity_id: str, timeout_seconds: float
) -> PlanResponse:
    """The planning activity (template, LLM, direct path): InvalidPlan is never retried."""
    response: PlanResponse = await workflow.execute_activity(
        PLAN_ACTIVITY,
        request,
        result_type=PlanResponse,
        activity_id=activity_id,
        start_to_close_timeout=timedelta(seconds=timeout_seconds),
        retry_policy=_PLAN_RETRY,
    )
    return response
