"""The fast PDF reader: text runs, fonts and ruling lines from pypdfium2's page objects.

PDFium parses each page in C; what Python touches is one text run per show-text operation
(its text, origin, size, font) and the path segments — a few dozen calls per page instead of one
per character. Runs that touch on a baseline are joined into words, and the words go through the
same reading-order geometry as before (:func:`page_items`: lines, two columns, tables placed).

Tables: a page whose paths draw ruling lines goes through pdfplumber's table finder
(:mod:`pdf_tables`), and each cell's text is read from PDFium's text page inside the cell's box.
Text inside Form XObjects is reached through the form's matrix.

PDFium is not thread-safe: every call into it here holds one process-wide lock, so parses in
parallel worker threads take turns (parallel parsing needs processes).
"""

from __future__ import annotations

import ctypes
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pypdfium2
import pypdfium2.raw as pdfium_c

from activities.documents.builder import clean_rows
from activities.documents.pdf_layout import (
    Box,
    PageLayout,
    Word,
    is_bold,
    page_items,
    plain_items,
)
from activities.documents.pdf_tables import Edge, find_tables, segment_edge

PDFIUM_LOCK = threading.Lock()
"""Held around every PDFium call in this process (PDFium is not thread-safe)."""
JOIN_GAP_EM = 0.15
"""Runs on one baseline closer than this many font sizes are one word (no space between)."""
CELL_INSET = 1.0
"""Points a table cell's box is shrunk by before its text is read, so border-straddling
glyphs of the neighbouring cell stay out."""
_DEFAULT_DESCENT = -0.21
"""Descent (share of the font size) for fonts that do not state one (Helvetica's is -0.207)."""

Matrix = tuple[float, float, float, float, float, float]
"""(a, b, c, d, e, f): x' = a·x + c·y + e, y' = b·x + d·y + f."""
PageCallback = Callable[[int, int], None]
"""Called with (pages done, pages in the document) after each page."""


