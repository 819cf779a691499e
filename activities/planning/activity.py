"""The plan_query activity: classify -> template (or given plan / replan) -> validate -> optimise.

A plan that fails validation never runs: the activity raises a non-retryable InvalidPlan error
listing every problem.
"""

from __future__ import annotations

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import context as tool_context
from activities.errors import BadInput, InvalidPlan
from activities.planning.classify import classify_query
from activities.planning.followup import narrow_plan, resolve_follow_up
from activities.planning.replan import replan
from activities.planning.templates import direct_plan, template_plan
from activities.planning.validation import attach_policies, drop_dead_steps, validate_plan
from activities.registry import ToolRegistry
from models.plan import Plan, PlanRequest, PlanResponse
from models.state import ToolStats
from workflows.dag import levels

log = structlog.get_logger(__name__)
from workflows.names import DIRECT_PREFIX, PLAN_ACTIVITY


class Planner:
    """Builds validated plans from the registry's tools."""

    def __init__(self, registry: ToolRegistry) -> None:
        self.registry = registry

    def draft(self, request: PlanRequest) -> tuple[Plan, float]:
        """The unvalidated plan for ``request`` and the classification confidence."""
        available = frozenset(self.registry.names())
        if request.direct:
            return direct_plan(request.query, request.config, prefix=DIRECT_PREFIX), 1.0
        if request.replan is not None:
            return replan(request.replan, available), 1.0
        if request.given_plan is not None:
            return request.given_plan, 1.0
        follow_up = resolve_follow_up(request.query, request.history, request.documents)
        documents = request.documents
        if follow_up.document_indexes is not None:
            documents = tuple(documents[i] for i in follow_up.document_indexes)
        classification = classify_query(follow_up.query)
        plan = template_plan(follow_up.query, documents, request.config, classification, available)
        if follow_up.document_indexes is not None:
            plan = narrow_plan(plan, follow_up.document_indexes)
        if follow_up.note:
            plan = plan.model_copy(update={"reasoning": f"{plan.reasoning} Read as a {follow_up.note}."})
        return plan, classification.confidence

    @staticmethod
    def _observed() -> dict[str, ToolStats]:
        """What completed steps taught us about each tool (global scope), if a worker runs."""
        context = tool_context.installed()
        if context is None:
            return {}
        return {s.tool: s for s in context.state.tool_stats()}

    def plan(self, request: PlanRequest) -> PlanResponse:
        """A validated, optimised plan with policies attached; InvalidPlan lists every problem."""
        draft, confidence = self.draft(request)
        external = request.replan.completed.keys() if request.replan else ()
        problems = validate_plan(draft, self.registry, external=external)
        if problems:
            raise InvalidPlan("the plan is invalid: " + "; ".join(problems))
        optimised, dropped = drop_dead_steps(draft)
        ready = attach_policies(optimised, self.registry, self._observed())
        return PlanResponse(
            plan=ready,
            classification_confidence=confidence,
            levels=levels(ready.steps),
            dropped_steps=dropped,
        )

    @activity.defn(name=PLAN_ACTIVITY)
    async def plan_query(self, request: PlanRequest) -> PlanResponse:
        try:
            response = self.plan(request)
        except BadInput as error:
            raise ApplicationError(str(error), type=error.error_type, non_retryable=True) from None
        log.info(
            "planned",
            workflow_id=activity.info().workflow_id,
            query_type=response.plan.query_type.value,
            steps=len(response.plan.steps),
            source=response.plan.source,
        )
        return response
