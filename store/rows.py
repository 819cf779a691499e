"""Store rows to the records callers see: one reading of a document row and a chunk row for
every backend (SQLite rows and PostgreSQL dict rows are both read by column name)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from models.documents import Anchor, DocumentRef, Passage


class Row(Protocol):
    """A database row read by column name."""

    def __getitem__(self, column: str, /) -> Any: ...


def document_ref(row: Row) -> DocumentRef:
    """A ``documents`` row as the DocumentRef callers get."""
    return DocumentRef(
        id=row["id"],
        name=row["name"],
        format=row["format"],
        title=row["title"],
        pages=row["pages"],
        size_bytes=row["size_bytes"],
        chunks=row["chunks"],
    )


def passage(row: Row, names: Mapping[str, str], score: float = 0.0) -> Passage:
    """A ``chunks`` row as a Passage; ``names`` maps document ids to names (an id not in it
    stands for its own name)."""
    return Passage(
        id=f"{row['document_id']}:{row['seq']}",
        document_id=row["document_id"],
        document_name=names.get(row["document_id"], row["document_id"]),
        text=row["text"],
        anchor=Anchor(
            page=row["page"],
            section=row["section"],
            char_start=row["char_start"],
            char_end=row["char_end"],
        ),
        score=score,
    )


def passage_parts(passage_id: str) -> tuple[str, int] | None:
    """``(document id, seq)`` of a passage id ``<document id>:<seq>``, or None when malformed."""
    doc_id, _, seq = passage_id.rpartition(":")
    return (doc_id, int(seq)) if seq.isdigit() else None
