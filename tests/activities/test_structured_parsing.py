"""DOCX, HTML, reStructuredText and Markdown: sections from headings, tables, boilerplate."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.documents.chunking import chunk_document
from activities.documents.docx_parser import parse_docx
from activities.documents.html_parser import parse_html
from activities.documents.parsers import parse_document
from activities.documents.rst_parser import parse_rst
from activities.documents.text_parsers import parse_markdown
from activities.errors import CorruptDocument, EmptyDocument
from tests.activities.factories import docx_bytes

ACTIONS = [("Action", "Owner", "Due"), ("Automate renewal", "Marcus Lee", "15 October 2025")]
REVIEW = [
    ("title", "Incident Review"),
    ("h1", "Summary"),
    ("p", "An expired certificate blocked uploads for 95 minutes."),
    ("bullet", "Search was not affected."),
    ("h1", "Actions"),
    ("h2", "Owners"),
    ("table", ACTIONS),
    ("p", "Reviewed on 2 October 2025."),
]


def test_docx_heading_styles_become_nested_sections() -> None:
    parsed = parse_docx("review.docx", docx_bytes(REVIEW))
    assert [s.label for s in parsed.sections] == [
        "Incident Review",
        "Incident Review > Summary",
        "Incident Review > Actions",
        "Incident Review > Actions > Owners",
    ]
    assert parsed.title == "Incident Review"
    assert "- Search was not affected." in parsed.text
    chunk = next(c for c in chunk_document(parsed) if "95 minutes" in c.text)
    assert chunk.anchor.section == "Incident Review > Summary"
    assert chunk.anchor.page is None


def test_docx_table_keeps_its_cells_in_body_order() -> None:
    parsed = parse_docx("review.docx", docx_bytes(REVIEW))
    assert [t.rows for t in parsed.tables] == [[list(r) for r in ACTIONS]]
    table = parsed.tables[0]
    assert parsed.text[table.start : table.end].splitlines()[2] == (
        "| Automate renewal | Marcus Lee | 15 October 2025 |"
    )
    assert table.start is not None
    assert parsed.text.index("Owners") < table.start < parsed.text.index("Reviewed on")


def test_docx_core_title_wins_over_the_first_heading() -> None:
    parsed = parse_docx("r.docx", docx_bytes(REVIEW, title="Certificate incident"))
    assert parsed.title == "Certificate incident"


def test_damaged_docx_is_a_corrupt_document() -> None:
    data = docx_bytes(REVIEW)
    with pytest.raises(CorruptDocument, match=r"review\.docx"):
        parse_document(Path("review.docx"), data[: len(data) // 2])


def test_html_boilerplate_is_dropped_and_headings_become_sections() -> None:
    page = b"""<!doctype html><html><head><title>Release 2.1</title>
    <style>p { color: red }</style><script>track('visit')</script></head><body>
    <header><a href="/">Home</a> <a href="/docs">Docs</a></header>
    <nav><ul><li>Products</li><li>Pricing</li></ul></nav>
    <div class="cookie-banner">We use cookies.</div>
    <main><h1>Release notes</h1>
    <p>Version <b>2.1</b> makes   ingestion faster.<br>It ships today.</p>
    <h2>Changes</h2><ul><li>Tables in PDFs</li><li>DOCX support</li></ul>
    <table><caption>Latency</caption><tr><th>Metric</th><th>Value</th></tr>
    <tr><td>p50</td><td>3 ms</td></tr></table></main>
    <aside>Related posts</aside><footer>Copyright 2025 Acme</footer></body></html>"""
    parsed = parse_html("notes.html", page)
    for boilerplate in ("Home", "Products", "cookies", "track", "color", "Related", "Copyright"):
        assert boilerplate not in parsed.text
    assert "Version 2.1 makes ingestion faster. It ships today." in parsed.text
    assert [s.label for s in parsed.sections] == ["Release notes", "Release notes > Changes"]
    assert parsed.title == "Release 2.1"
    assert parsed.tables[0].rows == [["Metric", "Value"], ["p50", "3 ms"]]
    assert parsed.tables[0].caption == "Latency"


def test_html_in_a_declared_legacy_encoding_is_decoded_and_reported() -> None:
    page = (
        '<html><head><meta charset="windows-1252"></head><body><p>Café costs €4</p></body></html>'
    )
    parsed = parse_html("menu.html", page.encode("cp1252"))
    assert "Café costs €4" in parsed.text
    assert any("not UTF-8" in w for w in parsed.warnings)


def test_html_with_nothing_readable_is_empty() -> None:
    with pytest.raises(EmptyDocument, match=r"blank\.html"):
        parse_html("blank.html", b"<html><body><nav>Menu</nav><script>x()</script></body></html>")


def test_rst_sections_tables_and_no_file_inclusion() -> None:
    source = b"""=======
 Guide
=======

Intro paragraph with *emphasis*.

Install
-------

- run the installer
- restart

+--------+-------+
| Step   | Time  |
+========+=======+
| Fetch  | 2 min |
+--------+-------+

.. include:: /etc/passwd

Usage
-----

Ask a question.
"""
    parsed = parse_rst("guide.rst", source)
    assert [s.label for s in parsed.sections] == ["Guide", "Guide > Install", "Guide > Usage"]
    assert "Intro paragraph with emphasis." in parsed.text
    assert "- run the installer" in parsed.text
    assert parsed.tables[0].rows == [["Step", "Time"], ["Fetch", "2 min"]]
    assert "root:" not in parsed.text and "include" not in parsed.text


def test_markdown_pipe_tables_are_found_with_exact_offsets() -> None:
    text = "# Prices\n\n| Item | Price |\n|---|---:|\n| Storage | EUR 420 |\n\nAfter.\n"
    parsed = parse_markdown("prices.md", text.encode())
    table = parsed.tables[0]
    assert table.rows == [["Item", "Price"], ["Storage", "EUR 420"]]
    assert (
        parsed.text[table.start : table.end]
        == "| Item | Price |\n|---|---:|\n| Storage | EUR 420 |"
    )
