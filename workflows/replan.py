"""ReplanWorkflow: a child of QueryWorkflow that plans the remaining work after a failure.

It runs the planning activity with the failure context and returns a validated plan; its own
history shows why and how the plan changed. The loop that starts it is ``workflows.replanning``.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from models.names import REPLAN_WORKFLOW, replan_activity_id
from models.plan import PlanRequest, PlanResponse
from workflows.planning import plan_activity


@workflow.defn(name=REPLAN_WORKFLOW)
class ReplanWorkflow:
    """Plans the remaining work of a query after a failure. Input PlanRequest (with a replan
    context), output PlanResponse."""

    @workflow.run
    async def run(self, request: PlanRequest) -> PlanResponse:
        """The planning activity with the failure context: a validated plan."""
        if request.replan is None:
            # an AssertionError would fail the workflow task and retry it forever
            raise ApplicationError(
                "ReplanWorkflow needs a PlanRequest with a replan context",
                type="InvalidPlan",
                non_retryable=True,
            )
        workflow.logger.info(
            "replanning after %s failed (attempt %d)",
            request.replan.failed_step,
            request.replan.attempt,
        )
        return await plan_activity(
            request, activity_id=replan_activity_id(request.replan.attempt), timeout_seconds=60
        )
