"""PlanPreviewWorkflow: plan a query without running it (``docorch plan``). It resolves the
documents and plans exactly as QueryWorkflow does (one resolve_and_plan activity when the
documents fit one batch, else the resolve batches and the planning activity), so it previews
template and LLM plans alike, validated, and runs no tool."""

from __future__ import annotations

from pydantic import ValidationError
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from models.names import PLAN_PREVIEW_WORKFLOW
from models.preview import PlanPreview
from models.query import QueryRequest, ResolveReport
from workflows.failures import application_cause, cause_message
from workflows.planning import in_one_activity, plan_query, resolve_and_plan, resolve_documents


@workflow.defn(name=PLAN_PREVIEW_WORKFLOW, failure_exception_types=[ValidationError])
class PlanPreviewWorkflow:
    """Input QueryRequest, output PlanPreview. Fails with a non-retryable ApplicationError of
    type NoUsableDocuments when no document can be read, or with the planner's error type
    (e.g. InvalidPlan) when planning fails."""

    @workflow.run
    async def run(self, request: QueryRequest) -> PlanPreview:
        """Resolve the documents, then plan as QueryWorkflow would; run nothing."""
        if in_one_activity(request):
            try:
                prepared, _ = await resolve_and_plan(request)
            except ActivityError as error:
                raise _planning_failure(error) from None
            report, plan = _usable(prepared.documents), prepared.plan
            if plan is None:  # the activity plans whenever a document is usable
                raise ApplicationError(
                    "the planning activity returned no plan",
                    type="PlanningFailed",
                    non_retryable=True,
                )
            return PlanPreview(plan=plan, documents=report)
        report = _usable(await resolve_documents(request.documents))
        try:
            response = await plan_query(request, report.documents)
        except ActivityError as error:
            raise _planning_failure(error) from None
        return PlanPreview(plan=response, documents=report)


def _usable(report: ResolveReport) -> ResolveReport:
    """``report``, when it has a document to plan over; else NoUsableDocuments."""
    if not report.documents:
        details = "; ".join(f.message for f in report.failures)
        raise ApplicationError(
            f"no usable documents: {details}", type="NoUsableDocuments", non_retryable=True
        )
    return report


def _planning_failure(error: ActivityError) -> ApplicationError:
    """The planning activity's failure, with its type (e.g. InvalidPlan), as the preview's."""
    cause = application_cause(error)
    return ApplicationError(
        cause_message(error),
        type=cause.type if cause and cause.type else "PlanningFailed",
        non_retryable=True,
    )
