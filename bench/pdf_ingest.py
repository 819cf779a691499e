"""PDF ingest speed: docorch's parser against pypdfium2's raw text extraction, same PDF, same run.

A generated report (fpdf2; 300 pages, 60 in a quick run) with a running header and footer,
numbered 14 pt headings, 12 pt subheadings, 10 pt paragraphs, a ruled table on every fourth page
and a two-column section on every tenth. Each round times, side by side:

* **raw**: pypdfium2 opens the PDF and takes every page's text (no layout) — the speed limit;
* **docorch**: ``parse_document`` as ingestion runs it (headings, reading order, columns,
  running lines dropped, tables);

and the ratio docorch ÷ raw per round; the figure is the median over rounds (goal ≥ 0.2). The
per-character pdfplumber layout on every page (docorch's parser before issue 15, still its
fallback) is timed once per run for the before/after comparison. Every table's cells must come
back exactly, on the right page, every page's heading must be a section and the running header
and footer must be gone, or the goal is missed.

    python -m bench --only pdf_ingest [--quick]
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from activities.documents.parsed import ParsedDocument
from activities.documents.parsers import parse_document
from activities.documents.pdf_parser import parse_pdf
from bench.results import md_table

NAME = "pdf_ingest"
TITLE = "PDF ingest: docorch vs pypdfium2 raw text"
GOAL_RATIO = 0.2
TABLE_EVERY = 4
COLUMNS_EVERY = 10
HEADER = "Annual Operations Review - internal"
TOPICS = (
    "Storage",
    "Networks",
    "Billing",
    "Suppliers",
    "Audits",
    "Forecasts",
    "Renewals",
    "Capacity",
    "Staffing",
    "Security",
    "Support",
    "Logistics",
)
_WORDS = [
    "the",
    "platform",
    "ingested",
    "pages",
    "across",
    "regions",
    "while",
    "operating",
    "costs",
    "rose",
    "modestly",
    "against",
    "prior",
    "quarter",
    "and",
    "board",
    "approved",
    "revised",
    "budget",
    "for",
    "storage",
    "network",
    "capacity",
    "planning",
    "audit",
    "review",
    "contract",
    "renewal",
    "notice",
    "period",
    "supplier",
    "invoices",
    "were",
    "reconciled",
    "each",
    "month",
    "with",
    "delivery",
    "schedules",
    "forecast",
    "demand",
    "service",
    "levels",
    "held",
    "steady",
]


def table_rows(page: int) -> list[list[str]]:
    """The table printed on ``page``: a header and four regions with values unique to the page."""
    header = ["Region", "Q1", "Q2", "Q3"]
    regions = ["North", "South", "East", "West"]
    return [header] + [
        [region, *(f"{page}.{row}{column}" for column in range(1, 4))]
        for row, region in enumerate(regions, start=1)
    ]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(_WORDS, k=words)).capitalize() + "."


def report_pdf(pages: int, *, seed: int = 3) -> bytes:
    """The benchmark report (see the module docstring)."""
    from fpdf import FPDF

    rng = random.Random(seed)

    class Report(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", "", 8)
            self.cell(0, 6, HEADER, align="C", new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 8, f"Page {self.page_no()} of {pages}", align="C")

    pdf = Report()
    pdf.set_auto_page_break(False)
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        title = f"{page}. {rng.choice(TOPICS)} and {rng.choice(TOPICS).lower()}"
        pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        for part in range(1, 3):
            pdf.set_font("Helvetica", "B", 12)
            pdf.multi_cell(0, 7, f"{page}.{part} Review item", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 10)
            for _ in range(2):
                text = " ".join(_sentence(rng, rng.randint(8, 18)) for _ in range(5))
                pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
        if page % COLUMNS_EVERY == 0:
            pdf.set_font("Helvetica", "", 9)
            top = pdf.get_y() + 2
            pdf.set_xy(10, top)
            pdf.multi_cell(90, 4.5, " ".join(_sentence(rng, 12) for _ in range(6)))
            pdf.set_xy(110, top)
            pdf.multi_cell(90, 4.5, " ".join(_sentence(rng, 12) for _ in range(6)))
        elif page % TABLE_EVERY == 0:
            pdf.ln(2)
            pdf.set_font("Helvetica", "", 9)
            with pdf.table() as grid:
                for row in table_rows(page):
                    cells = grid.row()
                    for cell in row:
                        cells.cell(cell)
    return bytes(pdf.output())


def _table_pages(pages: int) -> list[int]:
    return [p for p in range(1, pages + 1) if p % TABLE_EVERY == 0 and p % COLUMNS_EVERY != 0]


def raw_text_seconds(data: bytes) -> tuple[float, int]:
    """pypdfium2 plain text of every page: the time and the characters extracted."""
    import pypdfium2

    started = time.perf_counter()
    document = pypdfium2.PdfDocument(data)
    characters = 0
    try:
        for index in range(len(document)):
            page = document[index]
            text_page = page.get_textpage()
            characters += len(text_page.get_text_range())
            text_page.close()
            page.close()
    finally:
        document.close()
    return time.perf_counter() - started, characters


def docorch_seconds(data: bytes) -> tuple[float, ParsedDocument]:
    """docorch's parser as ingestion runs it."""
    started = time.perf_counter()
    parsed = parse_document(Path("report.pdf"), data)
    return time.perf_counter() - started, parsed


def pdfplumber_seconds(data: bytes) -> tuple[float, ParsedDocument]:
    """The per-character pdfplumber layout on every page (the parser before issue 15)."""
    started = time.perf_counter()
    parsed = parse_pdf("report.pdf", data, layout="pdfplumber")
    return time.perf_counter() - started, parsed


