"""HTML: the readable content of a page with BeautifulSoup; headings become sections.

Boilerplate is dropped before reading: scripts, styles, navigation, footers, sidebars, forms,
cookie banners (by tag, ARIA role, or a class/id such as ``nav``, ``footer``, ``sidebar``,
``cookie``). When the page has a ``<main>`` (or a single ``<article>``) only that is read.
Tables keep their cells; the encoding comes from the page's declaration or detection.
"""

from __future__ import annotations

import re
from typing import Any

from activities.documents.builder import TextBuilder, clean_inline
from activities.documents.parsed import ParsedDocument
from activities.errors import EmptyDocument

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "canvas",
    "button",
    "select",
    "input",
    "textarea",
    "object",
    "embed",
    "dialog",
)
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "dialog"}
_DROP_MARKS = re.compile(
    r"(?:^|[-_ ])(?:nav|navbar|navigation|menu|footer|sidebar|cookies?|breadcrumbs?|banner|"
    r"advert|ads|share|social|skip-link|masthead)(?:$|[-_ ])",
    re.IGNORECASE,
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "ul",
    "ol",
    "blockquote",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "address",
    "details",
    "summary",
    "hr",
    "body",
    "html",
    "caption",
    "center",
}


_CONTENT_TAGS = ("article", "main", "section")


def _is_boilerplate(tag: Any, in_content: bool) -> bool:
    """``in_content``: ``tag`` is inside an article, main or section element (or role=main)."""
    if tag.name in _DROP_TAGS:
        return True
    if (tag.get("role") or "").lower() in _DROP_ROLES:
        return True
    if tag.name == "header" and not in_content:
        return True  # the site header; an article's own header holds its title and is kept
    marks = " ".join([tag.get("id") or "", *(tag.get("class") or [])])
    return (
        bool(marks.strip())
        and tag.name not in ("body", "html", "main", "article")
        and bool(_DROP_MARKS.search(marks))
    )


def _strip_boilerplate(soup: Any) -> None:
    """Remove boilerplate in one top-down pass: a removed element's subtree is never visited, so
    the pass is linear in the page size however deep it nests (bs4's ``Tag.decomposed`` and
    ``find_parent`` per element made it quadratic)."""
    from bs4 import Tag

    stack: list[tuple[Any, bool]] = [(soup, False)]
    while stack:
        node, in_content = stack.pop()
        for child in list(node.children):
            if not isinstance(child, Tag):
                continue
            if _is_boilerplate(child, in_content):
                child.decompose()
            else:
                stack.append(
                    (
                        child,
                        in_content
                        or child.name in _CONTENT_TAGS
                        or str(child.get("role") or "").lower() == "main",
                    )
                )


def _own_tags(root: Any, names: tuple[str, ...]) -> list[Any]:
    """Descendants of ``root`` named ``names`` in document order, not looking inside nested
    tables (their rows belong to them)."""
    from bs4 import Tag

    found: list[Any] = []
    stack = [c for c in reversed(list(root.children)) if isinstance(c, Tag)]
    while stack:
        tag = stack.pop()
        if tag.name in names:
            found.append(tag)
        elif tag.name != "table":
            stack.extend(c for c in reversed(list(tag.children)) if isinstance(c, Tag))
    return found


def _table_rows(table: Any) -> list[list[str]]:
    return [
        [clean_inline(cell.get_text(" ")) for cell in tr.find_all(["td", "th"], recursive=False)]
        for tr in _own_tags(table, ("tr",))
    ]


# Deeper elements are read as one run of text: real pages nest a few dozen levels.
MAX_DEPTH = 256
_FLUSH = object()  # a marker on the reader's stack: end the paragraph here


