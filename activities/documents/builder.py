"""Build the stored text of a structured document (PDF, DOCX, HTML, RST) block by block.

Structured formats are stored as light Markdown so every format reads — and is cut into
sentences — the same way: headings become ``#`` lines (level = number of ``#``), paragraphs are
single lines separated by blank lines, and tables become pipe tables whose offsets are kept, so a
table can be cited exactly. Offsets recorded here index the final text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from activities.documents.parsed import ParsedDocument, Span, Table
from activities.documents.text_parsers import sections_from_headings

_SPACES = re.compile(r"\s+")
MAX_HEADING_LEVEL = 6


def clean_inline(text: str) -> str:
    """Whitespace runs (newlines included) collapsed to one space, ends trimmed."""
    return _SPACES.sub(" ", text).strip()


def _cell(text: str) -> str:
    return clean_inline(text).replace("|", "\\|")


TABLE_BLOCK_CHARS = 800
"""A longer table is stored as consecutive pipe tables of about this size, each under the same
header, so every chunk of it carries its header (chunks hold about 900 characters)."""


def render_table(rows: list[list[str]], *, block_chars: int = TABLE_BLOCK_CHARS) -> str:
    """A pipe table: the first row is the header, then a separator, then the other rows; past
    ``block_chars`` the header and separator are repeated (a blank line between the parts)."""
    width = max(len(r) for r in rows)
    padded = [[_cell(c) for c in r] + [""] * (width - len(r)) for r in rows]
    head = "| " + " | ".join(padded[0]) + " |\n|" + " --- |" * width
    blocks: list[str] = []
    current = head
    for row in padded[1:]:
        line = "| " + " | ".join(row) + " |"
        if current != head and len(current) + 1 + len(line) > block_chars:
            blocks.append(current)
            current = head
        current += "\n" + line
    blocks.append(current)
    return "\n\n".join(blocks)


STACKED_MIN_LINES = 3
STACKED_SHORT_LINE = 25


def _unstack(row: Sequence[str | None]) -> list[Sequence[str | None]]:
    """A row whose cells each hold the same number of lines is several rows stacked in one
    (a PDF table without rules between its rows: "clk / timer clk / reset" beside "1 / 1 / 1");
    it is split back into one row per line. Two lines per cell split only when every line is
    short, since a long cell that wraps onto two lines is still one row."""
    lines = [(c or "").strip().split("\n") for c in row]
    filled = [cell for cell, text in zip(lines, row, strict=True) if (text or "").strip()]
    counts = {len(cell) for cell in filled}
    if len(filled) < 2 or len(counts) != 1:
        return [row]
    count = counts.pop()
    short = all(len(line) <= STACKED_SHORT_LINE for cell in filled for line in cell)
    if count < 2 or (count < STACKED_MIN_LINES and not short):
        return [row]
    return [
        [cell[i] if (text or "").strip() else "" for cell, text in zip(lines, row, strict=True)]
        for i in range(count)
    ]


def _merged_once(row: list[str]) -> list[str]:
    """A merged cell the extractor repeated in every column it spans is kept once, in its
    first column, so the other columns keep their own (empty) content."""
    kept: list[str] = []
    for index, cell in enumerate(row):
        kept.append("" if index and cell and cell == row[index - 1] else cell)
    return kept


def clean_rows(rows: Sequence[Sequence[str | None]]) -> list[list[str]]:
    """Cells as clean strings, stacked rows split apart, merged cells once; rows with no text
    at all are dropped."""
    cleaned = [
        _merged_once([clean_inline(c or "") for c in part])
        for row in rows
        for part in _unstack(row)
    ]
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
        self._body = False

    @property
    def offset(self) -> int:
        return self._length

    def _block(self, text: str, *, body: bool = True) -> tuple[int, int]:
        self._body = self._body or (body and bool(text.strip()))
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

    def fields(self, pairs: list[tuple[str, str]]) -> None:
        """A block of ``Name: value`` lines (a document's header fields or metadata), one field
        per line, so each can be quoted on its own."""
        lines = [
            f"{clean_inline(k)}: {clean_inline(v)}" for k, v in pairs if k.strip() and v.strip()
        ]
        if lines:
            self._block("\n".join(lines), body=False)

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

    @property
    def has_body(self) -> bool:
        """Whether anything beside header fields was added (a document of metadata alone has
        no text to read)."""
        return self._body

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
