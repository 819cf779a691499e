"""The throughput baseline: a hand-written Temporal workflow that makes the activity calls one
docorch run made (``bench.bare_calls``), each once the calls it depends on are done, and drops
their results: no planning, no event log, no confidence, no answer assembly. It imports only
temporalio, the standard library and the passed-through ``bench.bare_calls``, so the workflow
sandbox has little to load per run."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from bench import bare_calls

BARE_CALLS_WORKFLOW = "BareCallsWorkflow"


@workflow.defn(name=BARE_CALLS_WORKFLOW)
class BareCallsWorkflow:
    """Runs ``bench.bare_calls.CALLS[key]``. The calls are loaded into that module before the
    worker starts, so the workflow's input is only the key and its history holds what
    docorch's does: the activities' inputs and outputs."""

    @workflow.run
    async def run(self, key: str) -> int:
        calls = bare_calls.CALLS[key]
        tasks: list[asyncio.Task[None]] = []

        async def run_call(call: bare_calls.BareCall) -> None:
            for dependency in call.depends_on:
                await tasks[dependency]
            timeout = timedelta(seconds=call.start_to_close_seconds)
            if call.local:
                await workflow.execute_local_activity(
                    call.activity,
                    call.input,
                    activity_id=call.id,
                    start_to_close_timeout=timeout,
                    retry_policy=RetryPolicy(maximum_attempts=1),
                )
                return
            heartbeat = call.heartbeat_seconds
            await workflow.execute_activity(
                call.activity,
                call.input,
                activity_id=call.id,
                start_to_close_timeout=timeout,
                heartbeat_timeout=timedelta(seconds=heartbeat) if heartbeat else None,
                retry_policy=RetryPolicy(maximum_attempts=3),
            )

        # calls are recorded in the order docorch made them: dependencies come first
        for call in calls:
            tasks.append(asyncio.create_task(run_call(call)))
        await asyncio.gather(*tasks)
        return len(calls)
