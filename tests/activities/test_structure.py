"""Structure-aware documents: header fields, tables whose rows keep their header (in every
chunk, after merged or stacked cells), list items with what introduces them, and headings
that carry a fact — each quotable exactly."""

from __future__ import annotations

import io
from pathlib import Path

from activities.documents.builder import TABLE_BLOCK_CHARS, TextBuilder, clean_rows
from activities.documents.chunking import chunk_document
from activities.documents.parsers import parse_document
from activities.tools.answer import extractive_answer
from activities.tools.units import UnitKind, passage_units
from models.documents import Anchor, Passage


def _passage(text: str, name: str = "doc.md") -> Passage:
    return Passage(
        id="d:0",
        document_id="d",
        document_name=name,
        text=text,
        anchor=Anchor(char_start=0, char_end=len(text)),
    )


def test_a_long_table_repeats_its_header_in_every_chunk_and_is_cut_between_rows() -> None:
    rows = [["Region", "Site", "Capacity"]] + [
        [f"Region {i}", f"Data centre number {i}", f"{100 + i} racks"] for i in range(80)
    ]
    builder = TextBuilder()
    builder.heading(1, "Sites")
    builder.table(rows)
    parsed = builder.build(format="docx", title=None, warnings=[])
    chunks = [c for c in chunk_document(parsed) if "|" in c.text]
    assert len(chunks) > 2
    for chunk in chunks:
        lines = chunk.text.split("\n")
        assert "| Region | Site | Capacity |" in lines
        body = [line for line in lines if line and not line.startswith("#")]
        assert all(line.startswith("|") and line.endswith("|") for line in body)
        assert len(chunk.text) <= TABLE_BLOCK_CHARS + 100
    assert len(parsed.tables) == 1 and len(parsed.tables[0].rows) == 81


def test_stacked_rows_of_a_pdf_table_are_split_and_merged_cells_kept_once() -> None:
    stacked = [["clk\ntimer clk\nreset", "1\n1\n1", "Processor clock\n10 MHz timer clock\nReset"]]
    assert clean_rows(stacked) == [
        ["clk", "1", "Processor clock"],
        ["timer clk", "1", "10 MHz timer clock"],
        ["reset", "1", "Reset"],
    ]
    wrapped = [["A description of the service that\nwraps onto a second line here", "Ann\nLee"]]
    assert clean_rows(wrapped) == [
        ["A description of the service that wraps onto a second line here", "Ann Lee"]
    ]
    assert clean_rows([["Note: read this", "Note: read this"]]) == [["Note: read this", ""]]


def test_rst_field_lists_become_fields_and_tables_hold_no_system_messages() -> None:
    source = (
        "Title\n=====\n\n:Author: Ann Lee\n:Created: 24-Oct-2023\n\n"
        "+------+--------------+\n| Key  | Value        |\n+======+==============+\n"
        "| role | :foo:`bar` x |\n+------+--------------+\n"
    )
    parsed = parse_document(Path("nep.rst"), source.encode())
    assert "Author: Ann Lee\nCreated: 24-Oct-2023" in parsed.text
    assert parsed.tables[0].rows[1] == ["role", ":foo:`bar` x"]
    assert "Unknown interpreted text role" not in parsed.text


def test_html_metadata_and_a_header_block_inside_the_main_area_are_kept() -> None:
    page = (
        '<html><head><meta name="dcterms.creator" content="Bray, T.">'
        '<meta name="dcterms.issued" content="2016-02"></head><body>'
        '<div role="main"><header><table><tr><td>Category: Standards Track</td>'
        "<td>February 2016</td></tr></table></header><h1>A Status Code</h1>"
        "<p>This document specifies a status code.</p></div></body></html>"
    )
    parsed = parse_document(Path("rfc.html"), page.encode())
    assert parsed.text.startswith("Author: Bray, T.\nIssued: 2016-02")
    assert "| Category: Standards Track | February 2016 |" in parsed.text


def test_markdown_front_matter_gives_the_title_and_underlined_headings_are_sections() -> None:
    source = (
        "---\ntitle: Typed Transaction Envelope\nauthor: Micah Zoltu\n---\n\n"
        "Summary\n-------\n\nText.\n\n| Constant | Value |\n| - | - |\n| `GAS` | `3` |\n"
    )
    parsed = parse_document(Path("eip.md"), source.encode())
    assert parsed.title == "Typed Transaction Envelope"
    assert [s.label for s in parsed.sections] == ["Summary"]
    assert parsed.tables[0].rows[1] == ["`GAS`", "`3`"]


def test_docx_merged_cells_leave_the_other_cells_under_their_own_header() -> None:
    import docx

    document = docx.Document()
    grid = document.add_table(rows=2, cols=3)
    for c, text in enumerate(["Item", "Q1", "Q2"]):
        grid.cell(0, c).text = text
    merged = grid.cell(1, 0).merge(grid.cell(1, 1))
    merged.text = "Storage and backup"
    grid.cell(1, 2).text = "420"
    buffer = io.BytesIO()
    document.save(buffer)
    parsed = parse_document(Path("budget.docx"), buffer.getvalue())
    assert parsed.tables[0].rows == [["Item", "Q1", "Q2"], ["Storage and backup", "", "420"]]


def test_fields_yaml_records_constants_headings_and_list_items_are_units() -> None:
    text = (
        "## Version 1.0 [deutsch] 22. September 2014\n\n"
        "Effective date: November 16, 2020\n\n"
        '  - releaseCycle: "3.12"\n    eol: 2028-10-31\n\n'
        "INITIAL_BASE_FEE = 1000000000\n\n"
        "The following limits apply:\n\n- At least 4096 bytes per cookie."
    )
    units = {u.text: u for u in passage_units(_passage(text))}
    assert units["Version 1.0 [deutsch] 22. September 2014"].kind is UnitKind.HEADING
    assert units["Effective date: November 16, 2020"].key == "Effective date"
    assert units["eol: 2028-10-31"].context == 'releaseCycle: "3.12"'
    assert units["INITIAL_BASE_FEE = 1000000000"].key == "INITIAL BASE FEE"
    assert units["- At least 4096 bytes per cookie."].context == "The following limits apply:"


def test_a_fact_in_a_heading_can_be_quoted() -> None:
    text = "# Handbuch\n\n## Version 1.0 [deutsch] 22. September 2014\n\nGeoLing ist ein Programm."
    answer = extractive_answer("Wann ist die Version 1.0 erschienen?", [_passage(text)])
    assert answer.citations[0].quote == "Version 1.0 [deutsch] 22. September 2014"
    assert text[answer.citations[0].anchor.char_start :].startswith("Version 1.0")
