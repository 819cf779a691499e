"""Documents by claim check: bytes a client put into the store are resolved from the store
(``content:<id>/<name>``), never from the worker's disk; ``file:<path>`` names a worker file
under the allowed roots; bad references fail one by one. On both store backends, and once end
to end through a query."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment

from activities.context import ToolContext
from activities.errors import DocumentNotFound, DocumentTooLarge
from activities.ingest import DocumentActivities, resolve_one
from models.documents import content_reference
from models.query import ResolveRequest
from models.settings import Settings
from store import Store, open_store
from store.content import upload
from store.embedded import open_embedded
from store.postgres import open_postgres
from tests.activities.factories import pdf_bytes
from tests.conftest import WorkerFactory
from tests.postgres import PostgresCluster

CONTRACT = "contract_acme_globex.md"


@pytest.fixture(params=["embedded", "postgresql"])
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of each backend."""
    if request.param == "postgresql":
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        store = open_postgres(cluster.create_database("refs"))
    else:
        store = open_embedded(tmp_path / "data")
    yield store
    store.close()


def _context(
    store: Store, tmp_path: Path, samples: Path, *, max_document_bytes: int = 10**8
) -> ToolContext:
    """A worker's tool context whose allowed root is ``samples`` only."""
    return ToolContext(
        settings=Settings(
            data_dir=tmp_path / "data",
            allowed_roots=(samples,),
            max_document_bytes=max_document_bytes,
        ),
        store=store.documents,
        figures=store.figures,
        ledger=store.ledger,
    )


def _upload(store: Store, path: Path) -> str:
    """What a client does: stream the file's bytes into the store, name them by reference."""
    with path.open("rb") as file:
        return upload(store.documents, file, path.name, max_bytes=10**8)


def test_uploaded_bytes_are_read_from_the_store_not_the_workers_disk(
    opened: Store, tmp_path: Path, samples: Path
) -> None:
    callers_file = tmp_path / "caller" / CONTRACT  # outside the worker's allowed roots
    callers_file.parent.mkdir()
    callers_file.write_bytes((samples / CONTRACT).read_bytes())
    reference = _upload(opened, callers_file)
    callers_file.unlink()
    context = _context(opened, tmp_path, samples)
    document = resolve_one(context, reference)
    assert reference == f"content:{document.id}/{CONTRACT}"
    assert (document.name, document.format) == (CONTRACT, "md") and document.chunks > 0
    found = opened.documents.search("governing law", [document.id], top_k=1)
    assert found and "Governing Law" in (found[0].anchor.section or "")
    assert resolve_one(context, reference) == document, "same bytes: not parsed again"


def test_the_name_in_the_reference_decides_the_format(
    opened: Store, tmp_path: Path, samples: Path
) -> None:
    data = pdf_bytes([[("1. Scope", "The supplier delivers reconciled ledgers monthly.")]])
    reference = content_reference(opened.documents.put_content(data).id, "scope.pdf")
    document = resolve_one(_context(opened, tmp_path, samples), reference)
    assert (document.name, document.format, document.pages) == ("scope.pdf", "pdf", 1)


def test_stored_bytes_over_the_limit_are_refused_before_they_are_read(
    opened: Store, tmp_path: Path, samples: Path
) -> None:
    reference = content_reference(opened.documents.put_content(b"x" * 5_000).id, "big.txt")
    context = _context(opened, tmp_path, samples, max_document_bytes=1_000)
    with pytest.raises(DocumentTooLarge, match=r"big.txt: 0.0 MB is over the limit"):
        resolve_one(context, reference)


async def test_each_bad_reference_fails_alone_and_the_others_resolve(
    opened: Store, tmp_path: Path, samples: Path
) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("# Outside\n\nNot under any allowed root.\n")
    good = _upload(opened, samples / CONTRACT)
    sources = [
        "content:ffffffffffffffff/missing.pdf",
        good,
        "content:not-an-id/x.pdf",
        f"content:{good.split(':')[1].split('/')[0]}",
        f"file:{outside}",
        f"file:{samples / 'steering_meeting_notes.txt'}",
        "fedcba9876543210",
    ]
    activities = DocumentActivities(_context(opened, tmp_path, samples))
    report = await ActivityEnvironment().run(
        activities.resolve_documents, ResolveRequest(sources=sources)
    )
    assert [d.name for d in report.documents] == [CONTRACT, "steering_meeting_notes.txt"]
    failures = {f.source: (f.error_type, f.message) for f in report.failures}
    assert [failures[s][0] for s in sources if s in failures] == [
        "DocumentNotFound",
        "DocumentNotFound",
        "DocumentNotFound",
        "PathNotAllowed",
        "DocumentNotFound",
    ]
    assert "holds no bytes with this id" in failures[sources[0]][1]
    assert "not a content id" in failures[sources[2]][1]
    assert "name the file the bytes came from" in failures[sources[3]][1]


def test_plain_paths_and_ids_still_resolve(opened: Store, tmp_path: Path, samples: Path) -> None:
    context = _context(opened, tmp_path, samples)
    by_path = resolve_one(context, str(samples / CONTRACT))
    assert resolve_one(context, f"file://{samples / CONTRACT}") == by_path
    assert resolve_one(context, by_path.id) == by_path
    assert resolve_one(context, by_path.id[:8]) == by_path
    with pytest.raises(DocumentNotFound, match="no ingested document has this id or name"):
        resolve_one(context, "no-such-document")


@pytest.mark.integration
async def test_a_query_answers_over_a_file_only_its_caller_can_read(
    run_worker: WorkerFactory, settings: Settings, tmp_path: Path, samples: Path
) -> None:
    callers_file = tmp_path / "contract.md"  # not under the session worker's allowed roots
    # bytes of its own, so the session's store does not already hold them under another name
    callers_file.write_bytes((samples / CONTRACT).read_bytes() + f"\n{uuid.uuid4()}\n".encode())
    reference = _upload(open_store(settings), callers_file)
    async with run_worker() as sdk:
        result = await sdk.run("What is the governing law?", [reference])
    assert result.citations and {c.document_name for c in result.citations} == {"contract.md"}
    assert "England and Wales" in result.answer, result.answer
