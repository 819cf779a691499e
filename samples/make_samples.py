"""Generate the PDF and DOCX samples the demo and tests use.

    .venv/bin/python samples/make_samples.py        # writes next to this file

* ``contract_acme_umbrella.pdf`` — a third services agreement (two pages, a fee table on page 2,
  a running footer), the same structure as the Markdown contracts but other dates, fees and terms.
* ``incident_review_2025-09-22.docx`` — the review of the expired-certificate incident the Q3
  report mentions: headings, a timeline table and an actions table.

The output is deterministic (fixed timestamps), so running it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXED_TIME = datetime(2025, 10, 6, 9, 0, tzinfo=UTC)

CONTRACT_TITLE = "Master Services Agreement - Acme Corp and Umbrella Health Inc"
CONTRACT_PAGE_1 = [
    (
        "1. Parties and Effective Date",
        [
            'This Master Services Agreement (the "Agreement") is entered into by Acme Corp, a '
            "Delaware "
            'corporation ("Provider"), and Umbrella Health Inc, a company registered in Ontario '
            '("Client"). The Agreement is effective from 1 September 2025 (the "Effective Date") '
            "and "
            "continues for an initial term of 36 months.",
        ],
    ),
    (
        "2. Services",
        [
            "Provider will operate and maintain the Client's document processing platform, "
            "including "
            "ingestion, indexing and quarterly reporting. Service levels are defined in Schedule "
            "B. "
            "Provider will assign a named account manager, currently Dana Whitfield.",
        ],
    ),
    (
        "3. Fees and Payment",
        [
            "The Client pays a monthly fee of USD 18,000, invoiced on the first business day of "
            "each "
            "month. Invoices are due within 30 days of receipt. Late payments accrue interest at "
            "3% "
            "per annum above the base rate. A one-time onboarding fee of USD 10,000 is due on "
            "30 September 2025. Unit prices for additional services are listed in Schedule A.",
        ],
    ),
    (
        "4. Service Levels",
        [
            "Provider guarantees 99.9% monthly availability. For each full 0.5% below the "
            "guarantee, "
            "the Client receives a service credit of 5% of the monthly fee, capped at 25% per "
            "month.",
        ],
    ),
    (
        "5. Confidentiality",
        [
            "Each party keeps the other party's confidential information secret for the term and "
            "five years after. Confidential information excludes information that is public or "
            "independently developed.",
        ],
    ),
]
CONTRACT_PAGE_2 = [
    (
        "6. Liability",
        [
            "Each party's total liability under this Agreement is limited to the fees paid in the "
            "twelve months before the claim. Neither party is liable for indirect or consequential "
            "loss.",
        ],
    ),
    (
        "7. Termination",
        [
            "Either party may terminate this Agreement for convenience by giving 45 days written "
            "notice to the other party. Either party may terminate this Agreement immediately if "
            "the "
            "other party commits a material breach and fails to cure it within 30 days of written "
            "notice.",
        ],
    ),
    (
        "8. Governing Law",
        [
            "This Agreement is governed by the laws of the Province of Ontario. Contact for "
            "notices: "
            "contracts@umbrella-health.example.",
        ],
    ),
]
FEE_TABLE = [
    ("Service", "Unit", "Price (USD)"),
    ("Additional storage", "per TB per month", "420"),
    ("Priority support", "per hour", "180"),
    ("Custom extraction model", "one-time", "12,500"),
    ("Additional region", "per month", "3,200"),
]


def make_contract_pdf(path: Path) -> None:
    from fpdf import FPDF

    class ContractPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 8, f"Acme / Umbrella MSA - page {self.page_no()}", align="C")

    pdf = ContractPDF()
    pdf.set_creation_date(FIXED_TIME)
    pdf.set_title(CONTRACT_TITLE)
    pdf.set_author("Acme Corp Legal")
    pdf.set_auto_page_break(True, margin=20)

    def heading(text: str, size: int) -> None:
        pdf.set_font("Helvetica", "B", size)
        pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def body(text: str) -> None:
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)

    pdf.add_page()
    heading(CONTRACT_TITLE, 16)
    for title, paragraphs in CONTRACT_PAGE_1:
        heading(title, 13)
        for paragraph in paragraphs:
            body(paragraph)
    pdf.add_page()
    for title, paragraphs in CONTRACT_PAGE_2:
        heading(title, 13)
        for paragraph in paragraphs:
            body(paragraph)
    heading("Schedule A - Fee Schedule", 13)
    body("Prices for services beyond the monthly fee, valid from 1 September 2025:")
    pdf.set_font("Helvetica", "", 10)
    with pdf.table(col_widths=(70, 60, 40), text_align=("LEFT", "LEFT", "RIGHT")) as table:
        for row in FEE_TABLE:
            cells = table.row()
            for cell in row:
                cells.cell(cell)
    pdf.output(str(path))


def make_incident_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    properties = document.core_properties
    properties.title = "Incident Review — Expired Certificate, 22 September 2025"
    properties.author = "Acme Platform Operations"
    properties.created = properties.modified = FIXED_TIME.replace(tzinfo=None)
    properties.last_modified_by = "Acme Platform Operations"
    properties.revision = 1

    document.add_heading("Incident Review — Expired Certificate, 22 September 2025", 0)
    document.add_heading("Summary", 1)
    document.add_paragraph(
        "On 22 September 2025 an expired TLS certificate on the upload gateway blocked document "
        "uploads for 95 minutes for all clients. Search and existing documents were not affected. "
        "The incident cost an estimated EUR 6,200 in service credits and overtime."
    )
    document.add_heading("Timeline", 1)
    document.add_paragraph("All times are UTC on 22 September 2025.")
    timeline = [
        ("Time (UTC)", "Event"),
        ("08:02", "Upload gateway certificate expires; uploads start failing"),
        ("08:19", "Monitoring alert on upload error rate; on-call engineer Marcus Lee paged"),
        ("08:55", "Cause identified as the expired certificate"),
        ("09:31", "Renewed certificate deployed; uploads recover"),
        ("09:37", "Incident closed after a full upload test"),
    ]
    _table(document, timeline)
    document.add_heading("Impact", 1)
    document.add_paragraph(
        "About 3,400 uploads failed and were retried by clients. Availability for the month fell "
        "to 99.7%, below the 99.9% promised to Initech, so service credits apply."
    )
    document.add_heading("Root Cause", 1)
    document.add_paragraph(
        "The certificate was renewed by hand every year and the reminder went to a mailbox that "
        "was no longer monitored. No automated check watched certificate expiry dates."
    )
    document.add_heading("Follow-up Actions", 1)
    actions = [
        ("Action", "Owner", "Due"),
        ("Automate certificate renewal for all gateways", "Marcus Lee", "15 October 2025"),
        ("Alert 30 days before any certificate expires", "Marcus Lee", "31 October 2025"),
        ("Apply service credits to the October invoices", "Dana Whitfield", "1 November 2025"),
        ("Quarterly failover and renewal drill", "Tom Becker", "15 December 2025"),
    ]
    _table(document, actions)
    document.add_heading("Contacts", 2)
    document.add_paragraph(
        "Questions about this review go to ops-review@acme.example or to Dana Whitfield."
    )
    document.save(str(path))
    _fix_zip_times(path)


def _fix_zip_times(path: Path) -> None:
    """Rewrite the package with fixed entry times, so the same content gives the same bytes."""
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))


def _table(document: object, rows: Sequence[tuple[str, ...]]) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text


def main() -> None:
    make_contract_pdf(HERE / "contract_acme_umbrella.pdf")
    make_incident_docx(HERE / "incident_review_2025-09-22.docx")
    for name in ("contract_acme_umbrella.pdf", "incident_review_2025-09-22.docx"):
        print(f"{name}: {(HERE / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