class _Reader:
    """Walks the tree, gathering inline text into paragraphs between block boundaries.

    The walk uses its own stack, not recursion, so no nesting depth can exhaust Python's stack;
    elements nested deeper than MAX_DEPTH are flattened to their text.
    """

    def __init__(self, builder: TextBuilder) -> None:
        self.builder = builder
        self.buffer: list[str] = []
        self.flattened = False

    def flush(self) -> None:
        text = clean_inline("".join(self.buffer))
        self.buffer = []
        if text and text != "-":
            self.builder.paragraph(text)

    def walk(self, root: Any) -> None:
        from bs4.element import NavigableString, PreformattedString, Tag

        stack: list[tuple[Any, int]] = [(child, 1) for child in reversed(list(root.children))]
        while stack:
            node, depth = stack.pop()
            if node is _FLUSH:
                self.flush()
            elif isinstance(node, PreformattedString):  # comments, doctype, CDATA
                continue
            elif isinstance(node, NavigableString):
                self.buffer.append(str(node))
            elif isinstance(node, Tag):
                children = self.element(node, depth)
                stack.extend((child, depth + 1) for child in reversed(children))

    def element(self, tag: Any, depth: int) -> list[Any]:
        """Read what ``tag`` itself contributes; returns what to walk next (children, markers)."""
        name = tag.name
        if depth > MAX_DEPTH:
            self.flattened = True
            self.buffer.append(" " + tag.get_text(" ") + " ")
            return []
        if name in _HEADINGS:
            self.flush()
            self.builder.heading(_HEADINGS[name], tag.get_text(" "))
        elif name == "table":
            self.flush()
            caption = tag.find("caption")
            self.builder.table(
                _table_rows(tag), caption=clean_inline(caption.get_text(" ")) if caption else None
            )
        elif name == "pre":
            self.flush()
            self.builder.paragraph(tag.get_text(), preformatted=True)
        elif name == "li":
            self.flush()
            self.buffer.append("- ")
            return [*tag.children, _FLUSH]
        elif name == "br":
            self.buffer.append(" ")
        elif name in _BLOCKS:
            self.flush()
            return [*tag.children, _FLUSH]
        else:
            return list(tag.children)
        return []


_META_FIELDS = {
    "author": "Author",
    "creator": "Author",
    "dc.creator": "Author",
    "dcterms.creator": "Author",
    "date": "Date",
    "dc.date": "Date",
    "dcterms.date": "Date",
    "dcterms.issued": "Issued",
    "dcterms.created": "Created",
    "dcterms.modified": "Modified",
    "article:published_time": "Published",
    "article:modified_time": "Modified",
}


def _meta_fields(soup: Any) -> list[tuple[str, str]]:
    """The page's metadata that says who wrote it and when (``<meta name="author">``, Dublin
    Core ``dcterms.*``), as fields; several values of one field are joined."""
    found: dict[str, list[str]] = {}
    for meta in soup.find_all("meta"):
        key = (meta.get("name") or meta.get("property") or "").strip().lower()
        label = _META_FIELDS.get(key)
        value = clean_inline(meta.get("content") or "")
        if label and value and value not in found.get(label, []):
            found.setdefault(label, []).append(value)
    return [(label, "; ".join(values)) for label, values in found.items()]


def parse_html(name: str, data: bytes) -> ParsedDocument:
    """Parse an HTML page. Raises EmptyDocument naming ``name`` when nothing readable is left."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    warnings: list[str] = []
    encoding = (soup.original_encoding or "utf-8").lower()
    if encoding not in ("utf-8", "ascii", "us-ascii"):
        warnings.append(f"{name}: not UTF-8; decoded as {encoding}")
    title_tag = soup.find("title")
    title = clean_inline(title_tag.get_text(" ")) if title_tag else None
    _strip_boilerplate(soup)
    articles = soup.find_all("article")
    root = soup.find("main") or (articles[0] if len(articles) == 1 else None) or soup.body or soup
    builder = TextBuilder()
    builder.fields(_meta_fields(soup))
    reader = _Reader(builder)
    reader.walk(root)
    reader.flush()
    if not builder.has_text:
        raise EmptyDocument(f"{name}: the page has no readable text")
    if reader.flattened:
        warnings.append(f"{name}: elements nested over {MAX_DEPTH} levels deep read as plain text")
    parsed = builder.build(format="html", title=title or None, warnings=warnings)
    if "\ufffd" in parsed.text:
        parsed.warnings.append(f"{name}: undecodable bytes replaced")
    return parsed
