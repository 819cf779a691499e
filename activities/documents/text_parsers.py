"""Parsers for plain text and Markdown: decode safely and find the heading structure."""

from __future__ import annotations

import re

from activities.documents.parsed import ParsedDocument, Span, Table
from activities.errors import EmptyDocument, UnsupportedDocument

# Patterns stay linear on hostile input: no two adjacent repeats can share characters (the old
# heading pattern ``\s+(.+?)\s*#*\s*$`` took minutes on "# a" followed by 5,000 spaces).
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(\S.*)$", re.MULTILINE)
_MD_SEPARATOR_CELL = re.compile(r":?-+:?")
_MD_SETEXT = re.compile(
    r"^(?P<title>[^\n|#>\s-][^\n]*?)[ \t]*\n(?P<rule>=+|-+)[ \t]*$", re.MULTILINE
)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n---[ \t]*(?:\n|\Z)", re.DOTALL)
# Numbered headings in plain text: "7. Termination", "7.2 Notice", "ARTICLE 3 - FEES"
_TXT_HEADING = re.compile(
    r"^(?:(?P<num>\d+(?:\.\d+)*)\.?\s+(?P<title>[A-Z][^\n]{0,80})"
    r"|(?P<caps>[A-Z][A-Z0-9 ,&'\-]{3,60}))$",
    re.MULTILINE,
)


def decode_text(name: str, data: bytes) -> tuple[str, list[str]]:
    """Decode bytes as text: UTF-8, else the detected encoding, else UTF-8 with replacement.

    Raises UnsupportedDocument when the bytes are binary rather than text.
    """
    warnings: list[str] = []
    if b"\x00" in data[:8192]:
        raise UnsupportedDocument(f"{name}: binary content, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None and best.encoding:
            text = str(best)
            warnings.append(f"{name}: not UTF-8; decoded as {best.encoding}")
        else:
            text = data.decode("utf-8", errors="replace")
            warnings.append(f"{name}: not UTF-8; undecodable bytes replaced")
    printable = sum(1 for c in text[:4096] if c.isprintable() or c in "\n\r\t")
    if text and printable / min(len(text), 4096) < 0.85:
        raise UnsupportedDocument(f"{name}: binary content, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n"), warnings


def _md_heading_title(raw: str) -> str:
    """The heading text without its optional closing ``#`` sequence."""
    text = raw.rstrip()
    return text.rstrip("#").rstrip() or text


def is_table_separator(line: str) -> bool:
    """``| --- | :---: |``: cells of three or more dashes (colons for alignment)."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") else body
    return all(_MD_SEPARATOR_CELL.fullmatch(cell.strip()) for cell in body.split("|"))


def _require_text(name: str, text: str) -> None:
    if not text.strip():
        raise EmptyDocument(f"{name}: the document has no text")


def sections_from_headings(text: str, headings: list[tuple[int, int, str]]) -> list[Span]:
    """Turn (offset, level, title) headings into spans labelled with their heading path."""
    spans: list[Span] = []
    path: list[tuple[int, str]] = []
    for index, (offset, level, title) in enumerate(headings):
        while path and path[-1][0] >= level:
            path.pop()
        path.append((level, title))
        end = headings[index + 1][0] if index + 1 < len(headings) else len(text)
        spans.append(Span(" > ".join(t for _, t in path), offset, end))
    return spans


def pipe_cells(line: str) -> list[str]:
    """The cells of one pipe-table line, trimmed, escaped pipes restored."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", body)]


def markdown_tables(text: str) -> list[Table]:
    """Pipe tables (a header row, a ``---`` separator row, then rows), with their offsets."""
    tables: list[Table] = []
    lines = text.split("\n")
    offsets: list[int] = []
    position = 0
    for line in lines:
        offsets.append(position)
        position += len(line) + 1
    index = 1
    while index < len(lines):
        header = lines[index - 1]
        if "|" in header and "-" in lines[index] and is_table_separator(lines[index]):
            end = index + 1
            while end < len(lines) and "|" in lines[end] and lines[end].strip():
                end += 1
            rows = [pipe_cells(header)] + [pipe_cells(line) for line in lines[index + 1 : end]]
            last = end - 1
            tables.append(
                Table(rows=rows, start=offsets[index - 1], end=offsets[last] + len(lines[last]))
            )
            index = end + 1
        else:
            index += 1
    return tables


def _blank_before(text: str, offset: int) -> bool:
    """True at the start of the text or of a paragraph (a setext heading cannot continue one)."""
    return offset == 0 or text.endswith("\n\n", 0, offset) or offset == 1


def parse_markdown(name: str, data: bytes) -> ParsedDocument:
    text, warnings = decode_text(name, data)
    _require_text(name, text)
    front = _FRONT_MATTER.match(text)
    body_start = front.end() if front else 0
    headings = [
        (m.start(), len(m.group(1)), _md_heading_title(m.group(2)))
        for m in _MD_HEADING.finditer(text)
        if m.start() >= body_start
    ]
    headings += [  # underlined ("setext") headings: === is level 1, --- level 2
        (m.start(), 1 if m.group("rule")[0] == "=" else 2, m.group("title").strip())
        for m in _MD_SETEXT.finditer(text)
        if m.start() >= body_start and len(m.group("rule")) >= 2 and _blank_before(text, m.start())
    ]
    headings.sort()
    title = next((t for _, level, t in headings if level == 1), None)
    if front and title is None:
        named = re.search(r"^title:[ \t]*['\"]?(.+?)['\"]?[ \t]*$", front.group(0), re.MULTILINE)
        title = named.group(1) if named else None
    return ParsedDocument(
        text=text,
        format="md",
        title=title,
        sections=sections_from_headings(text, headings),
        tables=markdown_tables(text),
        warnings=warnings,
    )


def parse_plain_text(name: str, data: bytes) -> ParsedDocument:
    text, warnings = decode_text(name, data)
    _require_text(name, text)
    headings: list[tuple[int, int, str]] = []
    for match in _TXT_HEADING.finditer(text):
        if match.group("num"):
            level = match.group("num").count(".") + 1
            headings.append((match.start(), level, match.group(0).strip()))
        else:
            headings.append((match.start(), 1, match.group("caps").strip()))
    first_line = text.strip().split("\n", 1)[0].strip()
    return ParsedDocument(
        text=text,
        format="txt",
        title=first_line[:120] or None,
        sections=sections_from_headings(text, headings),
        warnings=warnings,
    )
