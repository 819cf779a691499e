"""The resolve_and_plan activity: a query's documents resolved (ingested when new), then the
query planned, in one activity, so that a query whose documents fit one batch reaches its first
step after one round trip. It is the resolve_documents activity followed by the plan_query
activity, and fails as the planning fails; a query with no usable document gets no plan.

Its quick form (``ResolveAndPlanRequest.quick``, run by the workflow as a local activity, in its
first task) parses no document and calls no LLM: when a document is not stored yet, or the LLM
would plan, it defers to the full activity, which ingests with heartbeats and calls the LLM."""

from __future__ import annotations

import asyncio
import time

from temporalio import activity

from activities.heartbeat import heartbeat_interval, heartbeat_while
from activities.ingest import DocumentActivities
from activities.planning.activity import Planner, log_plan, planning_errors
from models.names import RESOLVE_AND_PLAN_ACTIVITY
from models.plan import PlanResponse
from models.query import ResolveReport
from models.resolve_and_plan import ResolveAndPlanRequest, ResolveAndPlanResult, plan_request


class ResolveAndPlan:
    """The document activities' resolve, then the planner, as one activity."""

    def __init__(self, documents: DocumentActivities, planner: Planner) -> None:
        self._documents = documents
        self._planner = planner

    @activity.defn(name=RESOLVE_AND_PLAN_ACTIVITY)
    async def resolve_and_plan(self, request: ResolveAndPlanRequest) -> ResolveAndPlanResult:
        started = time.perf_counter()
        result = await (self._quick(request) if request.quick else self._full(request))
        result.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        return result

    async def _full(self, request: ResolveAndPlanRequest) -> ResolveAndPlanResult:
        """Every document resolved, ingesting what is new, then planned (heartbeating)."""
        progress = await self._documents.resolve(request.query.documents)
        report = progress.report
        if not report.documents:
            return ResolveAndPlanResult(documents=report)
        planning = asyncio.ensure_future(self._plan(request, report))
        try:  # the heartbeats keep the resolved documents: a retry plans without resolving
            await heartbeat_while(planning, heartbeat_interval(), progress.model_dump(mode="json"))
        except asyncio.CancelledError:
            planning.cancel()
            raise
        return ResolveAndPlanResult(documents=report, plan=planning.result())

    async def _plan(self, request: ResolveAndPlanRequest, report: ResolveReport) -> PlanResponse:
        with planning_errors():
            response = await self._planner.plan_async(plan_request(request.query, report.documents))
        log_plan(response)
        return response

    async def _quick(self, request: ResolveAndPlanRequest) -> ResolveAndPlanResult:
        """The documents stored already and a plan without the LLM; deferred otherwise."""
        report = await self._documents.resolve_stored(request.query.documents)
        if report is None:
            return ResolveAndPlanResult(deferred="a document is not ingested yet")
        if not report.documents:
            return ResolveAndPlanResult(documents=report)
        with planning_errors():
            response = self._planner.plan_without_llm(plan_request(request.query, report.documents))
        if response is None:
            return ResolveAndPlanResult(deferred="the LLM plans this query")
        log_plan(response)
        return ResolveAndPlanResult(documents=report, plan=response)
