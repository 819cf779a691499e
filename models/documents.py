"""Documents, passages and citations: how text is referred to without being carried around."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Anchor(BaseModel):
    """Where a piece of text lives inside its document."""

    model_config = ConfigDict(frozen=True)

    page: int | None = Field(default=None, description="1-based page number (paged formats).")
    section: str | None = Field(
        default=None, description="Heading path, e.g. '7. Termination > 7.2 Notice'."
    )
    char_start: int = Field(description="Offset of the first character in the document text.")
    char_end: int = Field(description="Offset one past the last character.")

    def label(self) -> str:
        """A short human label such as 'page 3, §7.2 Notice'."""
        parts: list[str] = []
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.section:
            parts.append(f"§{self.section.split(' > ')[-1]}")
        if not parts:
            parts.append(f"chars {self.char_start}-{self.char_end}")
        return ", ".join(parts)


class DocumentStatus(StrEnum):
    READY = "ready"
    FAILED = "failed"


class DocumentRef(BaseModel):
    """A reference to an ingested document. Documents travel by reference, never by content."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Content address of the document (sha256 prefix).")
    name: str = Field(description="File name the document was ingested from.")
    format: str = Field(default="txt", description="Parsed format: txt, md, pdf, docx, ...")
    title: str | None = Field(default=None, description="Title found in the document, if any.")
    pages: int | None = Field(default=None, description="Page count for paged formats.")
    size_bytes: int = Field(default=0, description="Size of the original file in bytes.")
    chunks: int = Field(default=0, description="Number of indexed chunks.")


class Table(BaseModel):
    """A table as rows of cell text (the first row is the header when there is one).

    ``start``/``end`` index the table's rendering in the document text, when the parser knows it.
    """

    model_config = ConfigDict(frozen=True)

    rows: list[list[str]]
    page: int | None = None
    caption: str | None = None
    start: int | None = None
    end: int | None = None


class StoreStats(BaseModel):
    """What the document store holds."""

    model_config = ConfigDict(frozen=True)

    documents: int = Field(description="Documents ingested.")
    chunks: int = Field(description="Chunks in the full-text index.")
    index_bytes: int = Field(description="Bytes the documents, chunks and index take.")


class Passage(BaseModel):
    """A chunk of a document's text with its anchor, as returned by search and the tools."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable passage id: '<document id>:<chunk number>'.")
    document_id: str
    document_name: str
    text: str
    anchor: Anchor
    score: float = Field(default=0.0, description="Relevance score; higher is better.")


class Citation(BaseModel):
    """What an answer rests on: the document, the anchor and the quoted text."""

    model_config = ConfigDict(frozen=True)

    passage_id: str
    document_id: str
    document_name: str
    anchor: Anchor
    quote: str = Field(description="The exact text, as it stands in the document.")

    def label(self) -> str:
        return f"{self.document_name}, {self.anchor.label()}"
