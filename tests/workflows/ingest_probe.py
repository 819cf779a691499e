"""A workflow that runs only the resolve_documents activity, with the heartbeat timeout a test
chooses, on another task queue: the ingest tests drive docorch's real activity (in a worker
process they can kill) without waiting out QueryWorkflow's own timeouts."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

from models.names import RESOLVE_ACTIVITY
from models.query import ResolveReport, ResolveRequest


class IngestProbe(BaseModel):
    sources: list[str]
    activity_queue: str
    heartbeat_seconds: float = 2.0


@workflow.defn
class IngestProbeWorkflow:
    @workflow.run
    async def run(self, probe: IngestProbe) -> ResolveReport:
        report: ResolveReport = await workflow.execute_activity(
            RESOLVE_ACTIVITY,
            ResolveRequest(sources=probe.sources),
            result_type=ResolveReport,
            task_queue=probe.activity_queue,
            activity_id="resolve_1",
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=probe.heartbeat_seconds),
            retry_policy=RetryPolicy(maximum_attempts=3),
        )
        return report
