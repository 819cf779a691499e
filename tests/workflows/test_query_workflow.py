"""QueryWorkflow end to end on the real dev server, with the real tools and sample documents."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError, WorkflowHistory
from temporalio.exceptions import ApplicationError

from models.config import Scheduling
from models.names import QUERY_WORKFLOW, ActivityId
from models.query import QueryConfig, QueryStatus, QueryType
from models.settings import Settings
from store import open_store
from tests.conftest import WorkerFactory
from tests.workflows.recording import record_history

pytestmark = pytest.mark.integration


async def test_question_is_answered_with_citations_that_quote_the_document(
    run_worker: WorkerFactory, samples: Path, client: Client, settings: Settings
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
    await record_history(client, handle.id, "qa_two_contracts_protocol2")


async def test_summary_fans_out_per_document_and_composes(
    run_worker: WorkerFactory, samples: Path, client: Client
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
    await record_history(client, handle.id, "summary_two_docs_protocol2")


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


def _step_windows(history: WorkflowHistory, steps: set[str]) -> dict[str, tuple[int, int]]:
    """Step id -> (event id of its first activity scheduled, of its last activity closed)."""
    step_of: dict[int, str] = {}
    windows: dict[str, tuple[int, int]] = {}
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            parsed = ActivityId.parse(event.activity_task_scheduled_event_attributes.activity_id)
            if parsed is not None and parsed.step in steps:
                step_of[event.event_id] = parsed.step
                windows.setdefault(parsed.step, (event.event_id, 0))
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            step_id = step_of.get(event.activity_task_completed_event_attributes.scheduled_event_id)
            if step_id is not None:
                windows[step_id] = (windows[step_id][0], event.event_id)
    return windows


def _uneven_plan(question: str) -> dict[str, object]:
    """Two searches on level 1, one of them three calls long (a broadening loop that never
    finds enough); an answer from each on level 2; their composition on level 3."""

    def search(step_id: str, document: int, **loop: object) -> dict[str, object]:
        params = {"query": question, "documents": [f"$input.documents.{document}"]}
        return {"id": step_id, "tool": "search_documents", "params": params, **loop}

    def answer(step_id: str, search_id: str) -> dict[str, object]:
        params = {"question": question, "passages": f"${search_id}.passages"}
        return {"id": step_id, "tool": "answer_question", "params": params}

    never = {"ref": "$self.count", "op": "gt", "value": 1000}
    return {
        "query": question,
        "query_type": "qa",
        "answer_step": "both",
        "steps": [
            search("quick", 0),
            search("long", 1, repeat_until=never, max_iterations=3),
            answer("from_quick", "quick"),
            answer("from_long", "long"),
            {
                "id": "both",
                "tool": "compose_answers",
                "params": {"question": question, "parts": ["$from_quick", "$from_long"]},
            },
        ],
    }


@pytest.mark.parametrize("scheduling", ["levels", "eager"])
async def test_levels_scheduling_starts_a_level_once_the_one_before_has_finished(
    run_worker: WorkerFactory, samples: Path, scheduling: Scheduling
) -> None:
    docs = [str(samples / "contract_acme_globex.md"), str(samples / "contract_acme_initech.md")]
    question = "What is the notice period?"
    async with run_worker() as sdk:
        handle = await sdk.start(
            question,
            docs,
            plan=_uneven_plan(question),
            config=QueryConfig(scheduling=scheduling, confidence_threshold=0.0),
        )
        result = await handle.result()
        history = await handle.fetch_history()
    summary = result.execution_summary
    assert summary.scheduling == scheduling and len(summary.levels) == 3
    level_of = {r.step_id: r.level for r in summary.steps}
    windows = _step_windows(history, set(level_of))
    assert set(windows) == {"quick", "long", "from_quick", "from_long", "both"}
    started_early = [
        s
        for s, (scheduled, _) in windows.items()
        if any(w[1] > scheduled for t, w in windows.items() if level_of[t] < level_of[s])
    ]
    # levels: nothing starts before the level below it has finished; eager: the answer from
    # the quick search starts while the long search still runs
    assert started_early == ([] if scheduling == "levels" else ["from_quick"])


async def test_a_malformed_request_from_any_client_fails_the_query_not_its_task(
    run_worker: WorkerFactory, client: Client
) -> None:
    # sent as plain JSON, as another SDK would: the plan is not a plan
    request = {"query": "What?", "documents": ["a.md"], "plan": {"steps": "none"}}
    async with run_worker() as sdk:
        with pytest.raises(WorkflowFailureError) as failed:
            await client.execute_workflow(
                QUERY_WORKFLOW,
                request,
                id=f"query-malformed-{uuid.uuid4().hex[:8]}",
                task_queue=sdk.task_queue,
                execution_timeout=timedelta(seconds=60),
            )
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "ValidationError"
    assert "plan" in cause.message
