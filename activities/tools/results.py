"""Result models of the built-in tools. Every tool reports a ``confidence`` signal in [0, 1];
tools that can end a plan also carry ``answer`` and ``citations``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from models.documents import Citation, DocumentRef, Passage


class SearchResult(BaseModel):
    passages: list[Passage]
    count: int
    documents_covered: int
    confidence: float = Field(description="Share of query terms the top passages contain.")


class Answer(BaseModel):
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    confidence: float = Field(description="How well the quoted sentences support the answer.")
    passages: list[Passage] = Field(default_factory=list)


class AnswerPart(BaseModel):
    """Any tool output that can be part of a composed answer (extra fields are ignored)."""

    label: str = ""
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    confidence: float = 0.0
    passages: list[Passage] = Field(default_factory=list)


class DocumentSummary(BaseModel):
    document: DocumentRef
    label: str = Field(default="", description="The document's name, for composed answers.")
    answer: str = Field(description="The summary text.")
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    sections_covered: int = 0
    sections_total: int = 0
    confidence: float = 0.0
