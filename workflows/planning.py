"""The activities before the steps: resolving (and ingesting) the named documents in batches, and
the planning activity (template, LLM, a given plan, the direct path) — or both in one activity,
``resolve_and_plan``, when the documents fit one batch: one round trip before the first step
instead of two; and whether the direct path would only repeat the plan that answered."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import CancelledError, FailureError

from models.documents import DocumentRef
from models.names import (
    PLAN_ACTIVITY,
    PLAN_ID,
    RESOLVE_ACTIVITY,
    RESOLVE_AND_PLAN_ACTIVITY,
    resolve_id,
)
from models.plan import Plan, PlanRequest, PlanResponse
from models.query import QUERY_PROTOCOL, QueryRequest, ResolveReport, ResolveRequest
from models.resolve_and_plan import ResolveAndPlanRequest, ResolveAndPlanResult, plan_request
from models.summaries import plan_summary, resolve_and_plan_summary, resolve_summary

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
ONE_ACTIVITY_PATCH = "resolve-and-plan-in-one-activity"
"""The ``workflow.patched`` id of resolving and planning in one activity: histories recorded
before it (resolve batches, then the planning activity) replay the two-activity path."""
RESOLVE_TIMEOUT = timedelta(minutes=10)
RESOLVE_HEARTBEAT = timedelta(seconds=RESOLVE_HEARTBEAT_SECONDS)
QUICK_TIMEOUT = timedelta(seconds=5)
"""The quick local activity reads stored documents and plans from templates: well under this."""


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
                start_to_close_timeout=RESOLVE_TIMEOUT,
                heartbeat_timeout=RESOLVE_HEARTBEAT,
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
        plan_request(request, documents), activity_id=PLAN_ID, timeout_seconds=120
    )


def in_one_activity(request: QueryRequest) -> bool:
    """Whether ``request``'s documents are resolved and the query planned in one activity
    (``resolve_and_plan``): when the documents fit one batch, in every query started since that
    activity exists. Histories recorded before replay ``resolve_documents`` then ``plan_query``.

    Which is which is told by ``workflow.patched``, whose version marker costs every query two
    history events (the marker, and the TemporalChangeVersion search attribute the SDK upserts
    with it, a visibility write): about 1.4 ms of server CPU. So a request of protocol 2
    (``QUERY_PROTOCOL``, what docorch's clients send; no request before the patch had it) takes
    the one-activity path without asking; replaying, it still asks, which reads the marker of a
    history a worker that did not know the protocol recorded (and writes nothing when there is
    none). Requests without a protocol keep the marker."""
    if len(request.documents) > RESOLVE_BATCH:
        return False
    if request.protocol < QUERY_PROTOCOL:
        return workflow.patched(ONE_ACTIVITY_PATCH)
    if workflow.unsafe.is_replaying():
        workflow.patched(ONE_ACTIVITY_PATCH)
    return True


async def resolve_and_plan(request: QueryRequest) -> tuple[ResolveAndPlanResult, bool]:
    """The documents resolved and the query planned (id ``plan``): first as a local activity
    in this workflow task, which parses nothing and calls no LLM, so a query over stored
    documents schedules its first steps without another round trip; when it defers (a
    document to ingest, an LLM plan) or fails, as an activity that ingests with heartbeats.
    No plan when no document could be used; planning errors are raised as the planning
    activity raises them (InvalidPlan is never retried). The flag says whether the local
    activity answered (see ``EventLog.hold`` for why a caller may care)."""
    summary = resolve_and_plan_summary(request)
    try:
        quick: ResolveAndPlanResult = await workflow.execute_local_activity(
            RESOLVE_AND_PLAN_ACTIVITY,
            ResolveAndPlanRequest(query=request, quick=True),
            result_type=ResolveAndPlanResult,
            activity_id=PLAN_ID,
            summary=summary,
            start_to_close_timeout=QUICK_TIMEOUT,
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
        if quick.deferred is None:
            return quick, True
    except FailureError as error:  # the activity below plans again, or says why it cannot
        # (a local activity's failure comes unwrapped: no ActivityError around it)
        if isinstance(error, CancelledError) or isinstance(error.cause, CancelledError):
            raise asyncio.CancelledError() from error
    result: ResolveAndPlanResult = await workflow.execute_activity(
        RESOLVE_AND_PLAN_ACTIVITY,
        ResolveAndPlanRequest(query=request),
        result_type=ResolveAndPlanResult,
        activity_id=PLAN_ID,
        summary=summary,
        start_to_close_timeout=RESOLVE_TIMEOUT,
        heartbeat_timeout=RESOLVE_HEARTBEAT,
        retry_policy=PLAN_RETRY,
    )
    return result, False


SKIP_REPEATED_DIRECT_PATCH = "direct-path-only-when-it-differs"
REPEATS_PLAN = (
    "not running the direct path: the plan was already a search of every document and an "
    "answer from it, which the direct path would repeat"
)


def direct_path_repeats(request: QueryRequest, answered: Plan) -> bool:
    """Whether the direct path would only repeat the plan that answered (see
    ``Plan.searches_then_answers``). Histories recorded before this check ran the direct path
    all the same (``workflow.patched``; asked only here, so a query answered confidently
    records no marker)."""
    return answered.searches_then_answers(request.config.top_k) and workflow.patched(
        SKIP_REPEATED_DIRECT_PATCH
    )
