"""The parser contract: plain text plus the structure that anchors are made from."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A labelled range of the document text (a page or a section)."""

    label: str
    start: int
    end: int


@dataclass(frozen=True)
class Table:
    """A table as rows of cell text (the first row is the header when there is one).

    ``start``/``end`` index the table's rendering in the document text, when the parser knows it.
    """

    rows: list[list[str]]
    page: int | None = None
    caption: str | None = None
    start: int | None = None
    end: int | None = None


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
