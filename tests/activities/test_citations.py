"""Whatever the format and the tool, a citation quotes exactly the stored text at its anchor."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from activities.context import ToolContext
from activities.tools.answer import answer_question
from activities.tools.compare import compare_documents
from activities.tools.entities import extract_entities
from activities.tools.search import search_documents
from activities.tools.summarize import summarize_document
from activities.tools.tables import extract_tables
from models.documents import Citation
from tests.activities.factories import (
    assert_citations_exact,
    docx_bytes,
    ingest,
    pdf_bytes,
)

FACTS = [
    (
        "1. Fees",
        "The Client pays a monthly fee of EUR 12,000. Invoices are due within 30 days of receipt.",
    ),
    (
        "2. Notice",
        "Either party may terminate with 90 days written notice, sent to legal@globex.example.",
    ),
]
TABLE = [("Service", "Price"), ("Storage", "EUR 420")]


async def _result(value: Any) -> Any:
    """The tool's result, whether the tool is a plain or an async function."""
    return await value if inspect.isawaitable(value) else value


def _document(kind: str, facts: list[tuple[str, str]] = FACTS) -> tuple[str, bytes]:
    if kind == "pdf":
        return "terms.pdf", pdf_bytes([facts[:1], facts[1:]], title="Terms of Service", table=TABLE)
    if kind == "docx":
        blocks: list[tuple[str, object]] = [("title", "Terms of Service")]
        for heading, text in facts:
            blocks += [("h1", heading), ("p", text)]
        return "terms.docx", docx_bytes([*blocks, ("table", TABLE)])
    body = "\n\n".join(f"{h}\n\n{t}" for h, t in facts)
    if kind == "html":
        sections = "".join(f"<h2>{h}</h2><p>{t}</p>" for h, t in facts)
        table = (
            "<table>" + "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in TABLE) + "</table>"
        )
        return (
            "terms.html",
            f"<html><body><h1>Terms of Service</h1>{sections}{table}</body></html>".encode(),
        )
    if kind == "rst":
        sections = "".join(f"{h}\n{'-' * len(h)}\n\n{t}\n\n" for h, t in facts)
        return "terms.rst", f"Terms of Service\n================\n\n{sections}".encode()
    if kind == "md":
        sections = "".join(f"## {h}\n\n{t}\n\n" for h, t in facts)
        return (
            "terms.md",
            f"# Terms of Service\n\n{sections}"
            "| Service | Price |\n|---|---|\n| Storage | EUR 420 |\n".encode(),
        )
    return "terms.txt", f"TERMS OF SERVICE\n\n{body}\n".encode()


@pytest.mark.parametrize("kind", ["pdf", "docx", "html", "rst", "md", "txt"])
async def test_every_tool_cites_exact_text_in_every_format(
    context: ToolContext, tmp_path: Path, kind: str
) -> None:
    name, data = _document(kind)
    ref = ingest(context, tmp_path, name, data)
    assert ref.format == kind
    search = search_documents("monthly fee invoices", [ref])
    assert search.passages and "EUR 12,000" in search.passages[0].text
    answer = await _result(answer_question("What is the monthly fee?", search.passages))
    assert "EUR 12,000" in answer.answer
    summary = await _result(summarize_document(ref))
    entities = extract_entities(ref)
    tables = extract_tables(ref)
    changed = [(h, t.replace("90 days", "60 days")) for h, t in FACTS]
    other = ingest(context, tmp_path, f"other-{name}", _document(kind, changed)[1])
    comparison = compare_documents(ref, other)
    assert [(d.value_a, d.value_b) for d in comparison.differences] == [("90 days", "60 days")]
    by_tool = {
        "answer_question": answer.citations,
        "summarize_document": summary.citations,
        "extract_entities": entities.citations,
        "extract_tables": tables.citations,
        "compare_documents": comparison.citations,
        "entities": [e.citation for e in entities.entities],
    }
    # every tool cites, each in the documents it read (rst and txt samples have no table)
    with_tables = kind not in ("rst", "txt")
    assert [t for t, cited in by_tool.items() if not cited] == (
        [] if with_tables else ["extract_tables"]
    )
    assert {c.document_name for c in comparison.citations} == {name, f"other-{name}"}
    assert all(
        c.document_name == name
        for t, cited in by_tool.items()
        for c in cited
        if t != "compare_documents"
    )
    citations = [c for cited in by_tool.values() for c in cited]
    assert {c.document_name for c in citations} == {name, f"other-{name}"}
    assert_citations_exact(context, citations)
    if kind == "pdf":  # the creation date fpdf2 wrote opens the text as a field, on no page

        def in_fields(citation: Citation) -> bool:
            text = context.store.text(citation.document_id) or ""
            return text.startswith("Created: ") and citation.anchor.char_end <= text.index("\n\n")

        assert {c.anchor.page for c in citations if not in_fields(c)} == {1, 2}
        assert all(c.anchor.page is None for c in citations if in_fields(c))
    if kind in ("pdf", "docx", "html", "md", "rst"):
        fee = next(e for e in entities.entities if e.text == "EUR 12,000")
        assert fee.citation.anchor.section is not None and fee.citation.anchor.section.endswith(
            "1. Fees"
        )
