"""The pieces of a passage an answer can quote: sentences, fields ("Author: ...", YAML and
RST fields, ``NAME = value`` constants), table rows with their table's header, and headings
(a heading can carry a fact: "Team introductions (10 minutes)").

Every unit quotes ``text[start:end]`` of its document exactly, so its citation holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from activities.documents.text_parsers import is_table_separator, pipe_cells
from activities.tools.text import quote_citation, sentences
from models.documents import Citation, Passage


class UnitKind(StrEnum):
    SENTENCE = "sentence"
    FIELD = "field"
    ROW = "row"
    HEADING = "heading"


@dataclass(frozen=True)
class Unit:
    """A quotable piece of a passage. ``key``/``value`` split fields and rows; ``context`` is
    what frames it (table header, the record a field belongs to); ``display`` is how an answer
    shows it (a row with its header), while the citation quotes ``text`` as written."""

    kind: UnitKind
    passage: Passage
    start: int
    end: int
    text: str
    key: str = ""
    value: str = ""
    context: str = ""
    display: str = ""

    def citation(self) -> Citation:
        """The citation of this unit."""
        return quote_citation(self.passage, self.start, self.end, self.text)

    @property
    def shown(self) -> str:
        return self.display or self.text


HeaderLookup = Callable[[Passage, int], list[str] | None]
"""The header cells of the table holding absolute ``offset`` of a passage's document, when the
passage starts inside a table whose header lies in an earlier chunk."""

_FIELD = re.compile(
    r"^(?P<lead>\s*(?:[-*•]\s+)?(?:\*\*|__)?:?)"
    r"(?P<key>[^\W\d_][\w .()/&'’#-]{0,48}?)"
    r"(?:\*\*|__)?\s*:(?:\*\*|__)?[ \t]+(?P<value>\S.*?)\s*$"
)
_CONSTANT = re.compile(r"^(?P<lead>\s*)(?P<key>[A-Z][A-Z0-9_]{2,})\s*=\s*(?P<value>\S.*?)\s*$")
_RECORD_START = re.compile(r"^(?P<indent>\s*)-\s+\S")
_HEADING = re.compile(r"^(?P<marks>#{1,6})\s+(?P<title>\S.*?)\s*$")
_UNDERLINE = re.compile(r"^\s*(?:={2,}|-{2,})\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)]|\([a-z0-9]{1,4}\)|\(cid:\d+\))\s+")
_CELL_PIECES = re.compile(r"(?<=[.!?])\s+|\s*\(cid:\d+\)\s*|\s+\|\s*|\s*\|\s+")
_MAX_KEY_WORDS = 6
LONG_ROW_CHARS = 300
"""A table row longer than this (a layout table of paragraphs) also yields its sentences."""
MIN_PIECE_CHARS = 20


def _lines(text: str) -> list[tuple[int, str]]:
    offsets: list[tuple[int, str]] = []
    position = 0
    for line in text.split("\n"):
        offsets.append((position, line))
        position += len(line) + 1
    return offsets


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class _Builder:
    def __init__(self, passage: Passage, header_for: HeaderLookup | None) -> None:
        self.passage = passage
        self.header_for = header_for
        self.base = passage.anchor.char_start
        self.units: list[Unit] = []
        self.taken: list[tuple[int, int]] = []

    def add(self, kind: UnitKind, start: int, end: int, **parts: str) -> None:
        start, end = _strip_span(self.passage.text, start, end)
        if end - start < 2:
            return
        self.taken.append((start, end))
        self.units.append(
            Unit(
                kind,
                self.passage,
                self.base + start,
                self.base + end,
                self.passage.text[start:end],
                **parts,
            )
        )

    def table(self, block: list[tuple[int, str]]) -> None:
        header: list[str] | None = None
        rows = block
        separators = [i for i, (_, line) in enumerate(block) if is_table_separator(line)]
        if separators and separators[0] >= 1:
            at = separators[0]
            header = pipe_cells(block[at - 1][1])
            rows = block[at + 1 :]
            if len(header) == 2:  # a two-column table's first row is often a key/value pair too
                rows = [block[at - 1], *rows]
        elif self.header_for is not None:
            header = self.header_for(self.passage, self.base + block[0][0])
        if header is not None and len(header) > 2 and separators and separators[0] >= 1:
            offset, line = block[separators[0] - 1]  # a column name can be what is asked
            self.add(UnitKind.ROW, offset, offset + len(line), key=header[0], context="header")
        for offset, line in rows:
            if is_table_separator(line):
                continue
            cells = pipe_cells(line)
            if not any(cells):
                continue
            parts = _row_parts(cells, header)
            self.add(UnitKind.ROW, offset, offset + len(line), **parts)
            if len(line) > LONG_ROW_CHARS:
                self.pieces(offset, line, parts["context"] or parts["key"])

    def pieces(self, offset: int, line: str, context: str) -> None:
        """The sentences of a long row's cells, each quotable on its own."""
        cursor = 0
        for match in [*_CELL_PIECES.finditer(line), None]:
            stop = match.start() if match else len(line)
            start, end = _strip_span(line, cursor, stop)
            body = line[start:end].strip("| ")
            if len(body) >= MIN_PIECE_CHARS and end - start < len(line.strip()):
                self.units.append(
                    Unit(
                        UnitKind.SENTENCE,
                        self.passage,
                        self.base + offset + start,
                        self.base + offset + end,
                        line[start:end],
                        context=context,
                    )
                )
            cursor = match.end() if match else len(line)

    def fields(self, lines: list[tuple[int, str]]) -> None:
        record = ""
        record_indent = -1
        for offset, line in lines:
            start = _RECORD_START.match(line)
            indent = len(line) - len(line.lstrip())
            if start:
                record, record_indent = "", len(start.group("indent"))
            elif record and indent <= record_indent:
                record, record_indent = "", -1
            match = _FIELD.match(line) or _CONSTANT.match(line)
            if not match or not _is_key(match.group("key")):
                continue
            key, value = match.group("key").strip(), match.group("value").strip()
            if value.startswith("//"):
                continue  # a URL, not a field
            if start:
                record = f"{key}: {value}"
            lead = len(match.group("lead"))
            context = record if record and not start else ""
            self.add(
                UnitKind.FIELD,
                offset + lead,
                offset + len(line),
                key=key.replace("_", " "),
                value=value,
                context=context,
                display=f"{context} → {line[lead:].strip()}" if context else "",
            )

    def headings(self, lines: list[tuple[int, str]]) -> None:
        for index, (offset, line) in enumerate(lines):
            match = _HEADING.match(line)
            if match:
                start = offset + match.start("title")
                self.add(UnitKind.HEADING, start, offset + match.end("title"))
            elif index + 1 < len(lines) and _UNDERLINE.match(lines[index + 1][1]) and line.strip():
                self.add(UnitKind.HEADING, offset, offset + len(line))  # a setext heading

    def free(self, start: int, end: int) -> bool:
        return not any(s <= start < e or start <= s < end for s, e in self.taken)

    def sentences(self, lines: list[tuple[int, str]]) -> None:
        for sentence in sentences(self.passage):
            start, end = sentence.start - self.base, sentence.end - self.base
            if self.free(start, end):
                self.taken.append((start, end))
                self.units.append(
                    Unit(
                        UnitKind.SENTENCE, self.passage, sentence.start, sentence.end, sentence.text
                    )
                )
        for offset, line in lines:  # short lines too short to be sentences: "TLP:CLEAR", "Final"
            start, end = _strip_span(self.passage.text, offset, offset + len(line))
            body = self.passage.text[start:end]
            if body and self.free(start, end) and any(c.isalnum() for c in body) and body[0] != "#":
                self.add(UnitKind.SENTENCE, start, end)