@dataclass
class Check:
    """What a parse got right: tables cell for cell, one heading per page, no running lines."""

    pages: int
    tables_expected: int
    tables_exact: int
    headings: int
    running_lines_left: int

    @property
    def ok(self) -> bool:
        return (
            self.tables_exact == self.tables_expected
            and self.headings == self.pages
            and self.running_lines_left == 0
        )

    def figures(self) -> dict[str, Any]:
        return {
            "tables_expected": self.tables_expected,
            "tables_exact": self.tables_exact,
            "headings": self.headings,
            "running_lines_left": self.running_lines_left,
            "checks_ok": self.ok,
        }


def check(parsed: ParsedDocument, pages: int) -> Check:
    """Every table back cell for cell on its page; every page's heading a section; the running
    header and the "Page n of N" footer dropped."""
    by_page = {t.page: t.rows for t in parsed.tables}
    expected = _table_pages(pages)
    exact = sum(1 for p in expected if by_page.get(p) == table_rows(p))
    titled = {s.label.split(" > ")[0].split(".")[0] for s in parsed.sections}
    headings = sum(1 for p in range(1, pages + 1) if str(p) in titled)
    return Check(
        pages,
        len(expected),
        exact,
        headings,
        parsed.text.count(HEADER) + parsed.text.count(f" of {pages}"),
    )


def measure(pages: int, rounds: int) -> dict[str, Any]:
    """``rounds`` side-by-side timings of raw text and docorch, one of the pdfplumber layout."""
    data = report_pdf(pages)
    docorch_seconds(report_pdf(2))  # imports and font caches are not parse time
    pdfplumber_seconds(report_pdf(2))
    raw_s: list[float] = []
    ours_s: list[float] = []
    parsed: ParsedDocument | None = None
    for _ in range(rounds):
        raw_s.append(raw_text_seconds(data)[0])
        seconds, parsed = docorch_seconds(data)
        ours_s.append(seconds)
    assert parsed is not None
    before_s, before = pdfplumber_seconds(data)
    ratios = [r / o for r, o in zip(raw_s, ours_s, strict=True)]
    return {
        "pages": pages,
        "rounds": rounds,
        "pdf_bytes": len(data),
        "raw_pages_per_s": round(pages / statistics.median(raw_s), 1),
        "docorch_pages_per_s": round(pages / statistics.median(ours_s), 1),
        "ratio": round(statistics.median(ratios), 3),
        "ratio_min": round(min(ratios), 3),
        **check(parsed, pages).figures(),
        "pdfplumber": {
            "pages_per_s": round(pages / before_s, 1),
            "ratio": round(statistics.median(raw_s) / before_s, 4),  # against the rounds' raw
            **check(before, pages).figures(),
        },
        "same_text_as_pdfplumber": parsed.text == before.text,
        "same_tables_as_pdfplumber": [t.rows for t in parsed.tables]
        == [t.rows for t in before.tables],
    }


async def run(quick: bool) -> dict[str, Any]:
    """60 pages and 3 rounds quick, 300 pages and 5 rounds full."""
    results = await asyncio.to_thread(measure, 60 if quick else 300, 3 if quick else 5)
    results["goals"] = [
        {
            "goal": f"PDF ingest ≥ {GOAL_RATIO} × pypdfium2 raw text speed, tables intact",
            "measured": (
                f"{results['ratio']:.2f}× ({results['docorch_pages_per_s']:,.0f} vs "
                f"{results['raw_pages_per_s']:,.0f} pages/s, {results['pages']} pages; "
                f"before: {results['pdfplumber']['ratio']:.3f}×); "
                f"{results['tables_exact']}/{results['tables_expected']} tables exact"
            ),
            "met": results["ratio"] >= GOAL_RATIO and results["checks_ok"],
        }
    ]
    return results


def table(results: dict[str, Any]) -> str:
    """The figures, with the pdfplumber layout (before issue 15) as the last row."""
    before = results["pdfplumber"]
    pages = results["pages"]

    def found(figures: dict[str, Any]) -> list[Any]:
        return [
            f"{figures['tables_exact']}/{figures['tables_expected']}",
            f"{figures['headings']}/{pages}",
            figures["running_lines_left"],
        ]

    rows = [
        ["pypdfium2 raw text (no layout)", results["raw_pages_per_s"], "1", "–", "–", "–"],
        [
            "docorch (PDFium runs; pdfplumber's table finder on ruled pages)",
            results["docorch_pages_per_s"],
            f"**{results['ratio']:.3f}** (lowest round {results['ratio_min']:.3f})",
            *found(results),
        ],
        [
            "before: pdfplumber layout on every page (one run)",
            before["pages_per_s"],
            f"{before['ratio']:.4f}",
            *found(before),
        ],
    ]
    headers = [
        "parser",
        "pages/s",
        "÷ raw text speed (goal ≥ 0.2)",
        "tables exact",
        "page headings",
        "header/footer lines left",
    ]
    same = "the same" if results["same_text_as_pdfplumber"] else "**not** the same"
    tables = "the same" if results["same_tables_as_pdfplumber"] else "**not** the same"
    return (
        f"{md_table(headers, rows)}\n\n{pages} pages ({results['pdf_bytes'] / 1e6:.2f} MB), "
        f"medians of {results['rounds']} rounds (the pdfplumber layout: one run, against the "
        f"rounds' median raw speed); the fast path stored {same} text and {tables} tables as the "
        "pdfplumber layout. Reproduce: `.venv/bin/python -m bench --only pdf_ingest`."
    )
