"""What following a query live costs its Temporal history: the SDK reads progress through the
``events_after`` query (no history), so a typical query followed from start to end stays under
a fifth of its history spent on progress (goal of issue 16; measured from the real history)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import Client

from bench.histories import progress_cost
from models.events import ProgressEvent
from tests.conftest import WorkerFactory

pytestmark = pytest.mark.integration
QA = (
    "What is the notice period for termination for convenience?",
    ("contract_acme_globex.md", "contract_acme_initech.md"),
)
SUMMARY = ("Summarize these documents", ("q3_operations_report.md", "steering_meeting_notes.txt"))
MAX_SHARE = 0.20


async def _follow(
    sdk_factory: WorkerFactory,
    samples: Path,
    question: str,
    names: tuple[str, ...],
    wait_update_after: float | None = 5.0,
) -> tuple[str, list[ProgressEvent]]:
    docs = [str(samples / name) for name in names]
    async with sdk_factory() as sdk:
        handle = await sdk.start(question, docs)
        events = [e async for e in sdk.events(handle.id, wait_update_after=wait_update_after)]
        await handle.result()
    return handle.id, events


@pytest.mark.parametrize(("question", "names"), [QA, SUMMARY], ids=["qa", "summary"])
async def test_following_a_typical_query_costs_at_most_a_fifth_of_its_history(
    run_worker: WorkerFactory, samples: Path, client: Client, question: str, names: tuple[str, ...]
) -> None:
    workflow_id, events = await _follow(run_worker, samples, question, names)
    assert [e.offset for e in events] == list(range(len(events)))
    assert events[-1].is_final and len(events) >= 8  # plan, steps, the answer: all delivered
    cost = progress_cost(await client.get_workflow_handle(workflow_id).fetch_history())
    assert cost.share <= MAX_SHARE, cost


async def test_the_measure_counts_what_blocking_updates_add(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    """The negative control: a reader that blocks on the ``wait_events`` update at once (the
    delivery before issue 16) is charged every update it made, and the workflow tasks that ran
    for them alone."""
    workflow_id, events = await _follow(run_worker, samples, *QA, wait_update_after=0.0)
    assert events[-1].is_final
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    cost = progress_cost(history)
    assert cost.updates >= 1
    # accepted + completed per update, plus three events per workflow task of its own
    assert cost.events >= 2 * cost.updates and (cost.events - 2 * cost.updates) % 3 == 0
    assert 0 < cost.share < 1