def _compose(outer: Matrix, inner: Matrix) -> Matrix:
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


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _invert(m: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    det = a * d - b * c
    return (d / det, -b / det, -c / det, a / det, (c * f - d * e) / det, (b * e - a * f) / det)


def _page_matrix(box: tuple[float, float, float, float], rotation: int) -> Matrix:
    """PDF space to page coordinates as the page is shown: x from the left edge, y down from
    the top, after the page's /Rotate (clockwise) — what pdfplumber's coordinates are."""
    left, bottom, right, top = box
    return {
        90: (0.0, 1.0, 1.0, 0.0, -bottom, -left),
        180: (-1.0, 0.0, 0.0, 1.0, right, -bottom),
        270: (0.0, -1.0, -1.0, 0.0, top, right),
    }.get(rotation % 360, (1.0, 0.0, 0.0, -1.0, -left, top))


@dataclass(frozen=True, slots=True)
class _Run:
    text: str
    x0: float
    x1: float
    baseline: float
    top: float
    bottom: float
    size: float
    bold: bool


@dataclass(frozen=True)
class _Font:
    bold: bool
    descent: float


class _PageReader:
    """Reads the pages of one open document; caches fonts and reuses ctypes buffers."""

    def __init__(self) -> None:
        self._fonts: dict[int, _Font] = {}
        self._text = ctypes.create_string_buffer(8192)
        self._text_pointer = ctypes.cast(self._text, ctypes.POINTER(ctypes.c_ushort))
        self._box = [ctypes.c_float() for _ in range(4)]
        self._box_refs = [ctypes.byref(v) for v in self._box]
        self._matrix = pdfium_c.FS_MATRIX()
        self._matrix_ref = ctypes.byref(self._matrix)
        self._float = ctypes.c_float()
        self._float_ref = ctypes.byref(self._float)
        self._point = (ctypes.c_float(), ctypes.c_float())

    # ---- page objects --------------------------------------------------------------------

    def read(self, page: pypdfium2.PdfPage, number: int) -> PageLayout:
        """One page's words and tables in reading order."""
        box = page.get_bbox()  # the crop box within the media box
        rotation = page.get_rotation()
        to_page = _page_matrix(box, rotation)
        width, height = box[2] - box[0], box[3] - box[1]
        if rotation in (90, 270):
            width, height = height, width
        text_page = page.get_textpage()
        try:
            runs: list[_Run] = []
            edges: list[Edge] = []
            objects = [
                pdfium_c.FPDFPage_GetObject(page.raw, i)
                for i in range(pdfium_c.FPDFPage_CountObjects(page.raw))
            ]
            self._walk(objects, to_page, text_page.raw, runs, edges)
            tables = []
            for grid in find_tables(edges) if edges else []:
                rows = clean_rows(
                    [[_cell_text(text_page, cell, to_page) for cell in row] for row in grid.cells]
                )
                if rows:
                    tables.append((grid.box, rows))
            items, two_columns = page_items(_words(runs), tables, width)
        finally:
            text_page.close()
        return PageLayout(number, height, items, two_columns)

    def _walk(
        self,
        objects: list[Any],
        outer: Matrix,
        text_page: Any,
        runs: list[_Run],
        edges: list[Edge],
    ) -> None:
        """Collect text runs and ruling edges from page objects (into forms, recursively)."""
        for handle in objects:
            kind = pdfium_c.FPDFPageObj_GetType(handle)
            if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                run = self._run(handle, outer, text_page)
                if run is not None:
                    runs.append(run)
            elif kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                edges.extend(self._edges(handle, outer))
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                inner = [
                    pdfium_c.FPDFFormObj_GetObject(handle, i)
                    for i in range(pdfium_c.FPDFFormObj_CountObjects(handle))
                ]
                matrix = _compose(outer, self._object_matrix(handle))
                self._walk(inner, matrix, text_page, runs, edges)

    def _object_matrix(self, handle: Any) -> Matrix:
        m = self._matrix
        if not pdfium_c.FPDFPageObj_GetMatrix(handle, self._matrix_ref):
            return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        return (m.a, m.b, m.c, m.d, m.e, m.f)

    def _run(self, handle: Any, outer: Matrix, text_page: Any) -> _Run | None:
        """A text object as a run with a box in page coordinates; None when it is blank."""
        text = self._object_text(handle, text_page).strip()
        if not text:
            return None
        a, b, c, d, e, f = _compose(outer, self._object_matrix(handle))
        pdfium_c.FPDFTextObj_GetFontSize(handle, self._float_ref)
        size = self._float.value * math.hypot(c, d)
        font = self._font(pdfium_c.FPDFTextObj_GetFont(handle))
        pdfium_c.FPDFPageObj_GetBounds(handle, *self._box_refs)
        x_low, y_low, x_high, y_high = (v.value for v in self._box)
        oa, ob, oc, od, oe, of = outer
        if ob == oc == 0:  # no page rotation: the usual case, spared the corner arithmetic
            xs = [oa * x_low + oe, oa * x_high + oe]
            ys = [od * y_low + of, od * y_high + of]
        else:
            corners = [_apply(outer, x, y) for x in (x_low, x_high) for y in (y_low, y_high)]
            xs = [p[0] for p in corners]
            ys = [p[1] for p in corners]
        if abs(b) < 1e-3 * abs(a) and abs(c) < 1e-3 * abs(d) and d < 0 < a:
            # upright: a box like pdfplumber's, from the baseline down to the descent and up
            # one font size, so words on one line line up whatever their glyphs
            lowest = f - font.descent * size
            return _Run(text, min(e, *xs), max(xs), f, lowest - size, lowest, size, font.bold)
        return _Run(text, min(xs), max(xs), max(ys), min(ys), max(ys), size, font.bold)

    def _object_text(self, handle: Any, text_page: Any) -> str:
        size = len(self._text)
        needed = pdfium_c.FPDFTextObj_GetText(handle, text_page, self._text_pointer, size)
        buffer = self._text
        if needed > size:
            buffer = ctypes.create_string_buffer(needed)
            pointer = ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort))
            needed = pdfium_c.FPDFTextObj_GetText(handle, text_page, pointer, needed)
        return buffer.raw[: max(0, needed - 2)].decode("utf-16-le", errors="replace")

    def _font(self, handle: Any) -> _Font:
        key = ctypes.cast(handle, ctypes.c_void_p).value or 0
        font = self._fonts.get(key)
        if font is None:
            font = self._fonts[key] = _font_info(handle)
        return font

    def _edges(self, handle: Any, outer: Matrix) -> list[Edge]:
        """The axis-aligned straight segments a path draws (curves are skipped)."""
        matrix = _compose(outer, self._object_matrix(handle))
        x, y = self._point
        refs = ctypes.byref(x), ctypes.byref(y)
        edges: list[Edge] = []
        start = current = (0.0, 0.0)
        for index in range(pdfium_c.FPDFPath_CountSegments(handle)):
            segment = pdfium_c.FPDFPath_GetPathSegment(handle, index)
            pdfium_c.FPDFPathSegment_GetPoint(segment, *refs)
            point = _apply(matrix, x.value, y.value)
            kind = pdfium_c.FPDFPathSegment_GetType(segment)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = point
            elif kind == pdfium_c.FPDF_SEGMENT_LINETO:
                _add_edge(edges, current, point)
            current = point
            if pdfium_c.FPDFPathSegment_GetClose(segment):
                _add_edge(edges, current, start)
                current = start
        return edges


