"""The store contract (``store.base``), run on every backend in ``tests/store/conftest.py``:
content-addressed bytes, documents with text, chunks and tables, search on the project's own
retrieval cases, tool figures, the LLM ledger, and concurrent puts from threads and processes."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from activities.documents.chunking import Chunk
from activities.documents.ingestion import ingest_file, ingest_parsed
from bench.documents import PLANTED, PLANTED_QUERY, synthetic_corpus
from models.documents import Anchor, DocumentRef, Table
from store import (
    BudgetRefused,
    DocumentRecord,
    DocumentStore,
    LedgerCall,
    content_id,
    open_store,
)
from store.policy import MIN_COMPLETION_TOKENS
from tests.store import processes
from tests.store.conftest import Backend

T = TypeVar("T")
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
PARALLEL = 8


def _record(
    doc_id: str, name: str, sections: list[tuple[str, str]], **extra: Any
) -> DocumentRecord:
    """A document of ``(heading, body)`` sections, one chunk each, anchored into its text."""
    text, chunks = "", []
    for seq, (heading, body) in enumerate(sections):
        start = len(text)
        text += f"{heading}\n\n{body}\n\n"
        chunks.append(
            Chunk(
                seq,
                f"{heading}\n\n{body}",
                Anchor(section=heading, char_start=start, char_end=len(text) - 2),
            )
        )
    return DocumentRecord(
        id=doc_id,
        name=name,
        format="md",
        text=text,
        size_bytes=len(text.encode()),
        chunks=chunks,
        **extra,
    )


def _at_once(count: int, action: Callable[[], T]) -> list[T]:
    """``action`` run by ``count`` threads released together."""
    barrier = threading.Barrier(count)

    def run() -> T:
        barrier.wait()
        return action()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: run(), range(count)))


def _in_processes(target: Callable[..., None], *args: Any, count: int = 2) -> list[Any]:
    """``target(*args, barrier, results)`` in ``count`` fresh processes released together; what
    each put on ``results``."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(count)
    results = context.Queue()
    children = [
        context.Process(target=target, args=(*args, barrier, results)) for _ in range(count)
    ]
    try:
        for child in children:
            child.start()
        for child in children:  # the results are small: a child exits as soon as it has put one
            child.join(timeout=120)
            assert child.exitcode == 0, f"a child process failed (exit code {child.exitcode})"
        outcomes = [results.get(timeout=10) for _ in children]
    finally:
        for child in children:
            if child.is_alive():
                child.kill()
    return outcomes


# ---- content ------------------------------------------------------------------------------------


def test_same_bytes_get_the_same_id_and_are_written_once(backend: Backend) -> None:
    documents = backend.open().documents
    data = b"%PDF-1.7 not really, but bytes"
    first = documents.put_content(data)
    again = documents.put_content(data)
    other = documents.put_content(data + b"!")
    assert first.id == again.id == content_id(data)
    assert (first.created, again.created) == (True, False)
    assert other.id != first.id and other.created
    assert first.size_bytes == len(data)
    assert documents.read_content(first.id) == data
    assert documents.read_content(content_id(b"never put")) is None
    assert documents.read_content("../../etc/passwd") is None


def test_threads_putting_the_same_bytes_store_them_once(backend: Backend) -> None:
    documents = backend.open().documents
    data = bytes(range(256)) * 4096  # 1 MiB, so the writes overlap
    refs = _at_once(PARALLEL, lambda: documents.put_content(data))
    assert {r.id for r in refs} == {content_id(data)}
    assert sum(r.created for r in refs) == 1
    assert documents.read_content(content_id(data)) == data


def test_processes_putting_the_same_bytes_store_them_once(backend: Backend) -> None:
    data = b"claim check " * 100_000
    outcomes = _in_processes(processes.put_content, backend.url, data)
    assert {doc_id for doc_id, _ in outcomes} == {content_id(data)}
    assert sorted(created for _, created in outcomes) == [False, True]
    assert backend.open().documents.read_content(content_id(data)) == data


# ---- documents ----------------------------------------------------------------------------------

CONTRACT = _record(
    "0123456789abcdef",
    "contract.md",
    [("1. Fees", "The monthly fee is EUR 12,000."), ("2. Term", "Either party may terminate.")],
    title="Contract",
    pages=None,
    source="/corpus/contract.md",
    tables=[Table(rows=[["fee", "EUR"], ["monthly", "12,000"]], caption="Fees", start=0, end=9)],
    warnings=["page 3: image without text"],
)


