"""Documents, passages and citations: how text is referred to without being carried around."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

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


# ---- how a query names its documents ------------------------------------------------------------

CONTENT_SCHEME = "content:"
FILE_SCHEME = "file:"
_CONTENT_REFERENCE = re.compile(r"content:(?P<id>[^/]*)(?:/(?P<name>.*))?", re.DOTALL)
CONTENT_ID = re.compile(r"[0-9a-f]{16}")
"""A content id: the first 16 hex digits of the bytes' SHA-256 (``store.content_id``)."""


class InvalidDocumentReference(ValueError):
    """A document reference that follows none of the forms ``parse_document_source`` reads."""


class StoredContent(BaseModel):
    """Bytes a client put into the document store (the claim check), by content id, with the
    file name they came from: its extension decides the format, as for a file.
    Written ``content:<id>/<name>``."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["content"] = "content"
    content_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    name: str = Field(min_length=1, pattern=r"^[^/\\]+$")

    def reference(self) -> str:
        """The reference's text form, ``content:<id>/<name>``."""
        return f"{CONTENT_SCHEME}{self.content_id}/{self.name}"


class WorkerFile(BaseModel):
    """A file on the worker's own disk (a corpus mounted on the workers), read only under
    DOCORCH_ALLOWED_ROOTS. Written ``file:<path>`` (or ``file:///<absolute path>``)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["file"] = "file"
    path: str = Field(min_length=1)


class StoredDocument(BaseModel):
    """Anything else: an ingested document's id, unique id prefix or file name. For backward
    compatibility, a plain path (containing a slash or an extension) that names no ingested
    document is read as ``file:<path>``."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["stored"] = "stored"
    key: str = Field(min_length=1)


DocumentSource = StoredContent | WorkerFile | StoredDocument


def content_reference(content_id: str, name: str) -> str:
    """``content:<id>/<name>`` for bytes put into the store from a file called ``name`` (only
    its last path component is kept)."""
    base = re.split(r"[/\\]", name)[-1]
    return StoredContent(content_id=content_id, name=base).reference()


def parse_document_source(text: str) -> DocumentSource:
    """What a document reference names: ``content:<id>/<name>`` (StoredContent),
    ``file:<path>`` (WorkerFile), else an ingested document (StoredDocument).
    Raises InvalidDocumentReference for a malformed ``content:`` or ``file:`` reference, and
    for any reference with a NUL byte (no file name, path or id has one)."""
    if "\0" in text:
        raise InvalidDocumentReference(
            f"{text!r}: a document reference has no NUL bytes (name a path, an id or content)"
        )
    if text.startswith(CONTENT_SCHEME):
        match = _CONTENT_REFERENCE.fullmatch(text)
        content_id, name = (match["id"], match["name"]) if match else ("", None)
        if not CONTENT_ID.fullmatch(content_id):
            raise InvalidDocumentReference(
                f"{text}: not a content id (16 lower-case hex digits, as put_content returns)"
            )
        if not name or "/" in name or "\\" in name:
            raise InvalidDocumentReference(
                f"{text}: name the file the bytes came from, e.g. "
                f"{CONTENT_SCHEME}{content_id}/report.pdf (its extension decides the format)"
            )
        return StoredContent(content_id=content_id, name=name)
    if text.startswith(FILE_SCHEME):
        path = text[len(FILE_SCHEME) :]
        if path.startswith("///"):
            path = path[2:]
        if not path:
            raise InvalidDocumentReference(f"{text}: no path after {FILE_SCHEME}")
        return WorkerFile(path=path)
    if not text.strip():
        raise InvalidDocumentReference("an empty document reference")
    return StoredDocument(key=text)
