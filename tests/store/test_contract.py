"""The store contract (``store.base``), run on every backend in ``tests/store/conftest.py``:
content-addressed bytes and streamed uploads, documents with text, chunks and tables, opening by
URL, and concurrent puts from threads and processes. Search: test_contract_search.py; tool
figures and the LLM ledger: test_contract_accounting.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from models.documents import DocumentRef
from store import ContentTooLarge, content_id, open_store
from tests.store import processes
from tests.store.conftest import Backend
from tests.store.helpers import CONTRACT, PARALLEL, at_once, in_processes, record

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
    refs = at_once(PARALLEL, lambda: documents.put_content(data))
    assert {r.id for r in refs} == {content_id(data)}
    assert sum(r.created for r in refs) == 1
    assert documents.read_content(content_id(data)) == data


def test_processes_putting_the_same_bytes_store_them_once(backend: Backend) -> None:
    data = b"claim check " * 100_000
    outcomes = in_processes(processes.put_content, backend.url, data)
    assert {doc_id for doc_id, _ in outcomes} == {content_id(data)}
    assert sorted(created for _, created in outcomes) == [False, True]
    assert backend.open().documents.read_content(content_id(data)) == data


def test_a_streamed_upload_is_kept_like_bytes_put_whole(backend: Backend) -> None:
    documents = backend.open().documents
    data = bytes(range(256)) * 10_000  # 2.5 MB: several parts
    pieces = [data[i : i + 65_536] for i in range(0, len(data), 65_536)]
    ref = documents.put_content_stream(iter(pieces), max_bytes=len(data))
    assert (ref.id, ref.size_bytes, ref.created) == (content_id(data), len(data), True)
    assert documents.content_size(ref.id) == len(data)
    assert documents.read_content(ref.id) == data
    assert not documents.put_content(data).created
    assert not documents.put_content_stream([data], max_bytes=len(data)).created
    assert documents.content_size(content_id(b"never put")) is None
    empty = documents.put_content(b"")
    assert documents.read_content(empty.id) == b"" and documents.content_size(empty.id) == 0


def test_an_upload_over_the_limit_is_refused_before_it_is_read_whole(backend: Backend) -> None:
    documents = backend.open().documents
    pulled: list[int] = []

    def upload() -> Iterator[bytes]:
        for number in range(100):
            pulled.append(number)
            yield b"x" * 1000

    with pytest.raises(ContentTooLarge, match="DOCORCH_MAX_DOCUMENT_BYTES") as refused:
        documents.put_content_stream(upload(), max_bytes=2_500)
    assert refused.value.limit == 2_500
    assert pulled == [0, 1, 2], "the stream is not read past the limit"
    assert documents.content_size(content_id(b"x" * 3000)) is None
    assert documents.content_size(content_id(b"x" * 2000)) is None


# ---- documents ----------------------------------------------------------------------------------


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


def test_chunk_vectors_are_kept_per_model_and_the_first_kept_stays(backend: Backend) -> None:
    documents = backend.open().documents
    documents.put_document(CONTRACT)
    other = documents.put_document(record("0123456789abcdef", "other.md", [("A", "a")])).document
    assert documents.vectors([CONTRACT.id], "model-a") == {}
    documents.put_vectors(CONTRACT.id, "model-a", {0: b"\x00\x01", 1: b"\x02\x03", 9: b"x"})
    documents.put_vectors(CONTRACT.id, "model-a", {0: b"changed"})  # kept already: stays
    documents.put_vectors(CONTRACT.id, "model-b", {1: b"\xff"})
    documents.put_vectors(other.id, "model-a", {0: b"\x07"})
    assert documents.vectors([CONTRACT.id], "model-a") == {
        f"{CONTRACT.id}:0": b"\x00\x01",
        f"{CONTRACT.id}:1": b"\x02\x03",
    }  # chunk 9 does not exist: ignored
    assert documents.vectors([CONTRACT.id], "model-b") == {f"{CONTRACT.id}:1": b"\xff"}
    assert set(documents.vectors([CONTRACT.id, other.id], "model-a")) == {
        f"{CONTRACT.id}:0",
        f"{CONTRACT.id}:1",
        f"{other.id}:0",
    }
    assert documents.vectors([], "model-a") == {}
    assert documents.vectors(["fedcba9876543210"], "model-a") == {}


def test_the_first_put_of_an_id_wins_and_nothing_is_written_again(backend: Backend) -> None:
    documents = backend.open().documents
    documents.put_document(CONTRACT)
    reparsed = record(CONTRACT.id, "renamed.md", [("Only", "A different parse of the same bytes.")])
    again = documents.put_document(reparsed)
    assert not again.created
    assert again.document.name == "contract.md" and again.document.chunks == 2
    assert documents.text(CONTRACT.id) == CONTRACT.text
    assert documents.stats().chunks == 2


def test_find_by_id_unique_prefix_or_newest_name(backend: Backend) -> None:
    documents = backend.open().documents
    old = documents.put_document(record("aaaa11112222bbbb", "notes.txt", [("A", "first")])).document
    new = documents.put_document(
        record("aaaa1111cccc3333", "notes.txt", [("B", "second")])
    ).document
    other = documents.put_document(
        record("dddd444455556666", "other.txt", [("C", "third")])
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
    puts = at_once(PARALLEL, lambda: documents.put_document(CONTRACT))
    assert sum(p.created for p in puts) == 1
    assert {p.document for p in puts} == {documents.get(CONTRACT.id)}
    assert len(documents.passages(CONTRACT.id)) == 2
    assert len(documents.search("monthly fee", [CONTRACT.id], top_k=10)) == 1


def test_threads_putting_different_documents_at_once_lose_none(backend: Backend) -> None:
    documents = backend.open().documents
    numbers = iter(range(PARALLEL))
    lock = threading.Lock()

    def put() -> str:
        with lock:
            n = next(numbers)
        # every document shares words with every other, so their index entries meet
        made = record(
            f"{n:016x}",
            f"doc{n}.md",
            [(f"Part {i}", f"shared words everywhere, marker{n} part {i}") for i in range(20)],
        )
        return documents.put_document(made).document.id

    ids = at_once(PARALLEL, put)
    assert documents.stats().chunks == PARALLEL * 20
    for n, doc_id in enumerate(sorted(ids)):
        found = documents.search(f"marker{n}", ids, top_k=50)
        assert {p.document_id for p in found} == {doc_id} and len(found) == 20
    assert len(documents.search("shared everywhere", ids, top_k=500)) == PARALLEL * 20


def test_processes_putting_the_same_document_store_it_once(backend: Backend) -> None:
    outcomes = in_processes(processes.put_document, backend.url, CONTRACT)
    assert sorted(created for _, created in outcomes) == [False, True]
    documents = backend.open().documents
    assert documents.stats().chunks == 2
    assert len(documents.search("terminate", [CONTRACT.id], top_k=10)) == 1


# ---- opening ------------------------------------------------------------------------------------


def test_a_store_opened_by_its_url_is_the_same_store(backend: Backend) -> None:
    opened = backend.open()
    opened.documents.put_document(CONTRACT)
    by_url = open_store(backend.url)
    assert by_url is open_store(backend.url)
    assert by_url.documents.get(CONTRACT.id) == opened.documents.get(CONTRACT.id)
    assert by_url.backend == backend.name