def test_a_document_keeps_its_text_chunks_tables_and_warnings(backend: Backend) -> None:
    documents = backend.open().documents
    put = documents.put_document(CONTRACT)
    assert put.created
    assert put.document == DocumentRef(
        id=CONTRACT.id,
        name="contract.md",
        format="md",
        title="Contract",
        size_bytes=CONTRACT.size_bytes,
        chunks=2,
    )
    assert documents.get(CONTRACT.id) == put.document
    assert documents.text(CONTRACT.id) == CONTRACT.text
    assert documents.tables(CONTRACT.id) == list(CONTRACT.tables)
    assert documents.warnings(CONTRACT.id) == ["page 3: image without text"]
    passages = documents.passages(CONTRACT.id)
    assert [p.id for p in passages] == [f"{CONTRACT.id}:0", f"{CONTRACT.id}:1"]
    for passage, chunk in zip(passages, CONTRACT.chunks, strict=True):
        assert (passage.text, passage.anchor, passage.document_name) == (
            chunk.text,
            chunk.anchor,
            "contract.md",
        )
        assert CONTRACT.text[chunk.anchor.char_start : chunk.anchor.char_end] == chunk.text
    assert documents.passages(CONTRACT.id, limit=1) == passages[:1]
    assert documents.passage(f"{CONTRACT.id}:1") == passages[1]
    stats = documents.stats()
    assert (stats.documents, stats.chunks) == (1, 2) and stats.index_bytes > 0


def test_unknown_documents_and_passages_are_none_or_empty(backend: Backend) -> None:
    documents = backend.open().documents
    documents.put_document(CONTRACT)
    missing = "fedcba9876543210"
    assert documents.get(missing) is None and documents.text(missing) is None
    assert documents.tables(missing) == [] and documents.warnings(missing) == []
    assert documents.passages(missing) == []
    for passage_id in (f"{CONTRACT.id}:7", f"{missing}:0", "no-colon", f"{CONTRACT.id}:x"):
        assert documents.passage(passage_id) is None


def test_the_first_put_of_an_id_wins_and_nothing_is_written_again(backend: Backend) -> None:
    documents = backend.open().documents
    documents.put_document(CONTRACT)
    reparsed = _record(
        CONTRACT.id, "renamed.md", [("Only", "A different parse of the same bytes.")]
    )
    again = documents.put_document(reparsed)
    assert not again.created
    assert again.document.name == "contract.md" and again.document.chunks == 2
    assert documents.text(CONTRACT.id) == CONTRACT.text
    assert documents.stats().chunks == 2


def test_find_by_id_unique_prefix_or_newest_name(backend: Backend) -> None:
    documents = backend.open().documents
    old = documents.put_document(
        _record("aaaa11112222bbbb", "notes.txt", [("A", "first")])
    ).document
    new = documents.put_document(
        _record("aaaa1111cccc3333", "notes.txt", [("B", "second")])
    ).document
    other = documents.put_document(
        _record("dddd444455556666", "other.txt", [("C", "third")])
    ).document
    assert documents.find(old.id) == old
    assert documents.find("dddd44") == other, "a unique prefix of 6+ hex digits"
    assert documents.find("aaaa1111") is None, "an ambiguous prefix finds nothing"
    assert documents.find("dddd4") is None, "a prefix under 6 digits is not one"
    assert documents.find("notes.txt") == new, "a name finds its newest document"
    assert documents.find("nothing.txt") is None
    assert documents.list_documents() == [old, new, other]


def test_threads_putting_the_same_document_store_it_once(backend: Backend) -> None:
    documents = backend.open().documents
    puts = _at_once(PARALLEL, lambda: documents.put_document(CONTRACT))
    assert sum(p.created for p in puts) == 1
    assert {p.document for p in puts} == {documents.get(CONTRACT.id)}
    assert len(documents.passages(CONTRACT.id)) == 2
    assert len(documents.search("monthly fee", [CONTRACT.id], top_k=10)) == 1


def test_processes_putting_the_same_document_store_it_once(backend: Backend) -> None:
    outcomes = _in_processes(processes.put_document, backend.url, CONTRACT)
    assert sorted(created for _, created in outcomes) == [False, True]
    documents = backend.open().documents
    assert documents.stats().chunks == 2
    assert len(documents.search("terminate", [CONTRACT.id], top_k=10)) == 1


# ---- search -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(module_backend: Backend) -> tuple[DocumentStore, dict[str, str]]:
    """Every sample document (the demo's and the tests'), ingested once: (store, name -> id)."""
    documents = module_backend.open().documents
    ids = {
        path.name: ingest_file(documents, path, max_bytes=10**8).id
        for path in sorted(SAMPLES.iterdir())
        if path.suffix in {".md", ".txt", ".pdf", ".docx"}
    }
    return documents, ids


