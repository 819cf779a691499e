"""DOCX core properties and the PDF information dictionary become header fields, answered and
cited like the ``Author:`` lines of a text document; a file without them gets none (and no
invented defaults)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from activities.context import ToolContext
from activities.documents.metadata import pdf_date
from activities.documents.parsers import parse_document
from activities.errors import EmptyDocument
from activities.tools.answer import extractive_answer
from activities.tools.search import search_documents
from tests.activities.factories import assert_citations_exact, ingest

BODY = [
    ("Scope", "This plan covers the migration of the billing service to the new cluster."),
    ("Schedule", "The cut-over happens over one weekend with a rollback window of two days."),
]


def _docx(*, core: bool = True) -> bytes:
    import docx

    document = docx.Document()
    properties = document.core_properties
    properties.author = "Ada Lovelace"
    properties.title = "Billing migration plan"
    properties.subject = "Cluster migration"
    properties.keywords = "billing; migration"
    properties.created = datetime(2023, 10, 24, 9, 30)
    properties.modified = datetime(2024, 1, 5, 16, 0)
    properties.last_modified_by = "Grace Hopper"
    for heading, text in BODY:
        document.add_heading(heading, 1)
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    return data if core else _without_core_properties(data)


def _without_core_properties(data: bytes) -> bytes:
    """The same package without docProps/core.xml (nor its relationship), as some writers
    leave it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename == "docProps/core.xml":
                continue
            content = source.read(item.filename)
            if item.filename == "_rels/.rels":
                content = re.sub(rb"<Relationship [^>]*core-properties[^>]*/>", b"", content)
            if item.filename == "[Content_Types].xml":
                content = re.sub(rb"<Override [^>]*/docProps/core.xml[^>]*/>", b"", content)
            target.writestr(item, content)
    return out.getvalue()


def _pdf(*, metadata: bool = True) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    if metadata:
        pdf.set_author("Kristian Skordal")
        pdf.set_title("Potato processor datasheet")
        pdf.set_subject("A RISC-V processor")
        pdf.set_keywords("risc-v fpga")
        pdf.set_creator("LaTeX with hyperref")
        pdf.set_producer("pdfTeX-1.40.17")
        pdf.set_creation_date(datetime(2018, 3, 16, 20, 24))
    pdf.add_page()
    for heading, text in BODY:
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _fields(text: str) -> dict[str, str]:
    head = text.split("\n\n", 1)[0]
    return dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)


def test_docx_core_properties_open_the_text_as_fields() -> None:
    parsed = parse_document(Path("plan.docx"), _docx())
    assert _fields(parsed.text) == {
        "Title": "Billing migration plan",
        "Author": "Ada Lovelace",
        "Subject": "Cluster migration",
        "Keywords": "billing; migration",
        "Created": "2023-10-24",
        "Modified": "2024-01-05",
        "Last modified by": "Grace Hopper",
    }
    assert parsed.title == "Billing migration plan"
    assert "# Scope" in parsed.text and BODY[1][1] in parsed.text


def test_a_docx_without_core_properties_gets_no_invented_fields() -> None:
    parsed = parse_document(Path("plan.docx"), _docx(core=False))
    assert parsed.text.startswith("# Scope")  # not python-docx's "Word Document" default
    assert parsed.title == "Scope"


def test_pdf_information_dictionary_opens_the_text_as_fields_on_no_page() -> None:
    parsed = parse_document(Path("sheet.pdf"), _pdf())
    fields = _fields(parsed.text)
    assert {k: fields[k] for k in ("Title", "Author", "Subject", "Keywords", "Created")} == {
        "Title": "Potato processor datasheet",
        "Author": "Kristian Skordal",
        "Subject": "A RISC-V processor",
        "Keywords": "risc-v fpga",
        "Created": "2018-03-16",
    }
    assert fields["Application"] == "LaTeX with hyperref"  # /Creator names a program
    assert fields["Producer"] == "pdfTeX-1.40.17"
    assert parsed.pages[0].start > parsed.text.index("Created: 2018-03-16")


def test_metadata_alone_is_no_text() -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_author("Someone")
    pdf.add_page()
    with pytest.raises(EmptyDocument):
        parse_document(Path("blank.pdf"), bytes(pdf.output()))


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("D:20140922104042+02'00'", "2014-09-22"),
        ("D:2012", "2012-01-01"),
        ("20180316", "2018-03-16"),
        ("D:20181341", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_pdf_dates_become_days(raw: str | None, day: str | None) -> None:
    assert pdf_date(raw) == day


@pytest.mark.parametrize(
    ("name", "data", "question", "expected"),
    [
        ("plan-meta.docx", _docx(), "Who wrote the billing migration plan?", "Ada Lovelace"),
        ("plan-meta.docx", _docx(), "When was the migration plan created?", "2023-10-24"),
        ("sheet-meta.pdf", _pdf(), "Who is the author of the datasheet?", "Kristian Skordal"),
        ("sheet-meta.pdf", _pdf(), "When was the datasheet created?", "2018-03-16"),
    ],
)
def test_who_wrote_and_when_created_are_answered_from_metadata_and_cited(
    context: ToolContext, tmp_path: Path, name: str, data: bytes, question: str, expected: str
) -> None:
    ref = ingest(context, tmp_path, name, data)
    found = search_documents(question, [ref], top_k=3)
    answer = extractive_answer(question, found.passages, max_sentences=1)
    assert expected in answer.answer.split("\n")[0]
    assert answer.citations and expected in answer.citations[0].quote
    assert_citations_exact(context, answer.citations)
