"""The resolve_and_plan activity: a query's documents resolved (ingested when new), then the
query planned, in one activity, so that a query whose documents fit one batch reaches its first
step after one round trip. It is the resolve_documents activity followed by the plan_query
activity, and fails as the planning fails; a query with no usable document gets no plan."""

from __future__ import annotations

import asyncio

from temporalio import activity

from activities.ingest import DocumentActivities
from activities.planning.activity import Planner
from activities.registry import heartbeat_while
from models.names import RESOLVE_AND_PLAN_ACTIVITY
from models.resolve_and_plan import ResolveAndPlanRequest, ResolveAndPlanResult, plan_request

PLANNING_HEARTBEAT_SECONDS = 2.0
"""The activity heartbeats while the planner runs (an LLM plan may take a while)."""


class ResolveAndPlan:
    """The document activities' resolve, then the planner, as one activity."""

    def __init__(self, documents: DocumentActivities, planner: Planner) -> None:
        self._documents = documents
        self._planner = planner

    @activity.defn(name=RESOLVE_AND_PLAN_ACTIVITY)
    async def resolve_and_plan(self, request: ResolveAndPlanRequest) -> ResolveAndPlanResult:
        report = await self._documents.resolve(request.query.documents)
        if not report.documents:
            return ResolveAndPlanResult(documents=report)
        planning = asyncio.ensure_future(
            self._planner.plan_in_activity(plan_request(request.query, report.documents))
        )
        try:
            await heartbeat_while(planning, PLANNING_HEARTBEAT_SECONDS, "planning")
        except asyncio.CancelledError:
            planning.cancel()
            raise
        return ResolveAndPlanResult(documents=report, plan=planning.result())