RETRIEVAL_CASES = [
    # (question, documents searched, sections expected among the first len(expected) passages)
    (
        "What is the notice period for termination for convenience?",
        ["contract_acme_globex.md", "contract_acme_initech.md"],
        ["7.1 Termination for Convenience", "7.1 Termination for Convenience"],
    ),
    ("What is the governing law?", ["contract_acme_globex.md"], ["8. Governing Law"]),
    (
        "What is the monthly fee?",
        ["contract_acme_initech.md"],
        ["3. Fees and Payment", "4. Service Levels"],
    ),
    (
        "What are the main risks to availability?",
        [
            "q3_operations_report.md",
            "steering_meeting_notes.txt",
            "incident_review_2025-09-22.docx",
        ],
        ["Risks"],
    ),
    (
        "Find where the expired certificate is mentioned",
        ["q3_operations_report.md", "incident_review_2025-09-22.docx"],
        ["Incident Review — Expired Certificate, 22 September 2025"],
    ),
]


@pytest.mark.parametrize(("question", "names", "expected"), RETRIEVAL_CASES)
def test_retrieval_cases_rank_the_answering_passages_first(
    corpus: tuple[DocumentStore, dict[str, str]],
    question: str,
    names: list[str],
    expected: list[str],
) -> None:
    documents, ids = corpus
    found = documents.search(question, [ids[n] for n in names], top_k=5)
    top = [(p.anchor.section or "").split(" > ")[-1] for p in found[: len(expected)]]
    assert sorted(top) == sorted(expected), [p.anchor.section for p in found]
    assert all(p.score > 0 for p in found)
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)
    assert {p.document_id for p in found} <= {ids[n] for n in names}


def test_a_search_over_two_contracts_cites_each_of_them(
    corpus: tuple[DocumentStore, dict[str, str]],
) -> None:
    documents, ids = corpus
    contracts = [ids["contract_acme_globex.md"], ids["contract_acme_initech.md"]]
    found = documents.search("termination for convenience notice", contracts, top_k=2)
    assert {p.document_id for p in found} == set(contracts)
    assert {"90 days" in p.text or "60 days" in p.text for p in found} == {True}


def test_a_question_without_content_words_matches_nothing(
    corpus: tuple[DocumentStore, dict[str, str]],
) -> None:
    documents, ids = corpus
    assert documents.search("What is the?", list(ids.values())) == []
    assert documents.search("governing law", []) == []


def test_broadening_adds_prefixes_then_opening_passages(backend: Backend) -> None:
    documents = backend.open().documents
    ledger = documents.put_document(
        _record("1111222233334444", "ledger.md", [("Close", "The reconciliation ran nightly.")])
    )
    other = documents.put_document(
        _record(
            "5555666677778888",
            "other.md",
            [("Intro", "Nothing to see."), ("More", "Still nothing.")],
        )
    )
    third = documents.put_document(
        _record("9999aaaabbbbcccc", "third.md", [("Intro", "Also nothing.")])
    )
    ids = [ledger.document.id, other.document.id, third.document.id]
    assert documents.search("reconcile", ids, broaden=0) == []
    by_prefix = documents.search("reconcile", ids, broaden=1)
    assert [p.document_id for p in by_prefix] == [ledger.document.id]
    widest = documents.search("reconcile", ids, top_k=1, broaden=2)
    assert [p.id for p in widest] == [by_prefix[0].id, f"{other.document.id}:0"], (
        "top_k bounds both"
    )
    assert widest[1].score == 0.0, "an opening passage is not a match"
    everything = documents.search("reconcile", ids, top_k=5, broaden=2)
    assert [p.id for p in everything][1:] == [f"{other.document.id}:0", f"{third.document.id}:0"]


def test_a_document_outranked_everywhere_else_still_finds_its_match(backend: Backend) -> None:
    documents = backend.open().documents
    loud = documents.put_document(
        _record(
            "aaaabbbbccccdddd", "loud.md", [(f"S{i}", "alpha alpha alpha beta") for i in range(60)]
        )
    )
    quiet = documents.put_document(
        _record("eeeeffff00001111", "quiet.md", [("Q", "one alpha among many other words here")])
    )
    found = documents.search("alpha", [quiet.document.id], top_k=5)
    assert [p.document_id for p in found] == [quiet.document.id]
    assert len(documents.search("alpha", [loud.document.id, quiet.document.id], top_k=5)) == 5


def test_an_exact_passage_is_first_among_two_thousand_chunks(backend: Backend) -> None:
    documents = backend.open().documents
    ids = [
        ingest_parsed(documents, Path(name), parsed.text.encode(), parsed).id
        for name, parsed in synthetic_corpus(2_000).documents
    ]
    found = documents.search(PLANTED_QUERY, ids, top_k=5)
    assert found[0].text.endswith(PLANTED)
    assert len(found) == 5 and all(p.score < found[0].score for p in found[1:])


