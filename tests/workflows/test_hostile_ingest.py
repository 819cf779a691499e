"""Hostile documents on the real dev server: typed failures in the query's report, other
queries answered while hostile files parse, parses stopped with their activity, and ingestion
that resumes after its worker is killed with SIGKILL."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.worker import Worker

from activities.documents.isolation import shared_pool
from activities.ingest import ResolveProgress
from client.plugin import workflow_runner
from client.sdk import OrchestratorClient
from models.query import QueryStatus, ResolveReport
from models.settings import Settings
from tests.activities.test_parse_isolation import dead
from tests.hostile_documents import (
    docx_bomb,
    docx_huge_text_node,
    nested_html,
    pdf_bomb,
    slow_html,
)
from tests.worker_process import cue, spawn
from tests.workflows.ingest_probe import IngestProbe, IngestProbeWorkflow
from tests.workflows.test_resilience import eventually
from worker import build_worker

pytestmark = pytest.mark.integration

QUESTION = "What is the notice period for termination for convenience?"


def write(folder: Path, files: dict[str, bytes]) -> list[str]:
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return [str(folder / name) for name in files]


@asynccontextmanager
async def probe_queue(client: Client) -> AsyncIterator[str]:
    """A worker for IngestProbeWorkflow only; its activity runs on the queue the probe names."""
    queue = f"probe-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client, task_queue=queue, workflows=[IngestProbeWorkflow], workflow_runner=workflow_runner()
    ):
        yield queue


async def start_probe(
    client: Client, queue: str, probe: IngestProbe
) -> WorkflowHandle[IngestProbeWorkflow, ResolveReport]:
    return await client.start_workflow(
        IngestProbeWorkflow.run, probe, id=f"probe-{uuid.uuid4().hex[:8]}", task_queue=queue
    )


async def recorded_progress(client: Client, handle: WorkflowHandle) -> ResolveProgress | None:  # type: ignore[type-arg]
    """The resolve progress the server holds from the activity's last heartbeat."""
    description = await handle.describe()
    for pending in description.raw_description.pending_activities:
        if pending.heartbeat_details.payloads:
            values = await client.data_converter.decode(pending.heartbeat_details.payloads)
            return ResolveProgress.model_validate(values[0])
    return None


async def test_hostile_documents_fail_typed_and_the_others_are_answered(
    client: Client, settings: Settings, docs_dir: Path, samples: Path
) -> None:
    hostile = write(
        docs_dir,
        {
            "zip-bomb.docx": docx_bomb(300_000),
            "stream-bomb.pdf": pdf_bomb(1 << 30),
            "one-long-run.docx": docx_huge_text_node(11_000_000),
            "deep.html": nested_html(20_000),
        },
    )
    queue = f"hostile-{uuid.uuid4().hex[:8]}"
    async with build_worker(client, settings, task_queue=queue):
        sdk = OrchestratorClient(client, task_queue=queue)
        result = await sdk.run(QUESTION, [str(samples / "contract_acme_globex.md"), *hostile])
    failures = {
        Path(f.source).name: f.error_type for f in result.execution_summary.documents_failed
    }
    assert failures == {
        "zip-bomb.docx": "DecompressionBomb",
        "stream-bomb.pdf": "DecompressionBomb",
        "one-long-run.docx": "DocumentTooComplex",
    }
    assert result.status is QueryStatus.COMPLETED and "90 days" in result.answer
    assert result.execution_summary.documents_covered == 2  # the contract and the deep page


