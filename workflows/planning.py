"""The activities before the steps: resolving (and ingesting) the named documents in batches, and
the planning activity (template, LLM, a given plan, the direct path)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from models.documents import DocumentRef
from models.names import PLAN_ACTIVITY, PLAN_ID, RESOLVE_ACTIVITY, resolve_id
from models.plan import PlanRequest, PlanResponse
from models.query import QueryRequest, ResolveReport, ResolveRequest
from models.summaries import plan_summary, resolve_summary

RESOLVE_BATCH = 200
RESOLVE_HEARTBEAT_SECONDS = 2
"""A resolve activity that stops heartbeating this long (its worker died) is retried elsewhere,
resuming after the documents its heartbeat details record (timeouts are not replayed). It
heartbeats every third of it and its worker sends one at least every second
(``worker.HEARTBEAT_THROTTLE``); bench/recovery.py measures the recovery."""
PLAN_HEARTBEAT_SECONDS = 2
"""The same for the planning activity: without it, a worker that died while planning held the
query for the whole start-to-close timeout (60-120 s, measured by bench/chaos.py)."""
RETRY_AFTER_DEATH = timedelta(milliseconds=200)
"""The first retry's delay for resolve and planning: their usual failure is a worker that died
(heartbeat timeout), which waiting does not mend (the SDK's default delay, 1 s, did nothing but
delay the answer: bench/recovery.py)."""
RESOLVE_RETRY = RetryPolicy(initial_interval=RETRY_AFTER_DEATH, maximum_attempts=3)
PLAN_RETRY = RetryPolicy(
    initial_interval=RETRY_AFTER_DEATH,
    maximum_attempts=3,
    non_retryable_error_types=["InvalidPlan"],
)
"""A plan that fails validation is not planned again by retrying."""


async def resolve_documents(sources: Sequence[str]) -> ResolveReport:
    """Every source resolved (ingested when new), batch by batch in parallel (activity ids
    ``resolve_1``, ``resolve_2``, ...): the documents ready to query, each once, and the ones
    that could not be used, in the order named. Bad documents are failures in the report."""
    batches = [sources[i : i + RESOLVE_BATCH] for i in range(0, len(sources), RESOLVE_BATCH)]
    reports: list[ResolveReport] = await asyncio.gather(
        *(
            workflow.execute_activity(
                RESOLVE_ACTIVITY,
                ResolveRequest(sources=list(batch)),
                result_type=ResolveReport,
                activity_id=resolve_id(n),
                summary=resolve_summary(len(batch), n, len(batches)),
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(seconds=RESOLVE_HEARTBEAT_SECONDS),
                retry_policy=RESOLVE_RETRY,
            )
            for n, batch in enumerate(batches)
        )
    )
    documents = {d.id: d for r in reports for d in r.documents}  # same bytes, same id: once
    return ResolveReport(
        documents=list(documents.values()), failures=[f for r in reports for f in r.failures]
    )


async def plan_activity(
    request: PlanRequest, *, activity_id: str, timeout_seconds: float, why: str | None = None
) -> PlanResponse:
    """The planning activity: a validated plan with policies attached; InvalidPlan is never
    retried. Its UI summary says what is planned (``why``: why the direct path is taken)."""
    response: PlanResponse = await workflow.execute_activity(
        PLAN_ACTIVITY,
        request,
        result_type=PlanResponse,
        activity_id=activity_id,
        summary=plan_summary(request, why),
        start_to_close_timeout=timedelta(seconds=timeout_seconds),
        heartbeat_timeout=timedelta(seconds=PLAN_HEARTBEAT_SECONDS),
        retry_policy=PLAN_RETRY,
    )
    return response


async def plan_query(request: QueryRequest, documents: Sequence[DocumentRef]) -> PlanResponse:
    """The query's plan (the given one checked, else a template or the LLM's), validated: the
    planning activity as QueryWorkflow and PlanPreviewWorkflow call it."""
    return await plan_activity(
        PlanRequest(
            query=request.query,
            documents=tuple(documents),
            config=request.config,
            given_plan=request.plan,
            history=request.history,
        ),
        activity_id=PLAN_ID,
        timeout_seconds=120,
    )
