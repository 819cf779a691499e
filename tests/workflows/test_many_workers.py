"""docorch on many machines, in one: one Temporal server, the PostgreSQL store, two worker
processes that share no disk (each its own DOCORCH_DATA_DIR, DOCORCH_ALLOWED_ROOTS an empty
directory) and a client in a third directory that uploads its documents (the claim check).
Questions are answered right, one query's activities run on both workers, and a worker killed
mid-query loses nothing: the other finishes it."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from client.sdk import OrchestratorClient
from models.config import QueryConfig
from models.plan import Step
from models.query import QueryResult, QueryStatus, QueryType
from models.settings import Settings
from tests.fault_tools import InvocationLog
from tests.postgres import PostgresCluster
from tests.worker_process import spawn
from tests.workflows.test_resilience import QUESTION, answer, eventually, plan_of, search

pytestmark = pytest.mark.integration

DOCUMENTS = (
    "contract_acme_globex.md",
    "contract_acme_initech.md",
    "q3_operations_report.md",
    "steering_meeting_notes.txt",
)


@dataclass
class Fleet:
    """Two worker processes on one task queue and a client that shares nothing with them but
    the Temporal server and the store."""

    sdk: OrchestratorClient
    workers: list[subprocess.Popen[str]]
    calls: list[InvocationLog]
    files: dict[str, Path]

    def identity(self, index: int) -> str:
        """The prefix of worker ``index``'s Temporal identity (the SDK's ``<pid>@<host>``)."""
        return f"{self.workers[index].pid}@"


@pytest_asyncio.fixture
async def fleet(
    client: Client, postgres_cluster: PostgresCluster, samples: Path, tmp_path: Path
) -> AsyncIterator[Fleet]:
    store_url = postgres_cluster.create_database("fleet")
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    caller = tmp_path / "caller"  # only the client reads here
    caller.mkdir()
    files = {name: Path(shutil.copy(samples / name, caller / name)) for name in DOCUMENTS}
    queue = f"fleet-{uuid.uuid4().hex[:8]}"
    call_files = [tmp_path / f"calls-{i}.jsonl" for i in range(2)]  # one per worker
    async with AsyncExitStack() as stack:
        workers = [
            await stack.enter_async_context(
                spawn(
                    client.service_client.config.target_host,
                    queue,
                    data_dir=tmp_path / f"worker-{i}",
                    allowed_roots=[nowhere],
                    calls=calls,
                    store_url=store_url,
                    max_activities=1,  # a second activity at once must go to the other worker
                )
            )
            for i, calls in enumerate(call_files)
        ]
        settings = Settings(data_dir=tmp_path / "client", store_url=store_url)
        sdk = OrchestratorClient(client, task_queue=queue, settings=settings)
        logs = [InvocationLog(path) for path in call_files]
        yield Fleet(sdk=sdk, workers=workers, calls=logs, files=files)


async def started_by(client: Client, workflow_id: str) -> list[tuple[str, int, str]]:
    """(activity type, attempt, worker identity) of each activity attempt the history records
    as started."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    types = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    return [
        (
            types[e.activity_task_started_event_attributes.scheduled_event_id],
            e.activity_task_started_event_attributes.attempt,
            e.activity_task_started_event_attributes.identity,
        )
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]


def fan_out(seconds: float, width: int = 4) -> dict[str, object]:
    """A plan: search, ``width`` slow steps side by side, then the answer (after all of them)."""
    slow = [
        Step(
            id=f"f{i}",
            tool="slow",
            params={"key": f"f{i}", "seconds": seconds, "inputs": ["$search_1.count"]},
        )
        for i in range(width)
    ]
    deps = tuple(s.id for s in slow)
    return plan_of(
        search("search_1"),
        *slow,
        answer("answer_1", "search_1", depends_on=deps),
        answer="answer_1",
    )


def contracts(fleet: Fleet) -> list[Path]:
    return [fleet.files["contract_acme_globex.md"], fleet.files["contract_acme_initech.md"]]


async def test_uploaded_documents_are_answered_by_workers_that_share_no_disk(fleet: Fleet) -> None:
    qa = await fleet.sdk.run(QUESTION, files=contracts(fleet))
    assert qa.query_type is QueryType.QA and qa.status is QueryStatus.COMPLETED
    assert "90 days" in qa.answer and "60 days" in qa.answer
    assert {c.document_name for c in qa.citations} <= set(DOCUMENTS)
    reports = [fleet.files["q3_operations_report.md"], fleet.files["steering_meeting_notes.txt"]]
    summary = await fleet.sdk.run("Summarize these documents", files=reports)
    assert summary.query_type is QueryType.SUMMARY
    assert {c.document_name for c in summary.citations} == {
        "q3_operations_report.md",
        "steering_meeting_notes.txt",
    }
    # the same bytes are the same documents: ids from the upload are queried again by id
    refs = [await fleet.sdk.upload(path) for path in contracts(fleet)]
    again = await fleet.sdk.run(QUESTION, refs)
    assert "90 days" in again.answer and "60 days" in again.answer
    uploaded = {ref.removeprefix("content:").split("/")[0] for ref in refs}
    assert {c.document_id for c in again.citations} <= uploaded
    # the workers cannot read the caller's files themselves
    refused = await fleet.sdk.ingest([f"file:{contracts(fleet)[0]}"])
    assert [f.error_type for f in refused.failures] == ["PathNotAllowed"]


async def test_one_query_runs_on_both_workers(fleet: Fleet, client: Client) -> None:
    handle = await fleet.sdk.start(
        QUESTION,
        files=contracts(fleet),
        plan=fan_out(1.5),
        config=QueryConfig(max_parallel_steps=4),
    )
    result: QueryResult = await asyncio.wait_for(handle.result(), 120)
    assert result.status is QueryStatus.COMPLETED and "90 days" in result.answer
    slow_by = {
        identity for kind, _, identity in await started_by(client, handle.id) if kind == "slow"
    }
    # each worker holds one activity at a time, so the four slow steps cannot all go to one
    assert {fleet.identity(0), fleet.identity(1)} == {i[: i.index("@") + 1] for i in slow_by}


async def test_a_worker_killed_mid_query_loses_nothing(fleet: Fleet, client: Client) -> None:
    handle = await fleet.sdk.start(
        QUESTION,
        files=contracts(fleet),
        plan=fan_out(3.0),
        config=QueryConfig(max_parallel_steps=4),
    )
    # wait until the first worker is inside a slow step, then kill it there
    await eventually(lambda: fleet.calls[0].count("slow") > 0, timeout=60)
    fleet.workers[0].send_signal(signal.SIGKILL)
    fleet.workers[0].wait()
    result: QueryResult = await asyncio.wait_for(handle.result(), 120)
    assert result.status is QueryStatus.COMPLETED and "90 days" in result.answer
    assert [s.status for s in result.execution_summary.steps if s.tool == "slow"] == [
        "completed"
    ] * 4
    finished_by_killed = {key for key, _, _ in fleet.calls[0].spans("slow")}
    attempts = await started_by(client, handle.id)
    survivor = fleet.identity(1)
    retried = [(a, i) for kind, a, i in attempts if kind == "slow" and a > 1]
    assert retried and all(i.startswith(survivor) for _, i in retried), attempts
    # the step in flight at the kill ran again on the survivor; finished ones did not
    for key in finished_by_killed:
        assert fleet.calls[1].count("slow", key=key) == 0
