"""The store contract's search, on every backend: the project's own retrieval cases, broadening,
documents outranked elsewhere, an exact passage among thousands."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.documents.ingestion import ingest_file, ingest_parsed
from bench.documents import PLANTED, PLANTED_QUERY, synthetic_corpus
from store import DocumentStore
from tests.store.conftest import Backend
from tests.store.helpers import record

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


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
        record("1111222233334444", "ledger.md", [("Close", "The reconciliation ran nightly.")])
    )
    other = documents.put_document(
        record(
            "5555666677778888",
            "other.md",
            [("Intro", "Nothing to see."), ("More", "Still nothing.")],
        )
    )
    third = documents.put_document(
        record("9999aaaabbbbcccc", "third.md", [("Intro", "Also nothing.")])
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
        record(
            "aaaabbbbccccdddd", "loud.md", [(f"S{i}", "alpha alpha alpha beta") for i in range(60)]
        )
    )
    quiet = documents.put_document(
        record("eeeeffff00001111", "quiet.md", [("Q", "one alpha among many other words here")])
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
