"""Text runs — stretches of text set in one go, with one font and size — and their geometry.

The PDFium reader finds runs (one per show-text operation, or per stretch of characters of one)
in PDF space; here they get page coordinates (x from the left edge, y down from the top of the
page as it is shown, after /Rotate), pdfplumber-like boxes, and are joined into words. Pure
arithmetic: no PDFium here.
"""

from __future__ import annotations

from dataclasses import dataclass

from activities.documents.pdf_layout import Word

Matrix = tuple[float, float, float, float, float, float]
"""(a, b, c, d, e, f): x' = a·x + c·y + e, y' = b·x + d·y + f."""
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
JOIN_GAP_EM = 0.15
"""Runs on one baseline closer than this many font sizes are one word (no space between)."""
BASELINE_TOLERANCE = 0.5
"""Runs whose baselines differ by less than this many points share a baseline."""


def compose(outer: Matrix, inner: Matrix) -> Matrix:
    """The matrix that applies ``inner`` and then ``outer``."""
    a1, b1, c1, d1, e1, f1 = outer
    a2, b2, c2, d2, e2, f2 = inner
    return (
        a1 * a2 + c1 * b2,
        b1 * a2 + d1 * b2,
        a1 * c2 + c1 * d2,
        b1 * c2 + d1 * d2,
        a1 * e2 + c1 * f2 + e1,
        b1 * e2 + d1 * f2 + f1,
    )


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    """The point (x, y) transformed by ``m``."""
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def invert(m: Matrix) -> Matrix:
    """The inverse of an invertible matrix."""
    a, b, c, d, e, f = m
    det = a * d - b * c
    return (d / det, -b / det, -c / det, a / det, (c * f - d * e) / det, (b * e - a * f) / det)


def page_matrix(box: tuple[float, float, float, float], rotation: int) -> Matrix:
    """PDF space to page coordinates as the page is shown: x from the left edge, y down from
    the top, after the page's /Rotate (clockwise) — pdfplumber's coordinates. ``box`` is the
    page's (left, bottom, right, top) in PDF space."""
    left, bottom, right, top = box
    return {
        90: (0.0, 1.0, 1.0, 0.0, -bottom, -left),
        180: (-1.0, 0.0, 0.0, 1.0, right, -bottom),
        270: (0.0, -1.0, -1.0, 0.0, top, right),
    }.get(rotation % 360, (1.0, 0.0, 0.0, -1.0, -left, top))


def extent(m: Matrix, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1): the page-coordinate extent of a PDF-space box (left, bottom, right,
    top) transformed by ``m``."""
    left, bottom, right, top = box
    if m[1] == m[2] == 0:  # no rotation: the usual case, spared the corner arithmetic
        xs = [m[0] * left + m[4], m[0] * right + m[4]]
        ys = [m[3] * bottom + m[5], m[3] * top + m[5]]
    else:
        corners = [apply(m, x, y) for x in (left, right) for y in (bottom, top)]
        xs = [p[0] for p in corners]
        ys = [p[1] for p in corners]
    return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of text in one font and size, in page coordinates. ``spaced`` says whether
    it began or ended with a space (stripped from ``text``): then it is a word of its own even
    where its box touches its neighbour's (the space's advance is inside the box)."""

    text: str
    x0: float
    x1: float
    baseline: float
    top: float
    bottom: float
    size: float
    bold: bool
    spaced_before: bool = False
    spaced_after: bool = False


def make_run(
    text: str,
    matrix: Matrix,
    glyphs: tuple[float, float, float, float],
    font_size: float,
    *,
    bold: bool,
    descent: float,
) -> Run | None:
    """A run from its text (spaces at its ends are noted and stripped), its text matrix (text
    space to page coordinates: its origin is the run's start on the baseline), the page extent
    of its glyphs, its font size in text space, and the font's descent (a negative share of the
    size). None when the text is blank.

    Upright text gets pdfplumber's size (the font size scaled vertically) and a box like
    pdfplumber's — from the descent below the baseline up one font size — so words on a line
    line up whatever their glyphs; turned text keeps its glyph box.
    """
    stripped = text.strip()
    if not stripped:
        return None
    before, after = text[0].isspace(), text[-1].isspace()
    a, b, c, d, e, f = matrix
    x0, y0, x1, y1 = glyphs
    if abs(b) < 1e-3 * a and d < 0:  # upright, perhaps slanted (a synthetic italic shears x)
        size = font_size * -d
        lowest = f - descent * size
        return Run(stripped, min(e, x0), x1, f, lowest - size, lowest, size, bold, before, after)
    size = font_size * (c * c + d * d) ** 0.5
    return Run(stripped, x0, x1, y1, y0, y1, size, bold, before, after)


def _baseline_rows(runs: list[Run]) -> list[list[Run]]:
    """Runs grouped by baseline, each group left to right."""
    rows: list[list[Run]] = []
    for run in sorted(runs, key=lambda r: r.baseline):
        if rows and run.baseline - rows[-1][-1].baseline < BASELINE_TOLERANCE:
            rows[-1].append(run)
        else:
            rows.append([run])
    return [sorted(row, key=lambda r: r.x0) for row in rows]


def runs_to_words(runs: list[Run]) -> list[Word]:
    """Runs that touch on one baseline joined into one word: a word may be set in several runs
    (kerning, a font change inside it, one glyph at a time), and a run may hold several words."""
    words: list[Word] = []
    for row in _baseline_rows(runs):
        last: Word | None = None
        spaced = False  # the previous run ended with a space
        for run in row:
            touching = (
                last is not None and -0.5 * run.size < run.x0 - last.x1 < JOIN_GAP_EM * run.size
            )
            if last is not None and touching and not (spaced or run.spaced_before):
                total = len(last.text) + len(run.text)
                bold_chars = len(last.text) * last.bold + len(run.text) * run.bold
                last = words[-1] = Word(
                    last.text + run.text,
                    last.x0,
                    max(last.x1, run.x1),
                    min(last.top, run.top),
                    max(last.bottom, run.bottom),
                    max(last.size, run.size),
                    bold_chars >= 0.8 * total,
                )
            else:
                last = Word(run.text, run.x0, run.x1, run.top, run.bottom, run.size, run.bold)
                words.append(last)
            spaced = run.spaced_after
    return words