def _cell_text(text_page: pypdfium2.PdfTextPage, cell: Box | None, to_page: Matrix) -> str | None:
    """The text inside a table cell (given in page coordinates), None for a merged-away cell."""
    if cell is None:
        return None
    x0, upper, x1, lower = cell
    inset = min(CELL_INSET, (x1 - x0) / 4, (lower - upper) / 4)
    to_pdf = _invert(to_page)
    xs, ys = zip(
        _apply(to_pdf, x0 + inset, upper + inset),
        _apply(to_pdf, x1 - inset, lower - inset),
        strict=True,
    )
    return str(text_page.get_text_bounded(min(xs), min(ys), max(xs), max(ys)))


def _add_edge(edges: list[Edge], a: tuple[float, float], b: tuple[float, float]) -> None:
    edge = segment_edge(a[0], a[1], b[0], b[1])
    if edge is not None:
        edges.append(edge)


def _font_info(handle: Any) -> _Font:
    """Boldness (name or weight ≥ 600) and descent of a PDFium font."""
    size = pdfium_c.FPDFFont_GetBaseFontName(handle, None, 0)
    name = ""
    if size > 0:
        buffer = ctypes.create_string_buffer(size)
        pdfium_c.FPDFFont_GetBaseFontName(handle, buffer, size)
        name = buffer.value.decode("latin-1")
    weight = pdfium_c.FPDFFont_GetWeight(handle)
    descent = ctypes.c_float()
    ok = pdfium_c.FPDFFont_GetDescent(handle, 1000.0, ctypes.byref(descent))
    share = descent.value / 1000 if ok and -1.0 < descent.value / 1000 < 0 else _DEFAULT_DESCENT
    return _Font(bold=is_bold(name) or weight >= 600, descent=share)


def _baseline_rows(runs: list[_Run]) -> list[list[_Run]]:
    """Runs grouped by baseline (within half a point), each group left to right."""
    rows: list[list[_Run]] = []
    for run in sorted(runs, key=lambda r: r.baseline):
        if rows and run.baseline - rows[-1][-1].baseline < 0.5:
            rows[-1].append(run)
        else:
            rows.append([run])
    return [sorted(row, key=lambda r: r.x0) for row in rows]


def _words(runs: list[_Run]) -> list[Word]:
    """Runs that touch on one baseline joined into one word: a word may be set in several runs
    (kerning, a font change inside it), and a run may hold several words."""
    words: list[Word] = []
    for row in _baseline_rows(runs):
        last: Word | None = None
        for run in row:
            if last is not None and -0.5 * run.size < run.x0 - last.x1 < JOIN_GAP_EM * run.size:
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
    return words


def read_pdfium(
    data: bytes, password: str | None, on_page: PageCallback | None = None
) -> tuple[list[PageLayout], str | None, list[str]]:
    """Every page's layout, the document title, and warnings for pages read as plain text.

    Raises ``pypdfium2.PdfiumError`` when PDFium cannot open the document.
    """
    reader = _PageReader()
    pages: list[PageLayout] = []
    warnings: list[str] = []
    with PDFIUM_LOCK:
        document = pypdfium2.PdfDocument(data, password=password)
        count = len(document)
        title = document.get_metadata_value("Title") or None
    try:
        for index in range(count):
            with PDFIUM_LOCK:
                pages.append(_read_page(reader, document, index, warnings))
            if on_page is not None:
                on_page(index + 1, count)
    finally:
        with PDFIUM_LOCK:
            document.close()
    return pages, title, warnings


def _read_page(
    reader: _PageReader, document: pypdfium2.PdfDocument, index: int, warnings: list[str]
) -> PageLayout:
    page = document[index]
    try:
        try:
            return reader.read(page, index + 1)
        except Exception as error:
            warnings.append(f"page {index + 1}: layout extraction failed ({error})")
            text_page = page.get_textpage()
            try:
                text = text_page.get_text_range()
            finally:
                text_page.close()
            return PageLayout(index + 1, page.get_height(), plain_items(text))
    finally:
        page.close()
