"""How a tool is described to planners, the API and the workflow, and what one call of it
returns across Temporal."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, model_validator

from models.documents import Citation, Passage
from models.usage import LlmUsage


class Reliability(StrEnum):
    """How often a tool is expected to succeed; it sets the retry policy of its steps."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    EXPERIMENTAL = "experimental"

    @property
    def weight(self) -> float:
        """The factor a step's confidence is multiplied by for this reliability."""
        return {"high": 1.0, "medium": 0.95, "low": 0.85, "experimental": 0.75}[self.value]


class ToolSpec(BaseModel):
    """A registered tool as data: what the planner sees and what the workflow needs to call it."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Tool name; also the Temporal activity type.")
    description: str = Field(description="First line of the tool's docstring.")
    parameters: dict[str, Any] = Field(description="JSON schema of the tool's parameters.")
    result: dict[str, Any] = Field(description="JSON schema of the tool's result.")
    reliability: Reliability = Reliability.HIGH
    estimated_duration: float = Field(default=1.0, description="Typical seconds per call.")
    alternatives: tuple[str, ...] = Field(
        default=(), description="Tools to try, in order, when this one fails for good."
    )
    idempotent: bool = True
    accepts_missing_inputs: bool = Field(
        default=False,
        description="True when the tool can run with an input from a failed step left out.",
    )


class ToolInfo(ToolSpec):
    """A tool as the planner sees it, with the retry and timeout policy its steps get."""

    max_attempts: int
    start_to_close_seconds: float
    heartbeat_seconds: float | None = None


class ToolCatalog(BaseModel):
    """The tools a worker runs, sorted by name: what its registry holds, as it told
    (``describe_tools``), so a client on another host lists the workers' own tools."""

    model_config = ConfigDict(frozen=True)

    tools: tuple[ToolInfo, ...] = ()

    def names(self) -> list[str]:
        return [t.name for t in self.tools]


class OutputSignals(BaseModel):
    """What docorch reads from any tool's output (its other fields are the tool's own)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    confidence: float | None = Field(
        default=None, description="The tool's own result signal in [0, 1]; None: it has none."
    )
    usage: LlmUsage | None = Field(default=None, description="LLM calls behind the output.")


class ToolCallResult(BaseModel):
    """What a tool activity returns: the tool's output and what the workflow reads from it.

    ``output`` stays JSON rather than a model: tools are plain functions registered at run time
    (tests and users add their own), so the workflow cannot know their result types; their
    schema is the tool's ``ToolSpec.result`` and the registry validated the value against it.
    Later steps refer into it by ``$step.field``; the workflow itself reads only the typed
    fields here and, for answers, ``AnswerOutput``.
    """

    model_config = ConfigDict(frozen=True)

    output: JsonValue = Field(description="The tool's result, as JSON.")
    confidence: float | None = Field(default=None, description="The output's own signal.")
    usage: LlmUsage | None = Field(default=None, description="LLM calls behind the output.")
    attempt: int = Field(default=1, ge=1, description="The attempt that produced it.")
    duration_ms: float = Field(default=0.0, description="The tool's own time.")

    @model_validator(mode="before")
    @classmethod
    def _signals_of_older_results(cls, data: Any) -> Any:
        # results recorded before the signals were fields of their own (histories of queries
        # started by an earlier version) carry them only inside the output
        if isinstance(data, dict) and "confidence" not in data and "usage" not in data:
            signals = signals_of(data.get("output"))
            return {**data, "confidence": signals.confidence, "usage": signals.usage}
        return data


def signals_of(output: object) -> OutputSignals:
    """The confidence and LLM usage a tool output reports (none for a non-object output).
    Raises ValidationError when the output has them in the wrong shape."""
    return OutputSignals.model_validate(output) if isinstance(output, dict) else OutputSignals()


class AnswerOutput(BaseModel):
    """The part of a tool output that answers (Answer, DocumentSummary, Extraction, ...): what
    the workflow reads from the answer step, and from any step for a partial answer."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    answer: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)

    @classmethod
    def of(cls, output: object) -> AnswerOutput | None:
        """The output read as an answer; None when it is not an object of that shape."""
        if not isinstance(output, dict):
            return None
        try:
            return cls.model_validate(output)
        except ValidationError:
            return None


class ForEachOutput(BaseModel):
    """The output of a for_each step: the outputs of the items that succeeded, in order."""

    model_config = ConfigDict(frozen=True)

    items: list[JsonValue]
    count: int
    confidence: float = Field(
        description="Mean signal of the items, scaled by the share of items that succeeded."
    )


class ToolFailureDetails(BaseModel):
    """The details a tool activity's ApplicationError carries: the attempt that failed, so the
    workflow can count the attempts a step spent."""

    model_config = ConfigDict(frozen=True)

    attempt: int = Field(ge=1)


class ToolExtensionError(Exception):
    """A tool extension (DOCORCH_TOOLS, ``docorch worker --tools``) that cannot be loaded or
    whose tools cannot be registered; the message, one line, names the extension and why.
    Here rather than beside the loader (``activities.tools.catalog.registry_with``) so that the
    command line can report it without importing the tools."""
