"""PlanPreviewWorkflow: plan a query without running it (``docorch plan``). It resolves the
documents and calls the planning activity exactly as QueryWorkflow does, so it previews template
and LLM plans alike, validated, and runs no tool."""

from __future__ import annotations

from pydantic import ValidationError
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from models.names import PLAN_PREVIEW_WORKFLOW
from models.preview import PlanPreview
from models.query import QueryRequest
from workflows.failures import application_cause, cause_message
from workflows.planning import plan_query, resolve_documents


@workflow.defn(name=PLAN_PREVIEW_WORKFLOW, failure_exception_types=[ValidationError])
class PlanPreviewWorkflow:
    """Input QueryRequest, output PlanPreview. Fails with a non-retryable ApplicationError of
    type NoUsableDocuments when no document can be read, or with the planner's error type
    (e.g. InvalidPlan) when planning fails."""

    @workflow.run
    async def run(self, request: QueryRequest) -> PlanPreview:
        """Resolve the documents, then plan as QueryWorkflow would; run nothing."""
        report = await resolve_documents(request.documents)
        if not report.documents:
            details = "; ".join(f.message for f in report.failures)
            raise ApplicationError(
                f"no usable documents: {details}", type="NoUsableDocuments", non_retryable=True
            )
        try:
            response = await plan_query(request, report.documents)
        except ActivityError as error:
            cause = application_cause(error)
            raise ApplicationError(
                cause_message(error),
                type=cause.type if cause and cause.type else "PlanningFailed",
                non_retryable=True,
            ) from None
        return PlanPreview(plan=response, documents=report)