async def test_slow_hostile_parses_do_not_hold_up_other_queries(
    client: Client, settings: Settings, docs_dir: Path, samples: Path
) -> None:
    # six slow pages (minutes of parsing each) used to fill the thread pool every tool runs in;
    # two parse at once here, four wait for a parse process, and none holds a thread
    tuned = settings.model_copy(update={"parse_processes": 2})
    salt = uuid.uuid4().hex[:8]
    slow = write(
        docs_dir, {f"slow-{salt}-{n}.html": slow_html(300_000, salt=f"{salt}{n}") for n in range(6)}
    )
    contract = str(samples / "contract_acme_globex.md")
    queue = f"hostile-{salt}"
    pool = shared_pool(processes=2, memory_mb=tuned.parse_memory_mb)
    async with build_worker(client, tuned, task_queue=queue):
        sdk = OrchestratorClient(client, task_queue=queue)
        await sdk.run(QUESTION, [contract])  # the contract is indexed: no parse needed below
        hostile = [await sdk.start(QUESTION, [path]) for path in slow]
        await eventually(lambda: len(pool.busy()) == 2, timeout=60)
        answered = await sdk.run(QUESTION, [contract])
        still_running = [
            (await handle.describe()).status is WorkflowExecutionStatus.RUNNING
            for handle in hostile
        ]
        for handle in hostile:
            await handle.terminate("test over")
    assert answered.status is QueryStatus.COMPLETED and "90 days" in answered.answer
    assert all(still_running), "a normal query waited for hostile parses"
    # the worker's shutdown cancelled the resolve activities, and with them their parses
    assert pool.busy() == []


@pytest.mark.parametrize("stop", ["cancel", "terminate"])
async def test_a_stopped_ingest_kills_its_parse(
    client: Client, settings: Settings, docs_dir: Path, stop: str
) -> None:
    salt = uuid.uuid4().hex[:8]
    [path] = write(docs_dir, {f"endless-{salt}.html": slow_html(1_000_000, salt=salt)})
    queue = f"stop-{salt}"
    pool = shared_pool(processes=settings.parse_processes, memory_mb=settings.parse_memory_mb)
    async with (
        build_worker(client, settings, task_queue=queue),
        probe_queue(client) as probes,
    ):
        handle = await start_probe(
            client, probes, IngestProbe(sources=[path], activity_queue=queue)
        )
        await eventually(lambda: len(pool.busy()) == 1, timeout=60)
        [child] = pool.busy()
        await (handle.cancel() if stop == "cancel" else handle.terminate("stop"))
        # the activity learns at its next heartbeat (the probe's timeout is 2 s), then kills
        await eventually(lambda: dead(child), timeout=30)
    assert pool.busy() == []


async def test_an_ingest_resumes_after_its_worker_is_killed(
    client: Client, settings: Settings, docs_dir: Path, tmp_path: Path
) -> None:
    salt = uuid.uuid4().hex[:8]
    quick = write(
        docs_dir, {f"quick-{salt}-{n}.md": f"# Note {n}\n\n{salt}".encode() for n in range(3)}
    )
    slow = write(
        docs_dir,
        {f"slow-{salt}-{n}.html": slow_html(60_000, salt=f"{salt}{n}") for n in range(4)},
    )
    queue = f"resume-{salt}"
    calls = tmp_path / "calls.jsonl"
    async with (
        probe_queue(client) as probes,
        spawn(
            client.service_client.config.target_host,
            queue,
            data_dir=settings.data_dir,
            allowed_roots=settings.allowed_roots,
            calls=calls,
        ) as first,
        spawn(
            client.service_client.config.target_host,
            queue,
            data_dir=settings.data_dir,
            allowed_roots=settings.allowed_roots,
            calls=calls,
            on_cue=True,
        ) as second,
    ):
        probe = IngestProbe(sources=[*quick, *slow], activity_queue=queue)
        handle = await start_probe(client, probes, probe)
        progress: ResolveProgress | None = None
        while progress is None or progress.done < len(quick):
            progress = await recorded_progress(client, handle)
            assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        # what the server recorded as done must not be read again: take those files away
        done = probe.sources[: progress.done]
        for source in done:
            Path(source).unlink()
        await cue(second)
        report = await handle.result()
    assert report.failures == []
    assert sorted(ref.name for ref in report.documents) == sorted(
        Path(s).name for s in probe.sources
    )
    assert {ref.name for ref in progress.report.documents} == {Path(s).name for s in done}
