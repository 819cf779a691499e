"""QueryWorkflow end to end over a PDF and a DOCX: ingestion by the resolve activity, the new tools
as activities, and citations that quote the stored text at their anchors."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.context import install
from models.query import QueryStatus, QueryType
from models.settings import Settings
from tests.activities.factories import assert_citations_exact, docx_bytes, pdf_bytes
from tests.conftest import WorkerFactory

pytestmark = pytest.mark.integration

TERMS = [
    ("1. Fees", "The Client pays a monthly fee of USD 18,000. Invoices are due within 30 days."),
    (
        "2. Termination",
        "Either party may terminate this Agreement by giving 45 days written notice.",
    ),
]
FEES = [("Service", "Unit", "Price (USD)"), ("Priority support", "per hour", "180")]


@pytest.fixture
def pdf_and_docx(docs_dir: Path) -> tuple[Path, Path]:
    pdf = docs_dir / "umbrella_terms.pdf"
    pdf.write_bytes(pdf_bytes([TERMS[:1], TERMS[1:]], title="Umbrella Terms", table=FEES))
    blocks: list[tuple[str, object]] = [("title", "Hooli Terms")]
    for heading, text in TERMS:
        blocks += [
            ("h1", heading),
            ("p", text.replace("18,000", "21,000").replace("45 days", "60 days")),
        ]
    docx = docs_dir / "hooli_terms.docx"
    docx.write_bytes(
        docx_bytes([*blocks, ("table", [("Owner", "Due"), ("Marcus Lee", "15 October 2025")])])
    )
    return pdf, docx


async def test_tables_are_extracted_from_a_pdf_and_a_docx_in_one_query(
    run_worker: WorkerFactory, settings: Settings, pdf_and_docx: tuple[Path, Path]
) -> None:
    pdf, docx = pdf_and_docx
    async with run_worker() as sdk:
        result = await sdk.run("Extract the tables", [str(pdf), str(docx)])
    assert result.status is QueryStatus.COMPLETED
    assert result.query_type is QueryType.EXTRACTION
    tools = [s.tool for s in result.execution_summary.steps]
    assert tools.count("extract_tables") == 2 and "compose_answers" in tools
    assert (
        "Table 1 (page 2)" in result.answer
        and "| Priority support | per hour | 180 |" in result.answer
    )
    assert "| Marcus Lee | 15 October 2025 |" in result.answer
    assert {c.document_name for c in result.citations} == {pdf.name, docx.name}
    assert_citations_exact(install(settings), result.citations)


async def test_question_and_comparison_over_a_pdf_and_a_docx(
    run_worker: WorkerFactory, settings: Settings, pdf_and_docx: tuple[Path, Path]
) -> None:
    pdf, docx = pdf_and_docx
    async with run_worker() as sdk:
        answer = await sdk.run(
            "How many days of notice are needed to terminate?", [str(pdf), str(docx)]
        )
        comparison = await sdk.run("Compare the two agreements", [str(pdf), str(docx)])
    assert "45 days" in answer.answer and "60 days" in answer.answer
    notice = next(c for c in answer.citations if "45 days" in c.quote)
    assert (notice.document_name, notice.anchor.page) == (pdf.name, 2)
    assert notice.anchor.section is not None and notice.anchor.section.endswith("2. Termination")
    assert comparison.query_type is QueryType.COMPARISON
    assert "amount: A USD 18,000 → B USD 21,000" in comparison.answer
    assert "duration: A 45 days → B 60 days" in comparison.answer
    context = install(settings)
    assert_citations_exact(context, [*answer.citations, *comparison.citations])
