"""The plan is data: a DAG of tool steps produced by templates or an LLM, validated before it runs.

Parameters may refer to earlier outputs with ``"$<step id>.<field>[.<field>...]"``; a list whose
items are references to lists is concatenated, which is how fan-in is written. The grammar of
references, levels and cycles is ``models.grammar``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.config import PriorTurn, QueryConfig, QueryType, Strategy
from models.documents import DocumentRef
from models.names import ALL_DOCUMENTS, ANSWER_TOOL, SEARCH_TOOL
from models.usage import LlmUsage


class PredicateOp(StrEnum):
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    EQ = "eq"
    NE = "ne"
    EMPTY = "empty"
    NOT_EMPTY = "not_empty"


class Predicate(BaseModel):
    """A structured test of an earlier output, e.g. ``{"ref": "$search_1.count", "op": "lt",
    "value": 3}``. Never evaluated as code."""

    model_config = ConfigDict(frozen=True)

    ref: str = Field(description="Reference to an earlier output, '$step.field'.")
    op: PredicateOp
    value: Any = None


class StepPolicy(BaseModel):
    """Retry and timeout policy, copied from the tool's registry entry so the workflow needs no
    registry."""

    model_config = ConfigDict(frozen=True)

    start_to_close_seconds: float = 30.0
    heartbeat_seconds: float | None = None
    max_attempts: int = 3
    initial_interval_seconds: float = 0.2
    backoff_coefficient: float = 2.0
    maximum_interval_seconds: float = 5.0
    non_retryable_error_types: tuple[str, ...] = ()
    reliability_weight: float = Field(
        default=1.0, ge=0.0, le=1.0, description="Factor the step's confidence is scaled by."
    )
    accepts_missing_inputs: bool = Field(
        default=False, description="Run with inputs from failed steps left out, not skip."
    )


class Step(BaseModel):
    """One tool call in the plan."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Unique step id; also the activity id in the Temporal history.")
    tool: str = Field(description="Registered tool name.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Tool arguments; strings '$step.field' are references."
    )
    depends_on: tuple[str, ...] = Field(
        default=(), description="Steps that must finish first (references add theirs implicitly)."
    )
    description: str = ""
    condition: Predicate | None = Field(
        default=None, description="Run only when this holds; otherwise the step is skipped."
    )
    for_each: str | None = Field(
        default=None,
        description="Reference to a list output: run the step once per item, bound to '$item'.",
    )
    max_items: int = Field(default=20, ge=1, le=1000)
    repeat_until: Predicate | None = Field(
        default=None,
        description="Repeat the step until this holds over its own output ('$self.field').",
    )
    max_iterations: int = Field(default=3, ge=1, le=20)
    fallback: tuple[str, ...] = Field(
        default=(), description="Tools to try, in order, before the registered alternatives."
    )
    optional: bool = Field(
        default=False, description="A failure of this step never triggers a replan."
    )
    policy: StepPolicy = Field(default_factory=StepPolicy)


class Plan(BaseModel):
    """A validated DAG of steps whose ``answer_step`` produces the answer."""

    model_config = ConfigDict(frozen=True)

    query: str
    query_type: QueryType
    strategy: Strategy = Strategy.PARALLEL
    steps: tuple[Step, ...]
    answer_step: str = Field(description="Id of the step whose output is the answer.")
    reasoning: str = ""
    source: str = Field(default="template", description="template | llm | replan")

    @model_validator(mode="after")
    def _answer_step_exists(self) -> Plan:
        if self.steps and self.answer_step not in {s.id for s in self.steps}:
            raise ValueError(f"answer_step {self.answer_step!r} is not a step of the plan")
        return self

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def searches_then_answers(self, top_k: int) -> bool:
        """Whether this plan is already what the direct path runs: one ``search_documents``
        over every document for the query itself (at least ``top_k`` passages), and
        ``answer_question`` answering the query from its passages — nothing else. Running the
        direct path after such a plan would repeat it.

        Never raises, whatever the plan's parameters (a client's or an LLM's plan reaches this
        inside the workflow): a ``top_k`` that is not a plain integer (a reference, "5.0")
        does not count as the direct path's."""
        if len(self.steps) != 2:
            return False
        answer = next((s for s in self.steps if s.id == self.answer_step), None)
        search = next((s for s in self.steps if answer is not None and s.id != answer.id), None)
        if answer is None or search is None:
            return False
        if search.tool != SEARCH_TOOL or answer.tool != ANSWER_TOOL:
            return False
        passages = answer.params.get("passages")
        fed = passages if isinstance(passages, list) else [passages]
        searched = search.params.get("top_k", top_k)
        return (
            search.params.get("documents") == ALL_DOCUMENTS
            and search.params.get("query") == self.query
            and type(searched) is int  # not bool, not a string or a reference
            and searched >= top_k
            and answer.params.get("question") == self.query
            and fed == [f"${search.id}.passages"]
            and search.condition is None
            and search.for_each is None
            and answer.for_each is None
        )


class ReplanContext(BaseModel):
    """What a replan knows: what finished (by reference: step ids, tools), and what failed."""

    model_config = ConfigDict(frozen=True)

    attempt: int = Field(ge=1, description="1 for the first replan of a query.")
    failed_step: str
    failed_tools: tuple[str, ...] = Field(
        description="Tools to avoid: they failed with bad input, or failed again after being "
        "tried again in a replan. A failed step whose tool is not here may be tried again."
    )
    error: str
    also_failed: dict[str, str] = Field(
        default_factory=dict,
        description="Other steps the answer needs that failed for good (id -> error); a replan "
        "replaces them too.",
    )
    completed: dict[str, str] = Field(
        default_factory=dict, description="Completed step id -> tool; their outputs may be used."
    )
    previous_plan: Plan


class PlanRequest(BaseModel):
    """Input of the planning activity."""

    model_config = ConfigDict(frozen=True)

    query: str
    documents: tuple[DocumentRef, ...]
    config: QueryConfig = Field(default_factory=QueryConfig)
    given_plan: Plan | None = Field(default=None, description="Validate and use this plan.")
    replan: ReplanContext | None = None
    direct: bool = Field(default=False, description="Plan the direct path (search + answer).")
    history: tuple[PriorTurn, ...] = Field(
        default=(), description="Recent turns of the session, for follow-up questions."
    )


class PlanResponse(BaseModel):
    model_config = ConfigDict(frozen=True)

    plan: Plan
    classification_confidence: float = 1.0
    levels: list[list[str]] = Field(default_factory=list)
    dropped_steps: tuple[str, ...] = ()
    llm_usage: LlmUsage | None = Field(default=None, description="The planner's LLM calls.")
