"""extract_tables: the tables a document's parser found, as header + rows, with page and anchor."""

from __future__ import annotations

from activities.context import current
from activities.documents.parsed import Table
from activities.tools.anchoring import DocumentText
from activities.tools.results import ExtractedTable, TableExtraction
from models.documents import Citation, DocumentRef

MAX_TABLES = 50
PREVIEW_ROWS = 5
"""Rows per table written into the answer; the result carries them all."""
QUOTE_CHARS = 400
"""A table citation quotes the table's first lines, up to about this many characters."""

# how sure "no tables" is, by how reliably the format marks tables up
_NONE_FOUND_CONFIDENCE = {"docx": 0.8, "html": 0.8, "md": 0.7, "rst": 0.7, "pdf": 0.4}


def _citation(doc: DocumentText, table: Table) -> Citation | None:
    """The table's first lines in the stored text (its header and first rows)."""
    if table.start is None or table.end is None:
        return None
    end = table.end
    if end - table.start > QUOTE_CHARS:
        cut = doc.text.rfind("\n", table.start, table.start + QUOTE_CHARS)
        end = cut if cut > table.start else table.start + QUOTE_CHARS
    return doc.citation(table.start, end)


def _regularity(table: Table) -> float:
    """1.0 for a table whose rows all have the header's width and whose cells are all filled."""
    width = len(table.rows[0]) if table.rows else 0
    if width == 0:
        return 0.0
    consistent = sum(1 for row in table.rows if len(row) == width) / len(table.rows)
    cells = [c for row in table.rows for c in row]
    filled = sum(1 for c in cells if c.strip()) / max(1, len(cells))
    shape = 1.0 if len(table.rows) >= 2 and width >= 2 else 0.6
    return consistent * (0.5 + 0.5 * filled) * shape


def _markdown(columns: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _describe(table: ExtractedTable) -> str:
    where = f" (page {table.page})" if table.page else ""
    caption = f" — {table.caption}" if table.caption else ""
    shape = f"{len(table.rows)} rows × {len(table.columns)} columns"
    preview = _markdown(table.columns, table.rows[:PREVIEW_ROWS])
    more = (
        f"\n… {len(table.rows) - PREVIEW_ROWS} more rows" if len(table.rows) > PREVIEW_ROWS else ""
    )
    return f"Table {table.index}{where}{caption}: {shape}\n{preview}{more}"


def extract_tables(document: DocumentRef) -> TableExtraction:
    """Extract the tables of one document as columns and rows, with the page each is on.

    The confidence is how regular the tables are (rows as wide as the header, cells filled);
    with no table found it reflects how reliably the format marks tables up.
    """
    stored = current().store.tables(document.id)
    doc = DocumentText.load(document)
    tables: list[ExtractedTable] = []
    regularity: list[float] = []
    for index, table in enumerate(stored[:MAX_TABLES], start=1):
        if not table.rows:
            continue
        regularity.append(_regularity(table))
        tables.append(
            ExtractedTable(
                index=index,
                page=table.page,
                caption=table.caption,
                columns=table.rows[0],
                rows=table.rows[1:],
                citation=_citation(doc, table),
            )
        )
    if not tables:
        return TableExtraction(
            document=document,
            label=document.name,
            answer="No tables found.",
            confidence=_NONE_FOUND_CONFIDENCE.get(document.format, 0.5),
        )
    citations = [t.citation for t in tables if t.citation is not None]
    more = f"\n\n… and {len(stored) - MAX_TABLES} more tables" if len(stored) > MAX_TABLES else ""
    passages = {c.passage_id: doc.passage_at(c.anchor.char_start) for c in citations}
    confidence = sum(regularity) / len(regularity)
    return TableExtraction(
        document=document,
        label=document.name,
        answer=f"{len(stored)} table(s).\n\n" + "\n\n".join(_describe(t) for t in tables) + more,
        citations=citations,
        confidence=round(confidence, 4),
        passages=[p for p in passages.values() if p is not None][:10],
        tables=tables,
    )
