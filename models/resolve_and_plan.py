"""The resolve_and_plan activity's contract: a query's documents resolved (ingested when new) and
the query planned in one activity, so a query reaches its first step after one round trip."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from models.documents import DocumentRef
from models.plan import PlanRequest, PlanResponse
from models.query import QueryRequest, ResolveReport


def plan_request(query: QueryRequest, documents: Sequence[DocumentRef]) -> PlanRequest:
    """The planning request of ``query`` over the resolved ``documents`` (a given plan is
    checked, else a template or the LLM plans)."""
    return PlanRequest(
        query=query.query,
        documents=tuple(documents),
        config=query.config,
        given_plan=query.plan,
        history=query.history,
    )


class ResolveAndPlanRequest(BaseModel):
    """Input of the resolve_and_plan activity."""

    query: QueryRequest = Field(description="The query: its documents are resolved, then planned.")


class ResolveAndPlanResult(BaseModel):
    """Output of the resolve_and_plan activity: the documents and the validated plan."""

    documents: ResolveReport = Field(
        description="The documents ready to query, and those that could not be used (and why)."
    )
    plan: PlanResponse | None = Field(
        default=None,
        description="The validated plan; None when no document could be used (nothing to plan).",
    )
