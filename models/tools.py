"""How a tool is described to planners, the API and the workflow."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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
