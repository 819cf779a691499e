"""From page layouts to the stored text: running lines dropped, headings, paragraphs, tables.

Reader-independent: the fast PDFium reader and the fallbacks hand over the same
:class:`PageLayout` s. Headings are lines set clearly larger than the body, or bold short lines;
the largest heading size is level 1. Lines join into paragraphs (hyphenated words rejoined) until
a gap, a list item, a size change or a column break ends one. Headers and footers that repeat on
most pages, and page numbers, are dropped.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter

from activities.documents.builder import TextBuilder, clean_inline
from activities.documents.pdf_layout import Item, Line, PageLayout, TableBlock

HEADING_SIZE_RATIO = 1.15
"""A line this much larger than the body text is a heading."""
MARGIN_SHARE = 0.08
"""Top and bottom share of the page where running headers and footers live."""
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?[-–—(]?\s*\d+\s*[-–—)]?(?:\s*(?:of|/)\s*\d+)?$", re.IGNORECASE
)
_LIST_ITEM = re.compile(r"^(?:[-•*–·▪]|\d+[.)]|[a-z][.)])\s")
_BULLET = re.compile(r"^[-•*–·▪]\s")
_SENTENCE_END = (".", "!", "?", ":", ";")


def _margin_key(line: Line, height: float) -> str | None:
    if line.top > height * MARGIN_SHARE and line.bottom < height * (1 - MARGIN_SHARE):
        return None
    return _DIGITS.sub("#", line.text.lower())


def drop_running_lines(pages: list[PageLayout]) -> None:
    """Remove page numbers and headers/footers repeated on at least half the pages."""
    seen: Counter[str] = Counter()
    for page in pages:
        keys = {_margin_key(i, page.height) for i in page.items if isinstance(i, Line)}
        seen.update(k for k in keys if k)
    repeated = {k for k, n in seen.items() if len(pages) >= 2 and n >= max(2, len(pages) / 2)}
    for page in pages:
        page.items = [
            i
            for i in page.items
            if not (
                isinstance(i, Line)
                and (key := _margin_key(i, page.height)) is not None
                and (key in repeated or _PAGE_NUMBER.match(i.text.strip()))
            )
        ]


def _body_style(pages: list[PageLayout]) -> tuple[float, bool]:
    """The size and boldness most of the text is set in."""
    sizes: Counter[float] = Counter()
    bold: Counter[bool] = Counter()
    for page in pages:
        for item in page.items:
            if isinstance(item, Line):
                sizes[round(item.size, 1)] += len(item.text)
                bold[item.bold] += len(item.text)
    if not sizes:
        return 10.0, False
    return sizes.most_common(1)[0][0], bold.most_common(1)[0][0]


def _is_heading(line: Line, body_size: float, body_bold: bool) -> bool:
    text = line.text.strip()
    if len(text) > 120 or not any(c.isalpha() for c in text) or _BULLET.match(text):
        return False
    if line.size >= body_size * HEADING_SIZE_RATIO:
        return True
    return line.bold and not body_bold and len(text) <= 80 and not text.endswith(_SENTENCE_END)


def _heading_levels(pages: list[PageLayout], body_size: float, body_bold: bool) -> dict[float, int]:
    """Heading size -> level: the largest size is level 1; bold body-size headings come last."""
    sizes = {
        round(i.size, 1)
        for p in pages
        for i in p.items
        if isinstance(i, Line) and _is_heading(i, body_size, body_bold)
    }
    return {size: level for level, size in enumerate(sorted(sizes, reverse=True)[:6], start=1)}


def _join_line(paragraph: str, text: str) -> str:
    if not paragraph:
        return text
    if (
        paragraph.endswith("-")
        and len(paragraph) > 1
        and paragraph[-2].isalpha()
        and text[:1].islower()
    ):
        return paragraph[:-1] + text
    return f"{paragraph} {text}"


def _paragraph_gap(lines: list[Line]) -> float:
    gaps = [b.top - a.bottom for a, b in itertools.pairwise(lines) if 0 <= b.top - a.bottom < 40]
    return statistics.median(gaps) if gaps else 4.0


def _emit_page(
    builder: TextBuilder, page: PageLayout, body: tuple[float, bool], levels: dict[float, int]
) -> None:
    body_size, body_bold = body
    builder.start_page(page.number)
    lines = [i for i in page.items if isinstance(i, Line)]
    threshold = _paragraph_gap(lines) + max(2.0, 0.35 * body_size)
    paragraph = ""
    previous: Item | None = None
    heading: tuple[int, str, Line] | None = None

    def flush() -> None:
        nonlocal paragraph, heading
        if heading:
            builder.heading(heading[0], heading[1])
            heading = None
        if paragraph:
            builder.paragraph(paragraph)
            paragraph = ""

    for item in page.items:
        if isinstance(item, TableBlock):
            flush()
            builder.table(item.rows, page=page.number)
            previous = item
            continue
        text = clean_inline(item.text)
        if _is_heading(item, body_size, body_bold):
            level = levels.get(round(item.size, 1), len(levels) or 1)
            if heading and heading[0] == level and 0 <= item.top - heading[2].bottom < item.size:
                heading = (level, f"{heading[1]} {text}", item)  # a heading wrapped over two lines
            else:
                flush()
                heading = (level, text, item)
            previous = item
            continue
        if heading:
            flush()
        if paragraph and isinstance(previous, Line):
            gap = item.top - previous.bottom
            column_jump = gap < -previous.size
            new_paragraph = (
                gap > threshold
                or _LIST_ITEM.match(text) is not None
                or abs(item.size - previous.size) > 1.0
                or (column_jump and paragraph.endswith(_SENTENCE_END))
            )
            if new_paragraph:
                flush()
        paragraph = _join_line(paragraph, text)
        previous = item
    flush()
    builder.end_page()


def assemble(pages: list[PageLayout], fields: list[tuple[str, str]] | None = None) -> TextBuilder:
    """The pages' headings, paragraphs and tables, page by page, in a TextBuilder; ``fields``
    (the document's metadata) open it, on no page."""
    body = _body_style(pages)
    levels = _heading_levels(pages, *body)
    builder = TextBuilder()
    builder.fields(fields or [])
    for page in pages:
        _emit_page(builder, page, body, levels)
    return builder
