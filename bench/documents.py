"""Document store: ingestion throughput and BM25 search latency at 10k and 100k chunks.

Synthetic documents (Zipf-distributed words, one chunk per section, about 500 characters each)
go through the real ingest path — chunking, text file, SQLite rows, FTS5 index — and then random
2–3 word queries are timed against every document at once. A planted passage checks that the
ranking still puts an exact match first at that size. Parsing speed of real formats is measured
separately (PDF and DOCX pages per second).

    python -m bench --only documents [--quick]     # quick: 10k chunks only
"""

from __future__ import annotations

import asyncio
import io
import itertools
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from activities.documents.ingestion import ingest_parsed
from activities.documents.parsed import ParsedDocument, Span
from activities.documents.parsers import parse_document
from bench.results import md_table
from bench.stats import percentile
from store import DocumentStore, open_store

NAME = "documents"
TITLE = "Document store: ingestion and search"

CHUNKS_PER_DOCUMENT = 1_000
WORDS_PER_CHUNK = 80
QUERIES = 300
PLANTED = (
    "The quarterly reconciliation of zebra invoices flagged a ledger mismatch at the Oslo "
    "warehouse, traced to a duplicated credit note."
)
PLANTED_QUERY = "zebra invoices reconciliation ledger mismatch Oslo"


