"""ReplanWorkflow: a child of QueryWorkflow that plans the remaining work after a failure.

It runs the planning activity with the failure context and returns a validated plan; its own
history shows why and how the plan changed.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.plan import PlanRequest, PlanResponse
    from workflows.names import PLAN_ACTIVITY, REPLAN_WORKFLOW


@workflow.defn(name=REPLAN_WORKFLOW)
class ReplanWorkflow:
    @workflow.run
    async def run(self, request: PlanRequest) -> PlanResponse:
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
        response: PlanResponse = await workflow.execute_activity(
            PLAN_ACTIVITY,
            request,
            result_type=PlanResponse,
            activity_id=f"replan_{request.replan.attempt}",
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(maximum_attempts=3, non_retryable_error_types=["InvalidPlan"]),
        )
        return response
