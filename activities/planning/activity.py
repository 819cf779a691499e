"""The plan_query activity: classify -> template (or given plan / replan) -> validate -> optimise.

With strategy ADAPTIVE and an LLM configured, a query no template fits confidently is planned by
the model instead (``llm_planner``), which falls back to the template plan. A plan that fails
validation never runs: the activity raises a non-retryable InvalidPlan error listing every
problem.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import timedelta

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import context as tool_context
from activities.errors import BadInput, InvalidPlan, RateLimited
from activities.heartbeat import heartbeat_interval, heartbeat_while
from activities.llm.errors import LlmError
from activities.llm.scope import activity_scope
from activities.planning.classify import classify_query
from activities.planning.followup import narrow_plan, resolve_follow_up
from activities.planning.llm_planner import LlmPlanner
from activities.planning.replan import replan
from activities.planning.templates import direct_plan, template_plan
from activities.planning.validation import attach_policies, drop_dead_steps, validate_plan
from activities.registry import ToolRegistry
from models.grammar import levels
from models.names import DIRECT_PREFIX, PLAN_ACTIVITY
from models.plan import Plan, PlanRequest, PlanResponse
from models.query import LlmUsage
from models.settings import Settings
from models.state import ToolStats

log = structlog.get_logger(__name__)


class Planner:
    """Builds validated plans from the registry's tools."""

    def __init__(self, registry: ToolRegistry, settings: Settings | None = None) -> None:
        self.registry = registry
        self.settings = settings

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
            plan = plan.model_copy(
                update={"reasoning": f"{plan.reasoning} Read as a {follow_up.note}."}
            )
        return plan, classification.confidence

    @staticmethod
    def _observed() -> dict[str, ToolStats]:
        """What completed steps taught us about each tool (global scope), if a worker runs."""
        context = tool_context.installed()
        if context is None:
            return {}
        return {s.tool: s for s in context.figures.tool_stats()}

    def _llm_planner(self) -> LlmPlanner | None:
        """The LLM planner when an LLM is configured (settings given, else the worker's)."""
        context = tool_context.installed()
        settings = self.settings or (context.settings if context else None)
        if settings is None or not settings.llm_enabled:
            return None
        return LlmPlanner(self.registry, settings)

    def _draft_and_llm(self, request: PlanRequest) -> tuple[Plan, float, LlmPlanner | None]:
        """The template draft, its classification confidence and, when an LLM is configured
        and should plan this query instead, the LLM planner. With an LLM configured the
        query's token budget is opened here for its tools' LLM calls."""
        draft, confidence = self.draft(request)
        llm = self._llm_planner()
        if llm is None:
            return draft, confidence, None
        llm.open_budget(request)
        return draft, confidence, llm if llm.applies(request, confidence) else None

    async def plan_async(self, request: PlanRequest) -> PlanResponse:
        """``plan``, with the LLM planning ADAPTIVE queries no template fits confidently."""
        draft, confidence, llm = self._draft_and_llm(request)
        usage: LlmUsage | None = None
        if llm is not None:
            draft, usage = await llm.plan(request, template=draft)
        return self.finish(request, draft, confidence, usage)

    def plan_without_llm(self, request: PlanRequest) -> PlanResponse | None:
        """``plan_async``'s plan when it would not call the LLM; None when it would."""
        draft, confidence, llm = self._draft_and_llm(request)
        return None if llm is not None else self.finish(request, draft, confidence)

    def plan(self, request: PlanRequest) -> PlanResponse:
        """A validated, optimised plan with policies attached; InvalidPlan lists every problem.
        Templates only (no LLM): for the CLI and tests."""
        return self.finish(request, *self.draft(request))

    def finish(
        self, request: PlanRequest, draft: Plan, confidence: float, usage: LlmUsage | None = None
    ) -> PlanResponse:
        """Validate, optimise and attach policies to ``draft``."""
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
            llm_usage=usage,
        )

    @activity.defn(name=PLAN_ACTIVITY)
    async def plan_query(self, request: PlanRequest) -> PlanResponse:
        """The plan, heartbeating while it is made (an LLM plan takes seconds): a worker that
        dies meanwhile is noticed after the heartbeat timeout, not the whole timeout."""
        with planning_errors():
            task = asyncio.ensure_future(self.plan_async(request))
            try:
                await heartbeat_while(task, heartbeat_interval())
            except asyncio.CancelledError:
                task.cancel()
                raise
            response = task.result()
        log_plan(response)
        return response


@contextlib.contextmanager
def planning_errors() -> Iterator[None]:
    """Planning inside an activity (its LLM calls attributed to it), with the planner's errors
    as Temporal sees them: bad input and an invalid plan non-retryable, a rate limit delaying
    the next retry, an LLM timeout or unreachable endpoint retried."""
    try:
        with activity_scope():
            yield
    except BadInput as error:
        raise ApplicationError(str(error), type=error.error_type, non_retryable=True) from None
    except RateLimited as error:  # the LLM endpoint's 429/5xx: retried after its Retry-After
        delay = timedelta(seconds=error.retry_after) if error.retry_after else None
        raise ApplicationError(str(error), type="RateLimited", next_retry_delay=delay) from None
    except LlmError as error:  # a timeout or an unreachable endpoint: retried
        raise ApplicationError(str(error), type=type(error).__name__) from None


def log_plan(response: PlanResponse) -> None:
    """Log the plan a planning activity made."""
    log.info(
        "planned",
        workflow_id=activity.info().workflow_id,
        query_type=response.plan.query_type.value,
        steps=len(response.plan.steps),
        source=response.plan.source,
    )