def vocabulary(rng: random.Random, size: int = 6_000) -> list[str]:
    """Pronounceable made-up words, most frequent first."""
    syllables = [
        "ka",
        "lo",
        "mi",
        "ne",
        "ru",
        "sa",
        "te",
        "vo",
        "zi",
        "pe",
        "da",
        "fu",
        "gi",
        "ho",
        "ba",
    ]
    words: dict[str, None] = {}
    while len(words) < size:
        words["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))] = None
    return list(words)


@dataclass(frozen=True)
class Corpus:
    documents: list[tuple[str, ParsedDocument]]
    words: list[str]
    weights: list[float]


def synthetic_corpus(total_chunks: int, *, seed: int = 7, plant: bool = True) -> Corpus:
    """Documents of CHUNKS_PER_DOCUMENT one-paragraph sections; with ``plant``, the PLANTED
    passage is the middle section of the middle document and its words are sprinkled as decoys
    (one or two at a time) through other chunks."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    cumulative = list(itertools.accumulate(weights))
    decoys = ["reconciliation", "invoices", "ledger", "mismatch", "zebra", "Oslo", "warehouse"]
    documents: list[tuple[str, ParsedDocument]] = []
    made = 0
    planted_at = (total_chunks // 2) if plant else -1
    for number in range(0, (total_chunks + CHUNKS_PER_DOCUMENT - 1) // CHUNKS_PER_DOCUMENT):
        parts: list[str] = []
        sections: list[Span] = []
        offset = 0
        for _ in range(min(CHUNKS_PER_DOCUMENT, total_chunks - made)):
            if made == planted_at:
                body = PLANTED
            else:
                chosen = rng.choices(words, cum_weights=cumulative, k=WORDS_PER_CHUNK)
                if plant and rng.random() < 0.05:
                    for decoy in rng.sample(decoys, rng.randint(1, 2)):
                        chosen[rng.randrange(len(chosen))] = decoy
                body = " ".join(chosen).capitalize() + "."
            section = f"Section {made}"
            block = f"{section}\n\n{body}"
            sections.append(Span(section, offset, offset + len(block)))
            parts.append(block)
            offset += len(block) + 2
            made += 1
        text = "\n\n".join(parts)
        sections = [Span(s.label, s.start, min(s.end, len(text))) for s in sections]
        documents.append(
            (
                f"synthetic-{number:03d}.txt",
                ParsedDocument(text=text, format="txt", sections=sections),
            )
        )
    return Corpus(documents, words, weights)


def ingest_corpus(
    store: DocumentStore, documents: list[tuple[str, ParsedDocument]], root: Path
) -> tuple[list[str], float]:
    """Ingest ``documents`` (named as if read from ``root``) through the real ingest path:
    (document ids, seconds)."""
    ids: list[str] = []
    started = time.perf_counter()
    for name, parsed in documents:
        ids.append(ingest_parsed(store, root / name, parsed.text.encode(), parsed).id)
    return ids, time.perf_counter() - started


def build_store(root: Path, corpus: Corpus) -> tuple[DocumentStore, list[str], float]:
    """Ingest the corpus into a fresh embedded store under ``root``: (store, ids, seconds)."""
    store = open_store(root).documents
    ids, seconds = ingest_corpus(store, corpus.documents, root)
    return store, ids, seconds


def random_queries(corpus: Corpus, count: int, seed: int = 11) -> list[str]:
    """``count`` queries of 2-3 words from the middle of the corpus's word distribution."""
    rng = random.Random(seed)
    # sample query words from the middle of the distribution: neither stopword-like nor unseen
    pool = corpus.words[20:2_000]
    return [" ".join(rng.sample(pool, rng.randint(2, 3))) for _ in range(count)]


def measure_size(total_chunks: int, queries: int = QUERIES) -> dict[str, Any]:
    corpus = synthetic_corpus(total_chunks)
    with tempfile.TemporaryDirectory(prefix="docorch-bench-") as tmp:
        store, ids, seconds = build_store(Path(tmp), corpus)
        chunks = store.stats().chunks
        latencies = []
        for query in random_queries(corpus, queries):
            started = time.perf_counter()
            store.search(query, ids, top_k=5)
            latencies.append((time.perf_counter() - started) * 1000)
        top = store.search(PLANTED_QUERY, ids, top_k=5)
        return {
            "chunks": chunks,
            "documents": len(ids),
            "ingest_s": round(seconds, 2),
            "chunks_per_s": round(chunks / seconds),
            "queries": len(latencies),
            "search_p50_ms": round(percentile(latencies, 50), 2),
            "search_p95_ms": round(percentile(latencies, 95), 2),
            "planted_first": bool(top)
            and top[0].text == f"Section {total_chunks // 2}\n\n{PLANTED}",
            "index_mb": round(store.stats().index_bytes / 1e6, 1),
        }


def _pdf(pages: int) -> bytes:
    from fpdf import FPDF

    rng = random.Random(3)
    words = vocabulary(rng, 800)
    pdf = FPDF()
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 10, f"{page + 1}. Section {page + 1}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for _ in range(4):
            pdf.multi_cell(
                0, 5, " ".join(rng.choices(words, k=90)) + ".", new_x="LMARGIN", new_y="NEXT"
            )
            pdf.ln(2)
    return bytes(pdf.output())


def _docx(paragraphs: int) -> bytes:
    import docx

    rng = random.Random(5)
    words = vocabulary(rng, 800)
    document = docx.Document()
    for number in range(paragraphs):
        if number % 4 == 0:
            document.add_heading(f"Section {number // 4 + 1}", 1)
        document.add_paragraph(" ".join(rng.choices(words, k=90)) + ".")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def measure_parsing(pdf_pages: int) -> dict[str, Any]:
    """Parse speed of generated files through parse_document (what ingestion does per file)."""
    parse_document(Path("warm-up.pdf"), _pdf(1))  # imports and font caches are not parse time
    parse_document(Path("warm-up.docx"), _docx(1))
    pdf = _pdf(pdf_pages)
    started = time.perf_counter()
    parsed = parse_document(Path("bench.pdf"), pdf)
    pdf_seconds = time.perf_counter() - started
    docx_data = _docx(pdf_pages * 4)
    started = time.perf_counter()
    parse_document(Path("bench.docx"), docx_data)
    docx_seconds = time.perf_counter() - started
    return {
        "pdf_pages": parsed.page_count,
        "pdf_pages_per_s": round(pdf_pages / pdf_seconds, 1),
        "docx_paragraphs": pdf_pages * 4,
        "docx_paragraphs_per_s": round(pdf_pages * 4 / docx_seconds),
    }


async def run(quick: bool) -> dict[str, Any]:
    sizes = [10_000] if quick else [10_000, 100_000]
    results: dict[str, Any] = {"sizes": []}
    for size in sizes:
        results["sizes"].append(await asyncio.to_thread(measure_size, size))
    results["parsing"] = await asyncio.to_thread(measure_parsing, 10 if quick else 50)
    return results


def table(results: dict[str, Any]) -> str:
    rows = [
        (
            f"{r['chunks']:,}",
            r["documents"],
            r["chunks_per_s"],
            r["search_p50_ms"],
            r["search_p95_ms"],
            "yes" if r["planted_first"] else "NO",
            r["index_mb"],
        )
        for r in results.get("sizes", [])
    ]
    text = md_table(
        [
            "chunks",
            "documents",
            "ingest chunks/s",
            "search p50 ms",
            "search p95 ms",
            "planted passage first",
            "index MB",
        ],
        rows,
    )
    parsing = results.get("parsing")
    if parsing:
        text += (
            f"\n\nParsing: PDF {parsing['pdf_pages_per_s']} pages/s ({parsing['pdf_pages']} pages, "
            "pdfplumber with layout, headings and tables); "
            f"DOCX {parsing['docx_paragraphs_per_s']:,} paragraphs/s "
            f"({parsing['docx_paragraphs']} paragraphs)."
        )
    return text
