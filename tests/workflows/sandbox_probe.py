"""A workflow that calls the helpers of ``tests.workflows.leaky``. The sandbox restriction error
is listed as a failure type, so a caught call fails the workflow at once (instead of its task,
forever), and the test can read which call was caught. Own module: the sandbox imports it."""

from __future__ import annotations

from temporalio import workflow
from temporalio.worker.workflow_sandbox import RestrictedWorkflowAccessError

from tests.workflows import leaky

PROBE_WORKFLOW = "SandboxProbe"


@workflow.defn(name=PROBE_WORKFLOW, failure_exception_types=[RestrictedWorkflowAccessError])
class SandboxProbe:
    @workflow.run
    async def run(self, helper: str) -> str:
        return str(leaky.wall_clock() if helper == "wall_clock" else leaky.dice())