def _is_key(key: str) -> bool:
    words = key.replace("_", " ").split()
    return 0 < len(words) <= _MAX_KEY_WORDS and "http" not in key.lower()


def _row_parts(cells: list[str], header: list[str] | None) -> dict[str, str]:
    named = header is not None and len(header) == len(cells) and any(header)
    if len(cells) == 2 or not named:
        display = ": ".join(c for c in cells[:2] if c) + (
            "; " + "; ".join(c for c in cells[2:] if c) if len(cells) > 2 else ""
        )
    else:
        assert header is not None
        pairs = zip(header, cells, strict=True)
        display = "; ".join(f"{h}: {c}" if h else c for h, c in pairs if c)
    return {
        "key": cells[0],
        "value": " | ".join(cells[1:]),
        "context": " | ".join(header or []),
        "display": display,
    }


def passage_units(passage: Passage, header_for: HeaderLookup | None = None) -> list[Unit]:
    """Every unit of ``passage``, in text order: table rows, fields, headings, sentences."""
    builder = _Builder(passage, header_for)
    lines = _lines(passage.text)
    block: list[tuple[int, str]] = []
    rest: list[tuple[int, str]] = []
    for offset, line in lines:
        if line.lstrip().startswith("|"):
            block.append((offset, line))
            continue
        if block:
            builder.table(block)
            block = []
        rest.append((offset, line))
    if block:
        builder.table(block)
    builder.fields(rest)
    builder.headings(rest)
    builder.sentences(rest)
    units = _with_lead_ins(builder.units, passage, lines)
    return sorted(units, key=lambda u: (u.start, u.kind != UnitKind.FIELD))


def _with_lead_ins(units: list[Unit], passage: Passage, lines: list[tuple[int, str]]) -> list[Unit]:
    """List items — and the line right after a sentence ending in ':' — take that sentence as
    their context ("the following may be given to a superior:" frames "(1) Items ... $10")."""
    lead_in = ""
    fresh = False
    framing: dict[int, str] = {}
    for offset, line in lines:
        body = line.strip()
        if not body:
            continue
        item = bool(_LIST_ITEM.match(line))
        if lead_in and (item or fresh):
            framing[offset] = lead_in
        if body.endswith(":") and len(body.split()) >= 3:
            lead_in, fresh = body, True  # a list item can introduce a list of its own
        elif item:
            fresh = False
        else:
            lead_in, fresh = "", False
    if not framing:
        return units
    base = passage.anchor.char_start
    starts = sorted(framing)
    framed: list[Unit] = []
    for unit in units:
        relative = unit.start - base
        line_start = max((s for s in starts if s <= relative), default=None)
        line_end = passage.text.find("\n", line_start) if line_start is not None else -1
        inside = line_start is not None and (line_end < 0 or relative < line_end)
        if inside and not unit.context and line_start is not None:
            unit = replace(unit, context=framing[line_start])
        framed.append(unit)
    return framed
