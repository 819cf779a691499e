"""Reading order of one PDF page: words to lines, two-column detection, table placement.

Pure geometry over word and table boxes — whichever reader found them (pypdfium2 text runs or
pdfplumber words) — so it can be reasoned about (and tested) without a PDF. Units are PDF
points; ``top`` grows downwards.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

LINE_TOLERANCE = 2.5
"""Words whose tops differ by at most this many points sit on the same line."""
FRAGMENT_GAP_EM = 1.2
"""A horizontal gap wider than this many font sizes splits a line into fragments (columns)."""


@dataclass(frozen=True)
class Line:
    """A line (or, in a multi-column page, a column's part of a line) of text."""

    text: str
    top: float
    bottom: float
    x0: float
    x1: float
    size: float
    bold: bool


@dataclass(frozen=True)
class TableBlock:
    rows: list[list[str]]
    top: float
    bottom: float
    x0: float
    x1: float


Item = Line | TableBlock
Box = tuple[float, float, float, float]
"""(x0, top, x1, bottom)"""


@dataclass(frozen=True, slots=True)
class Word:
    """A word — or a run of words set in one go, as pypdfium2 reports text — with its box."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool


@dataclass
class PageLayout:
    """One page's content in reading order, as the structure step reads it."""

    number: int
    height: float
    items: list[Item]
    two_columns: bool = False


def is_bold(fontname: str) -> bool:
    """Whether a font name says bold (``Helvetica-Bold``, ``ABCDEF+Arial-BlackMT``, …)."""
    lowered = fontname.lower()
    return any(mark in lowered for mark in ("bold", "black", "heavy", "semibold"))


def pdfplumber_words(words: Sequence[dict[str, Any]]) -> list[Word]:
    """pdfplumber's ``extract_words(extra_attrs=["size", "fontname"])`` as Words."""
    return [
        Word(
            text=str(w["text"]),
            x0=float(w["x0"]),
            x1=float(w["x1"]),
            top=float(w["top"]),
            bottom=float(w["bottom"]),
            size=float(w.get("size", 0.0)),
            bold=is_bold(str(w.get("fontname", ""))),
        )
        for w in words
    ]


def plain_items(text: str) -> list[Item]:
    """Text without geometry (a fallback reader's) as lines: blank lines separate paragraphs."""
    items: list[Item] = []
    top = 0.0
    for raw in text.splitlines():
        top += 12.0 if raw.strip() else 24.0
        if raw.strip():
            items.append(Line(raw.strip(), top, top + 10.0, 0.0, 0.0, 10.0, False))
    return items


def _inside(word: Word, box: Box) -> bool:
    x0, top, x1, bottom = box
    cx = (word.x0 + word.x1) / 2
    cy = (word.top + word.bottom) / 2
    return x0 - 1 <= cx <= x1 + 1 and top - 1 <= cy <= bottom + 1


def _line_of(words: Sequence[Word]) -> Line:
    first = words[0]
    top, bottom, x0, x1, size = first.top, first.bottom, first.x0, first.x1, first.size
    chars = bold_chars = 0
    for w in words:
        top, bottom = min(top, w.top), max(bottom, w.bottom)
        x0, x1, size = min(x0, w.x0), max(x1, w.x1), max(size, w.size)
        chars += len(w.text)
        bold_chars += len(w.text) if w.bold else 0
    text = " ".join(w.text for w in words) if len(words) > 1 else first.text
    return Line(text, top, bottom, x0, x1, size, bold_chars >= 0.8 * chars)


def _rows_of_words(words: Sequence[Word]) -> list[list[Word]]:
    """Words grouped into visual rows, each row sorted left to right."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (round(w.top, 1), w.x0)):
        if rows and abs(word.top - rows[-1][0].top) <= LINE_TOLERANCE:
            rows[-1].append(word)
        else:
            rows.append([word])
    return [sorted(row, key=lambda w: w.x0) for row in rows]


def _fragments(row: list[Word]) -> list[list[Word]]:
    """A row split wherever the gap between words is wider than FRAGMENT_GAP_EM."""
    pieces: list[list[Word]] = [[row[0]]]
    for word in row[1:]:
        previous = pieces[-1][-1]
        size = word.size or 10.0
        if word.x0 - previous.x1 > FRAGMENT_GAP_EM * size:
            pieces.append([word])
        else:
            pieces[-1].append(word)
    return pieces


def find_gutter(fragments: Sequence[Line], width: float) -> float | None:
    """The x of the gap between two text columns, or None for a single-column page.

    A gutter is the widest vertical strip in the middle 40% of the page that (almost) no text
    crosses, with real column text — lines that fill their column — on both sides.
    """
    if len(fragments) < 8 or width <= 0:
        return None
    low, high = int(width * 0.3), int(width * 0.7)
    changes = [0] * (high - low + 2)  # +1 where a fragment starts covering, -1 after it ends
    for f in fragments:
        start, end = max(low, int(f.x0)), min(high, int(f.x1))
        if start <= end:
            changes[start - low] += 1
            changes[end - low + 1] -= 1
    coverage = list(itertools.accumulate(changes[:-1]))
    limit = max(1, len(fragments) // 10)
    best: tuple[int, int] | None = None
    run_start: int | None = None
    for index, count in enumerate([*coverage, limit + 1]):
        if count <= limit:
            run_start = index if run_start is None else run_start
        elif run_start is not None:
            if best is None or index - run_start > best[1] - best[0]:
                best = (run_start, index)
            run_start = None
    if best is None or best[1] - best[0] < 6:
        return None
    gutter = low + (best[0] + best[1]) / 2
    left = [f for f in fragments if f.x1 <= gutter]
    right = [f for f in fragments if f.x0 >= gutter]
    spanning = len(fragments) - len(left) - len(right)
    if len(left) < 3 or len(right) < 3 or spanning > len(fragments) * 0.2:
        return None
    left_extent = gutter - min(f.x0 for f in left)
    right_extent = max(f.x1 for f in right) - gutter
    if statistics.median(f.x1 - f.x0 for f in left) < 0.5 * left_extent:
        return None
    if statistics.median(f.x1 - f.x0 for f in right) < 0.5 * right_extent:
        return None
    return gutter


def _column_order(items: list[Item], gutter: float) -> list[Item]:
    """Full-width items in place; between them, the left column then the right column."""
    ordered: list[Item] = []
    left: list[Item] = []
    right: list[Item] = []

    def flush() -> None:
        ordered.extend(sorted(left, key=lambda i: i.top))
        ordered.extend(sorted(right, key=lambda i: i.top))
        left.clear()
        right.clear()

    for item in sorted(items, key=lambda i: (i.top, i.x0)):
        if item.x1 <= gutter + 1:
            left.append(item)
        elif item.x0 >= gutter - 1:
            right.append(item)
        else:
            flush()
            ordered.append(item)
    flush()
    return ordered


def page_items(
    words: Sequence[Word], tables: Sequence[tuple[Box, list[list[str]]]], width: float
) -> tuple[list[Item], bool]:
    """The page's lines and tables in reading order, and whether it was read as two columns.

    ``tables`` are (bbox, rows). Words inside a table box belong to the table and are not
    repeated as lines.
    """
    free = [w for w in words if not any(_inside(w, box) for box, _ in tables)]
    blocks: list[Item] = [
        TableBlock(rows=rows, top=box[1], bottom=box[3], x0=box[0], x1=box[2])
        for box, rows in tables
    ]
    rows = _rows_of_words(free)
    pieces = [_fragments(row) for row in rows]
    fragments = [_line_of(piece) for row_pieces in pieces for piece in row_pieces]
    gutter = find_gutter(fragments, width)
    if gutter is None:
        whole_rows = len(fragments) == len(rows)  # no row split: its fragment is the line
        lines: list[Item] = [*fragments] if whole_rows else [_line_of(row) for row in rows]
        return sorted([*lines, *blocks], key=lambda i: (i.top, i.x0)), False
    return _column_order([*fragments, *blocks], gutter), True
