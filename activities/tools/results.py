"""Result models of the built-in tools. Every tool reports a ``confidence`` signal in [0, 1];
tools that can end a plan also carry ``answer`` and ``citations``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from activities.tools.entity_patterns import EntityKind
from models.documents import Citation, DocumentRef, Passage
from models.usage import LlmUsage

USAGE_DESCRIPTION = "LLM calls behind this output (None: no LLM configured); summed per query."
NOTE_DESCRIPTION = "Why the LLM path was not used, when an LLM is configured."


class SearchResult(BaseModel):
    passages: list[Passage]
    count: int
    documents_covered: int
    sufficient: bool = Field(
        default=True,
        description="True when the search found as much as it can: at least 2 passages (or "
        "top_k, or every chunk the documents have). Broadening loops stop on it.",
    )
    confidence: float = Field(description="Share of query terms the top passages contain.")


class Answer(BaseModel):
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    confidence: float = Field(description="How well the quoted sentences support the answer.")
    passages: list[Passage] = Field(default_factory=list)
    usage: LlmUsage | None = Field(default=None, description=USAGE_DESCRIPTION)
    note: str | None = Field(default=None, description=NOTE_DESCRIPTION)


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
    usage: LlmUsage | None = Field(default=None, description=USAGE_DESCRIPTION)
    note: str | None = Field(default=None, description=NOTE_DESCRIPTION)


class Entity(BaseModel):
    """One entity mention, with the citation of its exact text."""

    kind: EntityKind
    text: str = Field(description="The mention exactly as written.")
    value: str = Field(
        description="Normalised: ISO date ('2025-03' for a month), 'EUR 12000.00', '99.5%', "
        "a lower-cased email, the full organisation name."
    )
    confidence: float
    amount: float | None = Field(default=None, description="Numeric value of amounts/percentages.")
    currency: str | None = Field(default=None, description="ISO 4217 code of amounts.")
    related_date: str | None = Field(
        default=None,
        description="For an amount: the ISO date in its sentence (e.g. when it is due).",
    )
    citation: Citation


class Extraction(BaseModel):
    """Entities found in one document, the kinds asked for, and any date filter applied."""

    document: DocumentRef
    label: str = Field(description="The document's name, for composed answers.")
    answer: str = Field(description="The entities by kind, with normalised values.")
    citations: list[Citation] = Field(default_factory=list)
    confidence: float = Field(
        description="Mean confidence of the entities reported, lowered when kinds asked for "
        "were not found."
    )
    passages: list[Passage] = Field(default_factory=list)
    kinds: list[EntityKind] = Field(description="The kinds extracted, in order of priority.")
    filters: list[str] = Field(default_factory=list, description="Filters read from the query.")
    entities: list[Entity] = Field(default_factory=list)
    truncated: bool = Field(default=False, description="True when mentions were left out.")
    usage: LlmUsage | None = Field(default=None, description=USAGE_DESCRIPTION)
    note: str | None = Field(default=None, description=NOTE_DESCRIPTION)


class ExtractedTable(BaseModel):
    index: int = Field(description="1-based position of the table in the document.")
    page: int | None = None
    caption: str | None = None
    columns: list[str] = Field(description="Header cells (the first row).")
    rows: list[list[str]] = Field(description="Body rows, cells as text.")
    citation: Citation | None = Field(default=None, description="The table's text in the document.")


class TableExtraction(BaseModel):
    document: DocumentRef
    label: str = Field(description="The document's name, for composed answers.")
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    confidence: float = Field(
        description="How regular the tables are (consistent column counts, filled cells)."
    )
    passages: list[Passage] = Field(default_factory=list)
    tables: list[ExtractedTable] = Field(default_factory=list)


class SectionPair(BaseModel):
    section_a: str
    section_b: str
    similarity: float = Field(description="Heading similarity in [0, 1].")
    identical: bool = Field(description="True when the two sections' text is the same.")


class OneSided(BaseModel):
    """A section or sentence that only one of the two documents has."""

    section: str
    whole_section: bool = Field(
        default=False,
        description="True: the whole section (cited by its heading); else a sentence.",
    )
    citation: Citation


class Difference(BaseModel):
    """A value that differs between aligned passages of the two documents."""

    kind: str = Field(
        description="amount, date, percentage, duration, number, party, email or text."
    )
    section: str = Field(description="The aligned section (as titled in document A).")
    value_a: str
    value_b: str
    citation_a: Citation = Field(description="The sentence in document A holding value_a.")
    citation_b: Citation = Field(description="The sentence in document B holding value_b.")


class Comparison(BaseModel):
    document_a: DocumentRef
    document_b: DocumentRef
    label: str = Field(description="'a vs b', for composed answers.")
    answer: str = Field(description="The differences, then what only one document has.")
    citations: list[Citation] = Field(default_factory=list)
    confidence: float = Field(description="How well the two documents' sections align.")
    passages: list[Passage] = Field(default_factory=list)
    sections_aligned: int = Field(default=0, description="Section pairs aligned in all.")
    sections_identical: int = Field(default=0, description="Aligned pairs with the same text.")
    aligned: list[SectionPair] = Field(
        default_factory=list, description="Aligned section pairs (at most 100; differing first)."
    )
    differences: list[Difference] = Field(default_factory=list)
    only_in_a: list[OneSided] = Field(default_factory=list)
    only_in_b: list[OneSided] = Field(default_factory=list)
    usage: LlmUsage | None = Field(default=None, description=USAGE_DESCRIPTION)
    note: str | None = Field(default=None, description=NOTE_DESCRIPTION)
