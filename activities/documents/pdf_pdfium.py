"""The fast PDF reader: text runs, fonts and ruling lines from PDFium (pypdfium2).

PDFium parses each page in C; Python touches one text run per show-text operation (its text,
matrix, size, font, glyph bounds) and the path segments — a few dozen calls per page rather
than several per character. A page with very many text objects (one per glyph, as some
producers write) is read character by character instead, which stays linear where asking each
object for its text would not. Runs that touch on a baseline become words, and the words go
through the reading-order geometry every reader shares (:func:`page_items`: lines, two columns,
tables placed).

Tables: a page whose paths draw ruling lines goes through pdfplumber's table finder
(:mod:`pdf_tables`), and each cell's text is read from PDFium's text page inside the cell.
Text in form XObjects is placed through the forms' matrices, and a page turned by /Rotate is
read as shown.

PDFium is not thread-safe: every call into it here holds one process-wide lock, so parses in
parallel worker threads take turns (parallel parsing needs processes).
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pypdfium2
import pypdfium2.raw as pdfium_c

from activities.documents.builder import clean_rows
from activities.documents.pdf_layout import Box, PageLayout, is_bold, page_items, plain_items
from activities.documents.pdf_runs import (
    IDENTITY,
    Matrix,
    Run,
    apply,
    compose,
    extent,
    invert,
    make_run,
    page_matrix,
    runs_to_words,
)
from activities.documents.pdf_tables import Edge, find_tables, segment_edge

PDFIUM_LOCK = threading.Lock()
"""Held around every PDFium call in this process (PDFium is not thread-safe)."""
CHAR_PATH_OBJECTS = 200
"""A page with more text objects than this is read character by character: each object's
text costs a scan of the whole page's characters, so objects × characters grows quadratically."""
CELL_INSET = 1.0
"""Points a table cell's box is shrunk by before its text is read, so glyphs of the
neighbouring cell that straddle the rule stay out."""
_DEFAULT_DESCENT = -0.21
"""Descent (share of the font size) for fonts that do not state one (Helvetica's is -0.207)."""
_text_object_address = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(
    ctypes.cast(pdfium_c.FPDFText_GetTextObject, ctypes.c_void_p).value or 0
)
"""FPDFText_GetTextObject returning the address as an int (comparable, no pointer object)."""

