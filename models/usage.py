"""LLM usage: tokens and estimated cost, of one tool output, one plan or a whole query."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LlmUsage(BaseModel):
    """Tokens and estimated cost of LLM calls: of one tool output, one plan, or a whole query."""

    model_config = ConfigDict(frozen=True)

    calls: int = Field(default=0, description="Completed chat-completion calls.")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = Field(default=0.0, description="Estimate from the configured price table.")
    budget_exhausted: bool = Field(
        default=False, description="A call was not made because max_llm_tokens was spent."
    )
    fallbacks: int = Field(
        default=0, description="Times an LLM path gave way to a template or an extractive tool."
    )

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: LlmUsage) -> LlmUsage:
        return LlmUsage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 8),
            budget_exhausted=self.budget_exhausted or other.budget_exhausted,
            fallbacks=self.fallbacks + other.fallbacks,
        )
