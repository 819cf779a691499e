"""IngestWorkflow on the real dev server: documents are parsed and indexed by the worker's
resolve_documents activity, in batches, each document once, bad ones reported."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from models.names import RESOLVE_ACTIVITY
from models.query import ResolveRequest
from models.settings import Settings
from store import open_store
from tests.conftest import WorkerFactory
from tests.workflows.recording import record_history
from workflows.ingest import IngestWorkflow
from workflows.planning import RESOLVE_BATCH

pytestmark = pytest.mark.integration


async def scheduled_activities(client: Client, workflow_id: str) -> list[tuple[str, str]]:
    """(activity type, activity id) of every activity the workflow scheduled, in order."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return [
        (
            e.activity_task_scheduled_event_attributes.activity_type.name,
            e.activity_task_scheduled_event_attributes.activity_id,
        )
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


async def test_ingest_indexes_on_the_worker_in_batches_each_document_once(
    run_worker: WorkerFactory, samples: Path, client: Client, settings: Settings
) -> None:
    globex = str(samples / "contract_acme_globex.md")
    initech = str(samples / "contract_acme_initech.md")
    # one batch full of the same file, then a second batch: two activities, two documents
    sources = [globex] * RESOLVE_BATCH + [initech]
    workflow_id = f"ingest-test-{uuid.uuid4()}"
    async with run_worker() as sdk:
        report = await client.execute_workflow(
            IngestWorkflow.run,
            ResolveRequest(sources=sources),
            id=workflow_id,
            task_queue=sdk.task_queue,
        )
    assert [d.name for d in report.documents] == [
        "contract_acme_globex.md",
        "contract_acme_initech.md",
    ]
    assert not report.failures
    store = open_store(settings).documents
    for ref in report.documents:
        assert store.find(ref.id) == ref and ref.chunks >= 1
    assert await scheduled_activities(client, workflow_id) == [
        (RESOLVE_ACTIVITY, "resolve_1"),
        (RESOLVE_ACTIVITY, "resolve_2"),
    ]
    await record_history(client, workflow_id, "ingest_two_batches")


async def test_sdk_ingest_reports_each_bad_document_with_its_type(
    run_worker: WorkerFactory, samples: Path, docs_dir: Path
) -> None:
    empty = docs_dir / "ingest_empty.md"
    empty.write_text("")
    sources = [
        str(samples / "steering_meeting_notes.txt"),
        str(samples / "no_such_file.md"),
        "/etc/hostname",
        str(empty),
    ]
    async with run_worker() as sdk:
        report = await sdk.ingest(sources)
    assert [d.name for d in report.documents] == ["steering_meeting_notes.txt"]
    assert [(f.source, f.error_type) for f in report.failures] == [
        (sources[1], "DocumentNotFound"),
        (sources[2], "PathNotAllowed"),
        (sources[3], "EmptyDocument"),
    ]
    assert all(f.message for f in report.failures)
