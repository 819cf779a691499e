"""The replan loop of QueryWorkflow: while steps the answer needs have failed for good and
replans are left, ask a ReplanWorkflow child (by name: ``workflows.replan``) for a plan of the
remaining work, and run it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

from models.documents import DocumentRef
from models.events import EventData, EventKind, plan_outline
from models.names import REPLAN_WORKFLOW, replan_workflow_id
from models.plan import Plan, PlanRequest, PlanResponse, ReplanContext, Step
from models.query import ExecutionSummary, QueryRequest
from models.summaries import replan_details, replan_summary
from workflows.executor import PlanExecutor
from workflows.failures import cause_message, reraise_cancellation
from workflows.progress import EventLog
from workflows.results import failed_steps_the_answer_needs


class Replanner:
    """The replan loop of one query. A tool is avoided once it failed on bad input or failed in
    two rounds; until then a replan may try it again (it only met errors a retry may fix)."""

    def __init__(
        self,
        *,
        request: QueryRequest,
        documents: Sequence[DocumentRef],
        executor: PlanExecutor,
        events: EventLog,
        summary: ExecutionSummary,
        adopt: Callable[[Plan], None],
    ) -> None:
        self.request = request
        self.documents = tuple(documents)
        self.executor = executor
        self.events = events
        self.summary = summary
        self.adopt = adopt
        self._avoid: list[str] = []
        self._failed_before: set[str] = set()

    async def until_answered(self, plan: Plan) -> Plan | None:
        """Replan while steps the answer needs have failed for good; the plan that answered,
        or None when replans are exhausted or replanning failed."""
        while plan.answer_step not in self.executor.outputs:
            failed = failed_steps_the_answer_needs(plan, self.executor.results)
            if not failed or self.summary.replans >= self.request.config.max_replans:
                return None
            self._remember(failed)
            self.summary.replans += 1
            context = self._context(plan, failed)
            replanned = await self._replan(context)
            if replanned is None:
                return None
            plan = replanned
            self.adopt(plan)
            await self.executor.run(plan, replan=context.attempt)
        return plan

    def _remember(self, failed: list[Step]) -> None:
        for step in failed:
            bad_input = step.id in self.executor.not_retryable
            tools = (step.tool, *step.fallback)
            self._avoid += [t for t in tools if bad_input or t in self._failed_before]
            self._failed_before.update(tools)

    def _context(self, plan: Plan, failed: list[Step]) -> ReplanContext:
        results = self.executor.results
        first, *others = failed
        return ReplanContext(
            attempt=self.summary.replans,
            failed_step=first.id,
            failed_tools=tuple(dict.fromkeys(self._avoid)),
            error=results[first.id].error or "failed",
            also_failed={s.id: results[s.id].error or "failed" for s in others},
            completed={s: r.tool for s, r in results.items() if s in self.executor.outputs},
            previous_plan=plan,
        )

    async def _replan(self, context: ReplanContext) -> Plan | None:
        """One ReplanWorkflow child: the validated plan for the remaining work, or None when
        it could not make one."""
        attempt = context.attempt
        self.events.emit(
            EventKind.REPLAN_STARTED,
            f"{context.failed_step} failed: {context.error}",
            step_id=context.failed_step,
            data=EventData(attempt=attempt, failed=[context.failed_step, *context.also_failed]),
        )
        try:
            response: PlanResponse = await workflow.execute_child_workflow(
                REPLAN_WORKFLOW,
                PlanRequest(
                    query=self.request.query,
                    documents=self.documents,
                    config=self.request.config,
                    replan=context,
                ),
                id=replan_workflow_id(workflow.info().workflow_id, attempt),
                static_summary=replan_summary(context),
                static_details=replan_details(context),
                result_type=PlanResponse,
                execution_timeout=timedelta(minutes=5),
            )
        except ChildWorkflowError as error:
            reraise_cancellation(error)
            self.events.emit(
                EventKind.REPLAN_FINISHED,
                f"replan failed: {cause_message(error)}",
                data=EventData(attempt=attempt, ok=False),
            )
            return None
        self.events.emit(
            EventKind.REPLAN_FINISHED,
            response.plan.reasoning,
            data=EventData(attempt=attempt, ok=True, steps=plan_outline(response.plan)),
        )
        return response.plan
