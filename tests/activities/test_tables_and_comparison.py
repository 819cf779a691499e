"""extract_tables over PDF and DOCX, and compare_documents over contracts that differ."""

from __future__ import annotations

from pathlib import Path

from activities.context import ToolContext
from activities.documents.ingestion import ingest_file
from activities.tools.alignment import heading_similarity
from activities.tools.compare import compare_documents
from activities.tools.tables import extract_tables
from tests.activities.factories import (
    assert_citations_exact,
    docx_bytes,
    ingest,
    pdf_bytes,
)

FEES = [
    ("Service", "Unit", "Price (USD)"),
    ("Storage", "per TB", "420"),
    ("Support", "per hour", "180"),
]


def test_pdf_table_comes_back_as_columns_and_rows_with_its_page(
    context: ToolContext, tmp_path: Path
) -> None:
    data = pdf_bytes(
        [[("1. Fees", "Fees are listed below.")], [("2. Schedule", "Prices:")]], table=FEES
    )
    ref = ingest(context, tmp_path, "fees.pdf", data)
    result = extract_tables(ref)
    assert len(result.tables) == 1
    table = result.tables[0]
    assert (table.page, table.columns, table.rows) == (
        2,
        list(FEES[0]),
        [list(r) for r in FEES[1:]],
    )
    assert table.citation is not None and table.citation.anchor.page == 2
    assert table.citation.quote.startswith("| Service | Unit | Price (USD) |")
    assert_citations_exact(context, result.citations)
    assert "Table 1 (page 2): 2 rows × 3 columns" in result.answer
    assert result.confidence == 1.0


def test_docx_tables_come_back_in_order(context: ToolContext, tmp_path: Path) -> None:
    blocks = [
        ("h1", "Plan"),
        ("table", FEES),
        ("p", "Then the owners:"),
        ("table", [("Owner", "Due"), ("Marcus Lee", "15 October 2025")]),
    ]
    ref = ingest(context, tmp_path, "plan.docx", docx_bytes(blocks))
    result = extract_tables(ref)
    assert [t.columns for t in result.tables] == [list(FEES[0]), ["Owner", "Due"]]
    assert result.tables[1].rows == [["Marcus Lee", "15 October 2025"]]
    assert all(t.page is None for t in result.tables)
    assert_citations_exact(context, result.citations)


def test_no_tables_is_said_plainly(context: ToolContext, tmp_path: Path) -> None:
    ref = ingest(context, tmp_path, "memo.md", "# Memo\n\nNo tables in here at all, just words.\n")
    result = extract_tables(ref)
    assert result.answer == "No tables found." and result.tables == []
    assert 0 < result.confidence < 1


def test_contracts_differing_in_dates_and_amounts_report_both_with_anchors(
    context: ToolContext,
    samples: Path,
) -> None:
    a = ingest_file(context.store, samples / "contract_acme_globex.md", max_bytes=10**7)
    b = ingest_file(context.store, samples / "contract_acme_initech.md", max_bytes=10**7)
    result = compare_documents(a, b)
    found = {(d.kind, d.value_a, d.value_b) for d in result.differences}
    assert ("date", "1 March 2025", "1 June 2025") in found
    assert ("amount", "EUR 12,000", "EUR 15,500") in found
    assert ("duration", "90 days", "60 days") in found
    assert ("percentage", "99.5%", "99.9%") in found
    assert ("party", "Globex Ltd", "Initech GmbH") in found
    fee = next(d for d in result.differences if d.kind == "amount")
    assert fee.section.endswith("3. Fees and Payment")
    assert fee.citation_a.document_id == a.id and fee.citation_b.document_id == b.id
    assert "EUR 12,000" in fee.citation_a.quote and "EUR 15,500" in fee.citation_b.quote
    assert_citations_exact(
        context, [c for d in result.differences for c in (d.citation_a, d.citation_b)]
    )
    assert_citations_exact(context, result.citations)
    assert "amount: A EUR 12,000 → B EUR 15,500" in result.answer
    assert "date: A 1 March 2025 → B 1 June 2025" in result.answer
    assert result.label == "contract_acme_globex.md vs contract_acme_initech.md"
    assert len(result.aligned) == 12 and result.confidence > 0.9


def test_focus_puts_its_differences_first(context: ToolContext, samples: Path) -> None:
    a = ingest_file(context.store, samples / "contract_acme_globex.md", max_bytes=10**7)
    b = ingest_file(context.store, samples / "contract_acme_initech.md", max_bytes=10**7)
    result = compare_documents(a, b, focus="notice period for termination")
    assert result.differences[0].value_a == "90 days"
    assert "(those about the focus first)" in result.answer


def test_sections_only_in_one_document_are_reported(context: ToolContext, tmp_path: Path) -> None:
    base = (
        "# Terms\n\n## 1. Fees\n\nThe fee is EUR 100 per month.\n\n"
        "## 2. Term\n\nThe term is 12 months.\n"
    )
    extra = base + "\n## 3. Data Protection\n\nPersonal data is processed in the EU only.\n"
    a = ingest(context, tmp_path, "base.md", base)
    b = ingest(context, tmp_path, "extended.md", extra)
    result = compare_documents(a, b)
    assert result.differences == [] and result.only_in_a == []
    assert [o.section for o in result.only_in_b] == ["Terms > 3. Data Protection"]
    assert "Only in B" in result.answer
    assert_citations_exact(context, result.citations)


def test_a_pdf_and_a_markdown_version_align_across_formats(
    context: ToolContext, tmp_path: Path
) -> None:
    md = "# Agreement\n\n## 1. Fees\n\nThe Client pays EUR 100 per month, due within 30 days.\n"
    pdf = pdf_bytes(
        [[("1. Fees", "The Client pays EUR 120 per month, due within 30 days.")]], title="Agreement"
    )
    result = compare_documents(
        ingest(context, tmp_path, "v1.md", md), ingest(context, tmp_path, "v2.pdf", pdf)
    )
    assert [(d.kind, d.value_a, d.value_b) for d in result.differences] == [
        ("amount", "EUR 100", "EUR 120")
    ]
    assert result.differences[0].citation_b.anchor.page == 1


def test_heading_similarity_ignores_numbering() -> None:
    assert (
        heading_similarity("7.1 Termination for Convenience", "§ 9 Termination for convenience")
        == 1.0
    )
    assert heading_similarity("Fees and Payment", "Governing Law") < 0.5
