"""Split parsed text into chunks that never cross a page or section boundary, each anchored."""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

from activities.documents.parsed import ParsedDocument, Span
from models.documents import Anchor

TARGET_CHUNK_CHARS = 900
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Chunk:
    seq: int
    text: str
    anchor: Anchor


def _boundaries(parsed: ParsedDocument) -> list[int]:
    points = {0, len(parsed.text)}
    for span in (*parsed.pages, *parsed.sections):
        points.add(span.start)
        points.add(span.end)
    return sorted(p for p in points if 0 <= p <= len(parsed.text))


def _span_at(spans: list[Span], starts: list[int], offset: int) -> Span | None:
    index = bisect.bisect_right(starts, offset) - 1
    if index >= 0 and spans[index].start <= offset < spans[index].end:
        return spans[index]
    return None


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    cursor = start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        pieces.append((cursor, match.start()))
        cursor = match.end()
    pieces.append((cursor, end))
    return [(s, e) for s, e in pieces if text[s:e].strip()]


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a paragraph longer than the target at sentence ends (a table between rows), or
    hard at the target."""
    pieces: list[tuple[int, int]] = []
    cursor = start
    table = text[start:end].lstrip().startswith("|")
    while end - cursor > TARGET_CHUNK_CHARS:
        window = text[cursor : cursor + TARGET_CHUNK_CHARS]
        # a table is cut between rows only; prose at a sentence end or a line break
        cut = window.rfind("\n") if table else max(window.rfind(". "), window.rfind("\n"))
        cut = cut + 1 if cut > TARGET_CHUNK_CHARS // 3 else TARGET_CHUNK_CHARS
        pieces.append((cursor, cursor + cut))
        cursor += cut
    pieces.append((cursor, end))
    return pieces


def chunk_document(parsed: ParsedDocument) -> list[Chunk]:
    """Chunks of about TARGET_CHUNK_CHARS characters with page/section anchors and offsets."""
    text = parsed.text
    page_starts = [p.start for p in parsed.pages]
    section_starts = [s.start for s in parsed.sections]
    ranges: list[tuple[int, int]] = []
    bounds = _boundaries(parsed)
    for region_start, region_end in itertools.pairwise(bounds):
        current: tuple[int, int] | None = None
        for para_start, para_end in _paragraphs(text, region_start, region_end):
            for piece in _split_long(text, para_start, para_end):
                if current and piece[1] - current[0] <= TARGET_CHUNK_CHARS:
                    current = (current[0], piece[1])
                else:
                    if current:
                        ranges.append(current)
                    current = piece
        if current:
            ranges.append(current)
    chunks: list[Chunk] = []
    for start, end in ranges:
        # trim surrounding whitespace but keep exact offsets into the text
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            continue
        page = _span_at(parsed.pages, page_starts, start)
        section = _span_at(parsed.sections, section_starts, start)
        anchor = Anchor(
            page=int(page.label) if page else None,
            section=section.label if section else None,
            char_start=start,
            char_end=end,
        )
        chunks.append(Chunk(seq=len(chunks), text=text[start:end], anchor=anchor))
    return chunks
