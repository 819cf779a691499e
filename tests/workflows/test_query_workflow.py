"""QueryWorkflow end to end on the real dev server, with the real tools and sample documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError

from models.query import QueryConfig, QueryStatus, QueryType
from store import open_store
from tests.conftest import WorkerFactory
from tests.workflows.recording import record_history

pytestmark = pytest.mark.integration


async def test_question_is_answered_with_citations_that_quote_the_document(
    run_worker: WorkerFactory, samples: Path, client, settings
) -> None:
    docs = [str(samples / "contract_acme_globex.md"), str(samples / "contract_acme_initech.md")]
    async with run_worker() as sdk:
        handle = await sdk.start("What is the notice period for termination for convenience?", docs)
        result = await handle.result()
    assert result.query_type is QueryType.QA
    assert result.status is QueryStatus.COMPLETED
    assert "90 days" in result.answer and "60 days" in result.answer
    assert result.workflow_id == handle.id
    assert 0 < result.confidence_score <= 1
    store = open_store(settings).documents
    assert result.citations
    for citation in result.citations:
        text = store.text(citation.document_id)
        assert text is not None
        assert text[citation.anchor.char_start : citation.anchor.char_end] == citation.quote
        # for Markdown the stored text is the file's text, so the anchor holds in the file too
        original = (samples / citation.document_name).read_text()
        assert original[citation.anchor.char_start : citation.anchor.char_end] == citation.quote
    summary = result.execution_summary
    assert summary.levels[0] and len(summary.steps) >= 3
    await record_history(client, handle.id, "qa_two_contracts")


async def test_summary_fans_out_per_document_and_composes(
    run_worker: WorkerFactory, samples: Path, client
) -> None:
    docs = [str(samples / "q3_operations_report.md"), str(samples / "steering_meeting_notes.txt")]
    async with run_worker() as sdk:
        handle = await sdk.start("Summarize these documents", docs)
        result = await handle.result()
    assert result.query_type is QueryType.SUMMARY
    tools = [s.tool for s in result.execution_summary.steps]
    assert tools.count("summarize_document") == 2
    assert {c.document_name for c in result.citations} == {
        "q3_operations_report.md",
        "steering_meeting_notes.txt",
    }
    await record_history(client, handle.id, "summary_two_docs")


async def test_bad_documents_are_reported_and_the_rest_goes_on(
    run_worker: WorkerFactory, samples: Path, docs_dir: Path
) -> None:
    binary = docs_dir / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    unsupported = docs_dir / "notes.xyz"
    unsupported.write_text("hello")
    docs = [
        str(samples / "contract_acme_globex.md"),
        str(docs_dir / "missing.txt"),
        str(binary),
        str(unsupported),
        str(docs_dir),
        "/etc/passwd",
    ]
    async with run_worker() as sdk:
        result = await sdk.run("What is the monthly fee?", docs)
    failures = {f.source: f for f in result.execution_summary.documents_failed}
    assert failures[str(docs_dir / "missing.txt")].error_type == "DocumentNotFound"
    assert failures[str(binary)].error_type == "UnsupportedDocument"
    assert ".xyz is not a supported format" in failures[str(unsupported)].message
    assert failures[str(docs_dir)].error_type == "UnsupportedDocument"
    assert failures["/etc/passwd"].error_type == "PathNotAllowed"
    assert "12,000" in result.answer


async def test_no_usable_document_fails_with_a_clear_error(
    run_worker: WorkerFactory, docs_dir: Path
) -> None:
    async with run_worker() as sdk:
        with pytest.raises(WorkflowFailureError) as caught:
            await sdk.run("What is this?", [str(docs_dir / "nope.md")])
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "NoUsableDocuments"
    assert "nope.md: no such file" in cause.message


async def test_empty_query_is_refused_before_reaching_temporal(run_worker: WorkerFactory) -> None:
    from pydantic import ValidationError

    async with run_worker() as sdk:
        with pytest.raises(ValidationError, match="query is empty"):
            await sdk.start("   ", ["a.md"])
        with pytest.raises(ValidationError, match="at least 1 item"):
            await sdk.start("What?", [])


async def test_levels_scheduling_reports_the_same_levels(
    run_worker: WorkerFactory, samples: Path
) -> None:
    docs = [str(samples / "contract_acme_globex.md"), str(samples / "q3_operations_report.md")]
    async with run_worker() as sdk:
        eager = await sdk.run("What are the risks?", docs)
        levels = await sdk.run("What are the risks?", docs, config=QueryConfig(scheduling="levels"))
    assert eager.execution_summary.levels == levels.execution_summary.levels
    assert levels.execution_summary.scheduling == "levels"
