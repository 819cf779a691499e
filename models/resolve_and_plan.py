"""The resolve_and_plan activity's contract: a query's documents resolved (ingested when new) and
the query planned in one activity, so that a query reaches its first step after one round trip,
or none: run first as a local activity (``quick``) that parses nothing and calls no LLM, it
plans in the workflow's first task whenever the documents are stored already."""

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
    quick: bool = Field(
        default=False,
        description="Parse no document and call no LLM (a local activity may do this): when "
        "a document is not stored yet or the LLM would plan, stop and say so (``deferred``).",
    )


class ResolveAndPlanResult(BaseModel):
    """Output of the resolve_and_plan activity: the documents and the validated plan."""

    documents: ResolveReport = Field(
        default_factory=ResolveReport,
        description="The documents ready to query, and those that could not be used (and why).",
    )
    plan: PlanResponse | None = Field(
        default=None,
        description="The validated plan; None when no document could be used (nothing to plan) "
        "or the quick call was deferred.",
    )
    deferred: str | None = Field(
        default=None,
        description="Why a quick call resolved and planned nothing (a document needs parsing, "
        "or the LLM would plan): the full activity is needed.",
    )
    duration_ms: float = Field(default=0.0, description="The call's time on the worker.")
