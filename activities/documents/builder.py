"""Build the stored text of a structured document (PDF, DOCX, HTML, RST) block by block.

Structured formats are stored as light Markdown so every format reads — and is cut into
sentences — the same way: headings become ``#`` lines (level = number of ``#``), paragraphs are
single lines separated by blank lines, and tables become pipe tables whose offsets are kept, so a
table can be cited exactly. Offsets recorded here index the final text.
"""

from __future__ import annotations

import re

from activities.documents.parsed import ParsedDocument, Span, Table
from activities.documents.text_parsers import sections_from_headings

_SPACES = re.compile(r"\s+")
MAX_HEADING_LEVEL = 6


def clean_inline(text: str) -> str:
    """Whitespace runs (newlines included) collapsed to one space, ends trimmed."""
    return _SPACES.sub(" ", text).strip()


def _cell(text: str) -> str:
    return clean_inline(text).replace("|", "\\|")


def render_table(rows: list[list[str]]) -> str:
    """A pipe table: the first row is the header, then a separator, then the other rows."""
    width = max(len(r) for r in rows)
    padded = [[_cell(c) for c in r] + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(padded[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(r) + " |" for r in padded[1:]]
    return "\n".join(lines)


def clean_rows(rows: list[list[str | None]]) -> list[list[str]]:
    """Cells as clean strings; rows with no text at all are dropped."""
    cleaned = [[clean_inline(c or "") for c in row] for row in rows]
    return [row for row in cleaned if any(row)]


class TextBuilder:
    """Accumulates headings, paragraphs, tables and pages into a ParsedDocument."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._headings: list[tuple[int, int, str]] = []
        self._tables: list[Table] = []
        self._pages: list[Span] = []
        self._page_open: tuple[int, int | None] | None = None

    @property
    def offset(self) -> int:
        return self._length

    def _block(self, text: str) -> tuple[int, int]:
        if self._length:
            self._append("\n\n")
        start = self._length
        if self._page_open is not None and self._page_open[1] is None:
            self._page_open = (self._page_open[0], start)
        self._append(text)
        return start, self._length

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)

    def heading(self, level: int, title: str) -> None:
        title = clean_inline(title)
        if not title:
            return
        level = max(1, min(MAX_HEADING_LEVEL, level))
        start, _ = self._block("#" * level + " " + title)
        self._headings.append((start, level, title))

    def paragraph(self, text: str, *, preformatted: bool = False) -> None:
        body = text.strip("\n") if preformatted else clean_inline(text)
        if body.strip():
            self._block(body)

    def table(
        self, rows: list[list[str]], *, page: int | None = None, caption: str | None = None
    ) -> None:
        rows = [r for r in rows if any(c.strip() for c in r)]
        if not rows:
            return
        start, end = self._block(render_table(rows))
        self._tables.append(Table(rows=rows, page=page, caption=caption, start=start, end=end))

    def start_page(self, number: int) -> None:
        """Blocks added from now on are on page ``number`` (1-based)."""
        self.end_page()
        self._page_open = (number, None)

    def end_page(self) -> None:
        if self._page_open is not None:
            number, start = self._page_open
            # a page without text still counts: an empty span keeps the page numbering right
            begin = self._length if start is None else start
            self._pages.append(Span(str(number), begin, self._length))
            self._page_open = None

    @property
    def has_text(self) -> bool:
        return bool("".join(self._parts).strip())

    def build(self, *, format: str, title: str | None, warnings: list[str]) -> ParsedDocument:
        self.end_page()
        text = "".join(self._parts)
        return ParsedDocument(
            text=text,
            format=format,
            title=title or next((t for _, level, t in self._headings if level == 1), None),
            pages=list(self._pages),
            sections=sections_from_headings(text, self._headings),
            tables=list(self._tables),
            warnings=warnings,
        )
