"""IngestWorkflow: the one ingest path. Documents are parsed and indexed only on a worker, by the
resolve_documents activity; the CLI's ``docorch ingest`` and the HTTP API's upload reach it
through ``OrchestratorClient.ingest``.

``resolve_documents`` is the batched activity call that any workflow needing documents uses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from models.query import ResolveReport, ResolveRequest
from workflows.names import INGEST_WORKFLOW, RESOLVE_ACTIVITY

RESOLVE_BATCH = 200
"""Sources per resolve_documents activity: keeps each activity's input and result small."""


async def resolve_documents(sources: Sequence[str]) -> ResolveReport:
    """Resolve ``sources`` (paths or ids) into documents, ingesting what is new: one activity
    per batch of RESOLVE_BATCH (activity ids ``resolve_1``, ``resolve_2``, ...), all at once,
    merged into one report in order, each document once. Bad documents are failures in the
    report, not errors."""
    batches = [sources[i : i + RESOLVE_BATCH] for i in range(0, len(sources), RESOLVE_BATCH)]
    reports = await asyncio.gather(
        *(
            workflow.execute_activity(
                RESOLVE_ACTIVITY,
                ResolveRequest(sources=list(batch)),
                result_type=ResolveReport,
                activity_id=f"resolve_{n + 1}",
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
            for n, batch in enumerate(batches)
        )
    )
    documents = {d.id: d for r in reports for d in r.documents}  # same bytes, same id: once
    return ResolveReport(
        documents=list(documents.values()), failures=[f for r in reports for f in r.failures]
    )


@workflow.defn(name=INGEST_WORKFLOW)
class IngestWorkflow:
    """Ingests documents into the store. Input ResolveRequest, output ResolveReport: the
    documents ready to query (same bytes, same id) and, for each source that could not be
    used, why."""

    @workflow.run
    async def run(self, request: ResolveRequest) -> ResolveReport:
        """Resolve (ingesting what is new) every source of the request."""
        return await resolve_documents(request.sources)
