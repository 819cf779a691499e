"""QueryWorkflow: plan -> run the steps -> answer, degrading instead of crashing.

The mechanics live beside it: ``planning`` (the activities before the steps), ``executor`` and
``steps`` (scheduling, retries, fallbacks, loops), ``replanning`` (the replan loop; its child is
``replan.ReplanWorkflow``), ``results`` (answer, partial answer, summary), ``confidence`` (the
formulas), ``progress`` (the event log).

Annotations here are evaluated when the class is defined (no ``from __future__ import
annotations``): ``workflow.defn`` reads the handlers' type hints each time the sandbox imports
this module, and string annotations would be compiled and evaluated again for every run.
"""

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import JsonValue
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

from models.documents import DocumentRef
from models.events import EventData, EventKind, EventPage, EventsAfter, plan_outline
from models.grammar import INPUT_NAME
from models.names import DIRECT_PLAN_ID, PLAN_ID, QUERY_WORKFLOW
from models.plan import Plan, PlanRequest, PlanResponse
from models.query import (
    DEGRADED_ORCHESTRATOR_VERSION,
    ExecutionSummary,
    QueryRequest,
    QueryResult,
    QueryState,
    QueryStatus,
    QueryType,
    ResolveReport,
)
from workflows import search_attributes
from workflows.details import LiveDetails
from workflows.executor import PlanExecutor
from workflows.failures import application_cause, cause_message, reraise_cancellation
from workflows.planning import (
    REPEATS_PLAN,
    direct_path_repeats,
    in_one_activity,
    plan_activity,
    plan_query,
    resolve_and_plan,
    resolve_documents,
)
from workflows.progress import EventLog, ms_since
from workflows.results import answer_result, finish_summary, partial_result


def _soon(callback: Callable[[], None]) -> None:
    """Run ``callback`` on the workflow's event loop once the ready work is done."""
    asyncio.get_running_loop().call_soon(callback)


