"""The parser contract: plain text plus the structure that anchors are made from."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.documents import Table  # the store keeps tables, so their model is a contract

__all__ = ["ParsedDocument", "Span", "Table"]


@dataclass(frozen=True)
class Span:
    """A labelled range of the document text (a page or a section)."""

    label: str
    start: int
    end: int


@dataclass
class ParsedDocument:
    """What every parser returns. ``sections`` carry heading paths ('7. Term > 7.2 Notice');
    ``pages`` carry 1-based page numbers as labels. Offsets index into ``text``."""

    text: str
    format: str
    title: str | None = None
    pages: list[Span] = field(default_factory=list)
    sections: list[Span] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def page_count(self) -> int | None:
        return len(self.pages) or None
