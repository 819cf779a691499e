"""ToolCatalogWorkflow: asks a worker of the task queue which tools it runs (the
``describe_tools`` activity), so the API and the CLI list the workers' tools, not their own."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from models.names import DESCRIBE_TOOLS_ACTIVITY, TOOL_CATALOG_WORKFLOW
from models.tools import ToolCatalog

DESCRIBE_TIMEOUT = timedelta(seconds=10)


@workflow.defn(name=TOOL_CATALOG_WORKFLOW)
class ToolCatalogWorkflow:
    """No input; output the ToolCatalog of the worker that ran ``describe_tools``."""

    @workflow.run
    async def run(self) -> ToolCatalog:
        """One ``describe_tools`` call (id ``describe_tools``), retried briefly."""
        catalog: ToolCatalog = await workflow.execute_activity(
            DESCRIBE_TOOLS_ACTIVITY,
            activity_id=DESCRIBE_TOOLS_ACTIVITY,
            result_type=ToolCatalog,
            start_to_close_timeout=DESCRIBE_TIMEOUT,
            retry_policy=RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=0.2)),
            summary="describe the tools this worker runs",
        )
        return catalog