# ---- tool figures -------------------------------------------------------------------------------


def test_tool_figures_count_calls_success_and_duration_percentiles(backend: Backend) -> None:
    figures = backend.open().figures
    assert figures.tool_stats() == [] and figures.totals().calls == 0
    for ms in range(1, 21):
        figures.record_call("search_documents", ok=True, ms=float(ms))
    figures.record_call("search_documents", ok=False, ms=999.0)
    figures.record_call("answer_question", ok=False, ms=5.0)
    search, answer = sorted(figures.tool_stats(), key=lambda s: s.tool, reverse=True)
    assert (search.tool, search.calls, search.success_rate) == (
        "search_documents",
        21,
        round(20 / 21, 4),
    )
    assert (search.p50_ms, search.p95_ms) == (11.0, 19.0), "nearest rank over successful calls"
    assert (answer.calls, answer.success_rate, answer.p50_ms) == (1, 0.0, 0.0)
    totals = figures.totals()
    assert totals.calls == 22 and totals.oldest is not None and totals.bytes > 0


def test_threads_recording_calls_lose_none(backend: Backend) -> None:
    figures = backend.open().figures

    def record_ten() -> None:
        for _ in range(10):
            figures.record_call("t", ok=True, ms=1.0)

    _at_once(PARALLEL, record_ten)
    assert figures.totals().calls == PARALLEL * 10


# ---- LLM ledger ---------------------------------------------------------------------------------


def _call(query: str, step: str = "answer_1") -> LedgerCall:
    return LedgerCall(query=query, activity_id=step, attempt=1, purpose="answer", model="m")


def test_without_a_budget_every_call_is_granted_and_settled_usage_counts(backend: Backend) -> None:
    ledger = backend.open().ledger
    granted = ledger.reserve(_call("q1"), prompt_tokens=100, max_tokens=300)
    assert granted.max_tokens == 300
    assert ledger.spending("q1").reserved == 400
    ledger.settle(granted, prompt_tokens=90, completion_tokens=30, cost=0.25)
    spent = ledger.spending("q1")
    assert (spent.tokens, spent.reserved, spent.calls, spent.cost_usd, spent.budget) == (
        120,
        0,
        1,
        0.25,
        None,
    )
    released = ledger.reserve(_call("q1", "answer_2"), prompt_tokens=100, max_tokens=300)
    ledger.release(released)
    assert ledger.spending("q1") == spent


def test_a_budget_caps_then_refuses_and_a_refusal_records_nothing(backend: Backend) -> None:
    ledger = backend.open().ledger
    ledger.set_budget("q2", 1000)
    ledger.set_budget("q2", 500)  # idempotent: a retried planning activity sets it again
    first = ledger.reserve(_call("q2"), prompt_tokens=200, max_tokens=1000)
    assert first.max_tokens == 300, "capped at what the budget leaves"
    with pytest.raises(BudgetRefused, match="budget of 500 tokens"):
        ledger.reserve(_call("q2"), prompt_tokens=10, max_tokens=MIN_COMPLETION_TOKENS)
    assert ledger.spending("q2").reserved == 500
    assert ledger.spending("other").budget is None


def test_concurrent_steps_cannot_jointly_overspend(backend: Backend) -> None:
    ledger = backend.open().ledger
    ledger.set_budget("q3", 1000)

    def reserve() -> int | None:
        try:
            return ledger.reserve(_call("q3"), prompt_tokens=200, max_tokens=200).max_tokens
        except BudgetRefused:
            return None

    granted = _at_once(6, reserve)
    # 400 tokens each: two fit; a third would have 1000 - 800 - 200 = 0 completion tokens
    assert sorted(granted, key=lambda g: g or 0) == [None] * 4 + [200, 200]
    assert ledger.spending("q3").reserved == 800


def test_a_stale_reservation_stops_counting(backend: Backend) -> None:
    ledger = backend.open(hold_seconds=0.0).ledger
    ledger.set_budget("q4", 500)
    ledger.reserve(_call("q4"), prompt_tokens=200, max_tokens=300)
    assert ledger.spending("q4").reserved == 0
    assert ledger.reserve(_call("q4"), prompt_tokens=200, max_tokens=300).max_tokens == 300


# ---- opening ------------------------------------------------------------------------------------


def test_a_store_opened_by_its_url_is_the_same_store(backend: Backend) -> None:
    opened = backend.open()
    opened.documents.put_document(CONTRACT)
    by_url = open_store(backend.url)
    assert by_url is open_store(backend.url)
    assert by_url.documents.get(CONTRACT.id) == opened.documents.get(CONTRACT.id)
    assert by_url.backend == backend.name