PageCallback = Callable[[int, int], None]
"""Called with (pages done, pages in the document) after each page."""


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
        self._floats = [ctypes.c_float() for _ in range(4)]
        self._float_refs = [ctypes.byref(v) for v in self._floats]
        self._doubles = [ctypes.c_double() for _ in range(4)]
        self._double_refs = [ctypes.byref(v) for v in self._doubles]
        self._matrix = pdfium_c.FS_MATRIX()
        self._matrix_ref = ctypes.byref(self._matrix)

    def read(self, page: pypdfium2.PdfPage, number: int) -> PageLayout:
        """One page's words and tables in reading order."""
        box = page.get_bbox()  # the crop box within the media box
        rotation = page.get_rotation()
        to_page = page_matrix(box, rotation)
        width, height = box[2] - box[0], box[3] - box[1]
        if rotation in (90, 270):
            width, height = height, width
        text_page = page.get_textpage()
        try:
            texts: list[tuple[Any, Matrix]] = []
            edges: list[Edge] = []
            objects = [
                pdfium_c.FPDFPage_GetObject(page.raw, i)
                for i in range(pdfium_c.FPDFPage_CountObjects(page.raw))
            ]
            self._walk(objects, to_page, texts, edges)
            if len(texts) > CHAR_PATH_OBJECTS:
                runs = self._char_runs(text_page.raw, to_page)
            else:
                runs = [r for h, m in texts if (r := self._object_run(h, m, text_page.raw))]
            tables = []
            for grid in find_tables(edges) if edges else []:
                rows = clean_rows(
                    [[_cell_text(text_page, cell, to_page) for cell in row] for row in grid.cells]
                )
                if rows:
                    tables.append((grid.box, rows))
            items, two_columns = page_items(runs_to_words(runs), tables, width)
        finally:
            text_page.close()
        return PageLayout(number, height, items, two_columns)

    # ---- page objects ----------------------------------------------------------------------

    def _walk(
        self, objects: list[Any], outer: Matrix, texts: list[tuple[Any, Matrix]], edges: list[Edge]
    ) -> None:
        """Text objects (with the matrix to page coordinates of their container) and ruling
        edges, from page objects and, recursively, from form objects."""
        for handle in objects:
            kind = pdfium_c.FPDFPageObj_GetType(handle)
            if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                texts.append((handle, outer))
            elif kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                edges.extend(self._edges(handle, outer))
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                inner = [
                    pdfium_c.FPDFFormObj_GetObject(handle, i)
                    for i in range(pdfium_c.FPDFFormObj_CountObjects(handle))
                ]
                self._walk(inner, compose(outer, self._object_matrix(handle)), texts, edges)

    def _object_matrix(self, handle: Any) -> Matrix:
        m = self._matrix
        if not pdfium_c.FPDFPageObj_GetMatrix(handle, self._matrix_ref):
            return IDENTITY
        return (m.a, m.b, m.c, m.d, m.e, m.f)

    def _object_run(self, handle: Any, outer: Matrix, text_page: Any) -> Run | None:
        """A text object as a run; None when it is blank."""
        text = self._object_text(handle, text_page)
        if not text or text.isspace():
            return None
        pdfium_c.FPDFTextObj_GetFontSize(handle, self._float_refs[0])
        font_size = self._floats[0].value
        font = self._font(pdfium_c.FPDFTextObj_GetFont(handle))
        pdfium_c.FPDFPageObj_GetBounds(handle, *self._float_refs)
        left, bottom, right, top = (v.value for v in self._floats)
        return make_run(
            text,
            compose(outer, self._object_matrix(handle)),
            extent(outer, (left, bottom, right, top)),
            font_size,
            bold=font.bold,
            descent=font.descent,
        )

    def _object_text(self, handle: Any, text_page: Any) -> str:
        size = len(self._text)
        needed = pdfium_c.FPDFTextObj_GetText(handle, text_page, self._text_pointer, size)
        buffer = self._text
        if needed > size:
            buffer = ctypes.create_string_buffer(needed)
            pointer = ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort))
            needed = pdfium_c.FPDFTextObj_GetText(handle, text_page, pointer, needed)
        return _hyphens(buffer.raw[: max(0, needed - 2)].decode("utf-16-le", errors="replace"))

    def _font(self, handle: Any) -> _Font:
        key = ctypes.cast(handle, ctypes.c_void_p).value or 0
        font = self._fonts.get(key)
        if font is None:
            font = self._fonts[key] = _font_info(handle)
        return font

    def _edges(self, handle: Any, outer: Matrix) -> list[Edge]:
        """The axis-aligned straight segments a path draws (curves are skipped)."""
        matrix = compose(outer, self._object_matrix(handle))
        x, y = self._floats[0], self._floats[1]
        refs = self._float_refs[0], self._float_refs[1]
        edges: list[Edge] = []
        start = current = (0.0, 0.0)
        for index in range(pdfium_c.FPDFPath_CountSegments(handle)):
            segment = pdfium_c.FPDFPath_GetPathSegment(handle, index)
            pdfium_c.FPDFPathSegment_GetPoint(segment, *refs)
            point = apply(matrix, x.value, y.value)
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

    # ---- characters --------------------------------------------------------------------------

    def _char_runs(self, text_page: Any, to_page: Matrix) -> list[Run]:
        """Runs from the text page's characters: stretches of one text object's characters
        (the spaces PDFium adds between its words included; its line breaks end a stretch)."""
        address = ctypes.c_void_p(ctypes.cast(text_page, ctypes.c_void_p).value)
        stretches: list[tuple[list[str], int, int]] = []  # characters, first and last index
        previous: int | None = None
        for index in range(pdfium_c.FPDFText_CountChars(text_page)):
            owner = _text_object_address(address, index)
            code = pdfium_c.FPDFText_GetUnicode(text_page, index)
            if owner is not None and owner == previous:
                chars, first, _ = stretches[-1]
                chars.append(chr(code))
                stretches[-1] = (chars, first, index)
            elif owner is not None:
                stretches.append(([chr(code)], index, index))
            previous = owner  # a generated line break has no text object: it ends the stretch
        runs = []
        for chars, first, last in stretches:
            text = _hyphens("".join(chars))
            if not text.isspace() and (
                run := self._char_run(text_page, text, first, last, to_page)
            ):
                runs.append(run)
        return runs

    def _char_run(
        self, text_page: Any, text: str, first: int, last: int, to_page: Matrix
    ) -> Run | None:
        m, values = self._matrix, self._doubles
        pdfium_c.FPDFText_GetMatrix(text_page, first, self._matrix_ref)
        linear = (m.a, m.b, m.c, m.d)
        pdfium_c.FPDFText_GetCharOrigin(text_page, first, *self._double_refs[:2])
        origin = (values[0].value, values[1].value)
        boxes = []
        for index in {first, last}:
            pdfium_c.FPDFText_GetCharBox(text_page, index, *self._double_refs)
            left, right, bottom, top = (v.value for v in values)
            boxes.append(extent(to_page, (left, bottom, right, top)))
        glyphs = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        font = self._font(
            pdfium_c.FPDFTextObj_GetFont(pdfium_c.FPDFText_GetTextObject(text_page, first))
        )
        return make_run(
            text,
            compose(to_page, (*linear, *origin)),
            glyphs,
            pdfium_c.FPDFText_GetFontSize(text_page, first),
            bold=font.bold,
            descent=font.descent,
        )


def _add_edge(edges: list[Edge], a: tuple[float, float], b: tuple[float, float]) -> None:
    edge = segment_edge(a[0], a[1], b[0], b[1])
    if edge is not None:
        edges.append(edge)


def _cell_text(text_page: pypdfium2.PdfTextPage, cell: Box | None, to_page: Matrix) -> str | None:
    """The text inside a table cell (given in page coordinates), None for a merged-away cell."""
    if cell is None:
        return None
    x0, upper, x1, lower = cell
    inset = min(CELL_INSET, (x1 - x0) / 4, (lower - upper) / 4)
    to_pdf = invert(to_page)
    xs, ys = zip(
        apply(to_pdf, x0 + inset, upper + inset),
        apply(to_pdf, x1 - inset, lower - inset),
        strict=True,
    )
    return _hyphens(str(text_page.get_text_bounded(min(xs), min(ys), max(xs), max(ys))))


def _hyphens(text: str) -> str:
    """PDFium's text with the hyphens it marks as U+0002 (a hyphen ending a line) restored."""
    return text.replace("\x02", "-")


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
