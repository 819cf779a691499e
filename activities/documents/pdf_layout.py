"""Reading order of one PDF page: words to lines, two-column detection, table placement.

Pure geometry over pdfplumber's word and table boxes, so it can be reasoned about (and tested)
without a PDF. Units are PDF points; ``top`` grows downwards.
"""

from __future__ import annotations

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


def _is_bold(fontname: str) -> bool:
    lowered = fontname.lower()
    return any(mark in lowered for mark in ("bold", "black", "heavy", "semibold"))


def _inside(word: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    cx = (float(word["x0"]) + float(word["x1"])) / 2
    cy = (float(word["top"]) + float(word["bottom"])) / 2
    return x0 - 1 <= cx <= x1 + 1 and top - 1 <= cy <= bottom + 1


def _line_of(words: Sequence[dict[str, Any]]) -> Line:
    sizes = [float(w.get("size", 0.0)) for w in words]
    chars = [len(w["text"]) for w in words]
    bold_chars = sum(
        n for w, n in zip(words, chars, strict=True) if _is_bold(str(w.get("fontname", "")))
    )
    return Line(
        text=" ".join(w["text"] for w in words),
        top=min(w["top"] for w in words),
        bottom=max(w["bottom"] for w in words),
        x0=min(w["x0"] for w in words),
        x1=max(w["x1"] for w in words),
        size=max(sizes) if sizes else 0.0,
        bold=bold_chars >= 0.8 * sum(chars),
    )


def _rows_of_words(words: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Words grouped into visual rows, each row sorted left to right."""
    rows: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (round(w["top"], 1), w["x0"])):
        if rows and abs(word["top"] - rows[-1][0]["top"]) <= LINE_TOLERANCE:
            rows[-1].append(word)
        else:
            rows.append([word])
    return [sorted(row, key=lambda w: w["x0"]) for row in rows]


def _fragments(row: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A row split wherever the gap between words is wider than FRAGMENT_GAP_EM."""
    pieces: list[list[dict[str, Any]]] = [[row[0]]]
    for word in row[1:]:
        previous = pieces[-1][-1]
        size = float(word.get("size", 10.0)) or 10.0
        if word["x0"] - previous["x1"] > FRAGMENT_GAP_EM * size:
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
    coverage = [0] * (high - low + 1)
    for f in fragments:
        for x in range(max(low, int(f.x0)), min(high, int(f.x1)) + 1):
            coverage[x - low] += 1
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
    words: Sequence[dict[str, Any]],
    tables: Sequence[tuple[tuple[float, float, float, float], list[list[str]]]],
    width: float,
) -> tuple[list[Item], bool]:
    """The page's lines and tables in reading order, and whether it was read as two columns.

    ``words`` are pdfplumber words with ``size`` and ``fontname``; ``tables`` are (bbox, rows).
    Words inside a table box belong to the table and are not repeated as lines.
    """
    free = [w for w in words if not any(_inside(w, box) for box, _ in tables)]
    blocks: list[Item] = [
        TableBlock(rows=rows, top=box[1], bottom=box[3], x0=box[0], x1=box[2])
        for box, rows in tables
    ]
    rows = _rows_of_words(free)
    fragments = [_line_of(piece) for row in rows for piece in _fragments(row)]
    gutter = find_gutter(fragments, width)
    if gutter is None:
        lines: list[Item] = [_line_of(row) for row in rows]
        return sorted([*lines, *blocks], key=lambda i: (i.top, i.x0)), False
    return _column_order([*fragments, *blocks], gutter), True
