"""What PlanPreviewWorkflow returns: the plan a query would run, and the documents it would
read, without running a step."""

from __future__ import annotations

from pydantic import BaseModel, Field

from models.plan import PlanResponse
from models.query import ResolveReport


class PlanPreview(BaseModel):
    """A dry run of a query's planning phase (templates or the LLM, validated)."""

    plan: PlanResponse = Field(description="The validated plan, its levels and the LLM usage.")
    documents: ResolveReport = Field(
        description="The documents the plan reads, and those that could not be used (and why)."
    )