@workflow.defn(name=QUERY_WORKFLOW)
class QueryWorkflow:
    """Answers one question over a set of documents. Input QueryRequest, output QueryResult."""

    @workflow.init
    def __init__(self, request: QueryRequest) -> None:
        self.request = request
        self.details = LiveDetails(request.query, defer=_soon)
        """What the Temporal UI shows as the query's current details."""
        self.events = EventLog(on_event=self.details.apply)
        self.outputs: dict[str, JsonValue] = {}
        self.plan: Plan | None = None
        self.phase = "starting"
        self.summary = ExecutionSummary(
            strategy=request.config.strategy, scheduling=request.config.scheduling
        )
        self.executor = PlanExecutor(
            outputs=self.outputs,
            events=self.events,
            max_parallel=request.config.max_parallel_steps,
            scheduling=request.config.scheduling,
        )

    @workflow.run
    async def run(self, request: QueryRequest) -> QueryResult:
        """Plan -> run the steps -> answer; a partial answer at the deadline or on cancel."""
        started = workflow.now()
        self.details.refresh()
        work = asyncio.create_task(self._answer(request))
        try:
            done, _ = await workflow.wait([work], timeout=request.config.deadline_seconds)
            if done:
                result = work.result()
            else:
                result = await self._stop(work, QueryStatus.PARTIAL, "deadline reached")
        except asyncio.CancelledError:
            result = await self._stop(work, QueryStatus.CANCELLED, "cancelled")
        except FailureError as error:
            cause = application_cause(error)
            error_type = cause.type if cause else type(error).__name__
            self.events.emit(
                EventKind.ERROR, cause_message(error), data=EventData(error_type=error_type)
            )
            raise
        self._finish(result, started)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    # ---- reading it while it runs --------------------------------------------------------

    @workflow.query
    def events_after(self, request: EventsAfter) -> EventPage:
        """Events with an offset greater than ``request.offset`` (-1 for all)."""
        return EventPage(events=self.events.after(request.offset))

    @workflow.update
    async def wait_events(self, request: EventsAfter) -> EventPage:
        """Block until an event newer than ``request.offset`` exists (or the query ends);
        return them."""
        self.events.waits += 1
        await workflow.wait_condition(lambda: self.events.has_after(request.offset))
        return EventPage(events=self.events.after(request.offset))

    @wait_events.validator
    def _admit_wait(self, request: EventsAfter) -> None:
        self.events.admit_wait()

    @workflow.query
    def state(self) -> QueryState:
        """Execution-scope state: phase, plan, step results so far (no document text)."""
        return QueryState(
            phase=self.phase,
            plan=self.plan,
            steps=list(self.executor.results.values()),
            events=len(self.events.events),
        )

    # ---- the flow ----------------------------------------------------------------------------

    async def _answer(self, request: QueryRequest) -> QueryResult:
        documents, planned = await self._resolve_and_plan(request)
        answered: Plan | None = None
        if planned is not None:
            self._enter("running")
            await self.executor.run(planned)
            answered = (
                planned
                if planned.answer_step in self.outputs
                else await self._replan(request, documents, planned)
            )
        result = self._result(answered) if answered else None
        threshold = request.config.confidence_threshold
        if result is not None and result.confidence_score >= threshold:
            return result
        why = (
            "planning failed"
            if planned is None
            else f"no answer after {self.summary.replans} replan(s)"
            if result is None
            else f"confidence {result.confidence_score:.2f} < {threshold}"
        )
        if result is not None and answered is not None and direct_path_repeats(request, answered):
            self.summary.degraded_reason = f"{why}; {REPEATS_PLAN}"
            return result  # its confidence says how sure it is; nothing else would be surer
        return await self._degrade(request, documents, result, why)

    async def _replan(
        self, request: QueryRequest, documents: list[DocumentRef], planned: Plan
    ) -> Plan | None:
        """The replan loop (``workflows.replanning``) for a plan whose answer step has no
        output: the plan that answered, or None. Imported here, where it is needed: the sandbox
        of a query whose plan answers (most) does not load it."""
        with workflow.unsafe.sandbox_import_notification_policy(
            workflow.SandboxImportNotificationPolicy.SILENT
        ):
            from workflows.replanning import Replanner
        replanner = Replanner(
            request=request,
            documents=documents,
            executor=self.executor,
            events=self.events,
            summary=self.summary,
            adopt=self._adopt_replan,
        )
        return await replanner.until_answered(planned)

    async def _resolve_and_plan(
        self, request: QueryRequest
    ) -> tuple[list[DocumentRef], Plan | None]:
        """The documents and the validated plan (None when planning failed: the caller
        degrades): one resolve_and_plan call when the documents fit one batch (a local
        activity in this workflow task when they are stored already), else the resolve
        batches, then the planning activity."""
        if not in_one_activity(request):
            documents = await self._resolve(request)
            return documents, await self._plan(request, documents)
        self._enter("resolving documents and planning")
        started = workflow.now()
        try:
            prepared, local = await resolve_and_plan(request)
        except ActivityError as error:
            reraise_cancellation(error)
            self.summary.planning_ms = ms_since(started)
            if request.plan is not None:
                raise ApplicationError(
                    cause_message(error), type="InvalidPlan", non_retryable=True
                ) from None
            # the direct path needs the documents the failed activity resolved
            documents = await self._resolve(request)
            self._planning_failed(cause_message(error))
            return documents, None
        if local:  # this activation's workflow time may differ on replay: see EventLog.hold
            # counted from the workflow's start, not from this task's: a first workflow task
            # that completed while the local activity ran (a reader's query came) holds no
            # command, and a replay runs it as part of the next task, at that task's time
            planned_at = workflow.info().workflow_start_time
            self.events.hold(planned_at + timedelta(milliseconds=prepared.duration_ms))
            self.summary.planning_ms = round(prepared.duration_ms, 3)
        else:
            self.summary.planning_ms = ms_since(started)
        documents = self._use(prepared.documents)
        if prepared.plan is None:  # the activity plans whenever a document is usable
            self._planning_failed("the planning activity returned no plan")
            return documents, None
        self._adopt(prepared.plan)
        return documents, prepared.plan.plan

    async def _resolve(self, request: QueryRequest) -> list[DocumentRef]:
        """Resolve (and ingest) the named documents; bad ones are reported, not fatal."""
        self._enter("resolving documents")
        return self._use(await resolve_documents(request.documents))

    def _use(self, report: ResolveReport) -> list[DocumentRef]:
        """The usable documents of ``report``, which become the plan's input; the others are
        reported as events; none usable fails the query (NoUsableDocuments)."""
        self.summary.documents_failed = report.failures
        self.summary.documents_covered = len(report.documents)
        for failure in report.failures:
            self.events.emit(
                EventKind.ERROR,
                failure.message,
                data=EventData(error_type=failure.error_type, source=failure.source, fatal=False),
            )
        if not report.documents:
            details = "; ".join(f.message for f in report.failures)
            raise ApplicationError(
                f"no usable documents: {details}", type="NoUsableDocuments", non_retryable=True
            )
        self.outputs[INPUT_NAME] = {
            "query": self.request.query,
            "documents": [d.model_dump(mode="json") for d in report.documents],
        }
        return report.documents

    async def _plan(self, request: QueryRequest, documents: list[DocumentRef]) -> Plan | None:
        """The validated plan, or None when planning failed (the caller degrades)."""
        self._enter("planning")
        started = workflow.now()
        try:
            response = await plan_query(request, documents)
        except ActivityError as error:
            reraise_cancellation(error)
            message = cause_message(error)
            if request.plan is not None:
                raise ApplicationError(message, type="InvalidPlan", non_retryable=True) from None
            self._planning_failed(message)
            return None
        finally:
            self.summary.planning_ms = ms_since(started)
        self._adopt(response)
        return response.plan

    def _enter(self, phase: str) -> None:
        self.phase = phase
        self.details.enter(phase)

    def _planning_failed(self, message: str) -> None:
        self.events.emit(
            EventKind.ERROR, f"planning failed: {message}", data=EventData(fatal=False)
        )
        self.summary.degraded_reason = f"planning failed: {message}"

    def _adopt(self, response: PlanResponse) -> None:
        plan = self.plan = response.plan
        self.details.show_plan(plan)
        self.summary.plan_source = plan.source
        self.events.emit(
            EventKind.PLAN_CREATED,
            plan.reasoning,
            data=EventData(
                query_type=plan.query_type.value,
                strategy=plan.strategy.value,
                source=plan.source,
                levels=response.levels,
                steps=plan_outline(plan),
            ),
        )
        self.executor.llm.add(response.llm_usage, step_id=PLAN_ID)

    def _adopt_replan(self, plan: Plan) -> None:
        self.plan = plan
        self.details.show_plan(plan)

    async def _degrade(
        self,
        request: QueryRequest,
        documents: list[DocumentRef],
        planned: QueryResult | None,
        why: str,
    ) -> QueryResult:
        """Run the direct path and return the better of it and the planned answer."""
        self.events.emit(EventKind.DEGRADED, why)
        self.summary.degraded_reason = why
        try:
            response = await plan_activity(
                PlanRequest(
                    query=request.query,
                    documents=tuple(documents),
                    config=request.config,
                    direct=True,
                ),
                activity_id=DIRECT_PLAN_ID,
                timeout_seconds=60,
                why=why,
            )
            self._enter("running the direct path")
            self.details.show_plan(response.plan)
            await self.executor.run(response.plan, replan=self.summary.replans)
            direct = self._result(response.plan, degraded=True)
        except ActivityError as error:
            reraise_cancellation(error)
            self.events.emit(
                EventKind.ERROR,
                f"direct path failed: {cause_message(error)}",
                data=EventData(fatal=False),
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

    def _result(self, plan: Plan, *, degraded: bool = False) -> QueryResult | None:
        return answer_result(
            plan,
            self.outputs,
            self.executor.results,
            query_type=self.plan.query_type if self.plan else QueryType.QA,
            documents_covered=self.summary.documents_covered,
            documents_requested=len(self.request.documents),
            replans=self.summary.replans,
            degraded=degraded,
        )

    async def _stop(
        self, work: asyncio.Task[QueryResult], status: QueryStatus, why: str
    ) -> QueryResult:
        """Cancel the work in progress; the partial answer of what finished."""
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError, FailureError):
            await work
        self.summary.degraded_reason = why
        results = list(self.executor.results.values())
        return partial_result(self.plan, self.outputs, results, status)

    def _finish(self, result: QueryResult, started: datetime) -> None:
        self.summary.total_ms = ms_since(started)
        result.execution_summary = finish_summary(
            self.summary, self.executor, self.plan, result.status
        )
        result.workflow_id = workflow.info().workflow_id
        search_attributes.record(
            query_type=result.query_type.value,
            confidence=result.confidence_score,
            session_id=self.request.session_id,
        )
        self._enter("done")
        self.events.emit(
            EventKind.FINAL_ANSWER,
            result.status.value,
            data=EventData(
                confidence=result.confidence_score,
                orchestrator_version=result.orchestrator_version,
            ),
        )
