"""reStructuredText: parsed with docutils into sections, paragraphs, lists and tables.

File inclusion and raw passthrough are disabled (a document must not read other files), and
markup problems never stop the parse: they are left out of the text. Section depth gives the
heading level.
"""

from __future__ import annotations

from typing import Any

from activities.documents.builder import TextBuilder, clean_inline
from activities.documents.parsed import ParsedDocument
from activities.documents.text_parsers import decode_text
from activities.errors import EmptyDocument

_DOCUTILS_SETTINGS = {
    "report_level": 5,
    "halt_level": 5,
    "warning_stream": False,
    "file_insertion_enabled": False,
    "raw_enabled": False,
    "doctitle_xform": False,
    "input_encoding": "unicode",
}
_SKIP = {
    "system_message",
    "comment",
    "substitution_definition",
    "target",
    "pending",
    "raw",
    "problematic",
    "colspec",
}


def _text(node: Any) -> str:
    """A node's text without what docutils adds or hides: its own system messages ("Unknown
    interpreted text role ..."), comments, substitution definitions. Markup it could not
    read ("problematic") keeps the author's text."""
    if node.tagname == "#text":
        return str(node.astext())
    if node.tagname in _SKIP and node.tagname != "problematic":
        return ""
    return "".join(_text(child) for child in node.children)


class _Reader:
    def __init__(self, builder: TextBuilder) -> None:
        self.builder = builder

    def node(self, node: Any, depth: int, prefix: str = "") -> None:
        kind = node.tagname
        if kind in _SKIP:
            return
        if kind == "section":
            title = next((c for c in node.children if c.tagname == "title"), None)
            if title is not None:
                self.builder.heading(depth + 1, title.astext())
            for child in node.children:
                if child is not title:
                    self.node(child, depth + 1)
        elif kind == "paragraph":
            self.builder.paragraph(prefix + _text(node))
        elif kind in ("field_list", "docinfo"):
            self.builder.fields(_fields(node))
        elif kind in ("literal_block", "doctest_block", "line_block"):
            self.builder.paragraph(node.astext(), preformatted=True)
        elif kind == "table":
            rows = [
                [clean_inline(_text(entry)) for entry in row.children if entry.tagname == "entry"]
                for row in node.findall(lambda n: getattr(n, "tagname", "") == "row")
            ]
            title = next((c for c in node.children if c.tagname == "title"), None)
            self.builder.table(rows, caption=title.astext() if title is not None else None)
        elif kind == "list_item":
            for index, child in enumerate(node.children):
                self.node(child, depth, "- " if index == 0 else "")
        elif kind == "title":
            self.builder.heading(depth + 1, node.astext())
        elif kind == "#text":
            self.builder.paragraph(node.astext())
        else:
            for child in node.children:
                self.node(child, depth)


def _fields(node: Any) -> list[tuple[str, str]]:
    """(name, value) of a field list (":Author: ...") or of the docinfo block docutils makes
    of one at the top of a document (where each field is a node named after it)."""
    pairs: list[tuple[str, str]] = []
    for field in node.children:
        if field.tagname == "field":
            names = [c for c in field.children if c.tagname == "field_name"]
            bodies = [c for c in field.children if c.tagname == "field_body"]
            if names and bodies:
                pairs.append((_text(names[0]), _text(bodies[0])))
        elif field.tagname not in _SKIP:  # docinfo: <author>, <status>, <date>, ...
            pairs.append((field.tagname.replace("_", " ").capitalize(), _text(field)))
    return pairs


def parse_rst(name: str, data: bytes) -> ParsedDocument:
    """Parse reStructuredText. Raises EmptyDocument naming ``name`` when it has no text."""
    from docutils.core import publish_doctree

    source, warnings = decode_text(name, data)
    if not source.strip():
        raise EmptyDocument(f"{name}: the document has no text")
    doctree = publish_doctree(source, settings_overrides=_DOCUTILS_SETTINGS)
    builder = TextBuilder()
    _Reader(builder).node(doctree, 0)
    if not builder.has_text:
        raise EmptyDocument(f"{name}: the document has no text")
    return builder.build(format="rst", title=None, warnings=warnings)
