"""Choose a parser by extension and check the content agrees with it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from activities.documents.parsed import ParsedDocument
from activities.documents.text_parsers import parse_markdown, parse_plain_text
from activities.errors import EmptyDocument, UnsupportedDocument

Parser = Callable[[str, bytes], ParsedDocument]

PARSERS: dict[str, Parser] = {
    ".txt": parse_plain_text,
    ".text": parse_plain_text,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
}


def supported_extensions() -> list[str]:
    return sorted(PARSERS)


def parse_document(path: Path, data: bytes) -> ParsedDocument:
    """Parse ``data`` read from ``path``. Raises a BadInput subclass naming the file."""
    name = path.name
    if not data:
        raise EmptyDocument(f"{name}: the file is empty")
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        formats = ", ".join(e.lstrip(".") for e in supported_extensions())
        raise UnsupportedDocument(
            f"{name}: {path.suffix or 'no extension'} is not a supported format ({formats})"
        )
    return parser(name, data)
