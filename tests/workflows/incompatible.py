"""A QueryWorkflow that plans before resolving documents: not what the recorded histories did.
Lives in its own module so the workflow sandbox imports nothing else of the tests."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.query import QueryRequest, QueryResult


@workflow.defn(name="QueryWorkflow")
class IncompatibleQueryWorkflow:
    @workflow.run
    async def run(self, request: QueryRequest) -> QueryResult:
        await workflow.execute_activity(
            "plan_query", request, start_to_close_timeout=timedelta(seconds=5)
        )
        raise AssertionError("unreachable in replay")
