"""A step's side effects are recorded once although Temporal ran it twice, on a real server and
on both store backends.

The case the chaos soak (bench/chaos.py) found: a call succeeds and records its figure, but its
completion never counts (its worker was killed right after, or the server was away, or — here,
deterministically — the call outlived its attempt's timeout), so Temporal runs the step again
and the retry succeeds too. The tool figures must hold one success for the step.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client

from client.sdk import OrchestratorClient
from models.plan import Plan, Step
from models.query import QueryStatus, QueryType
from models.settings import Settings
from store import open_store
from tests import fault_tools
from tests.postgres import PostgresCluster
from worker import build_worker

pytestmark = pytest.mark.integration
QUESTION = "What is the monthly fee?"
STALL_SECONDS = 4.0
"""Four times the tool's start-to-close timeout: the server has retried the step long before."""


def _stalling_plan(key: str) -> Plan:
    step = Step(id="stall", tool="stall_once", params={"key": key, "seconds": STALL_SECONDS})
    return Plan(
        query=QUESTION,
        query_type=QueryType.QA,
        steps=(step,),
        answer_step="stall",
        reasoning="one step that stalls its worker once",
        source="llm",
    )


@pytest.mark.parametrize("backend", ["embedded", "postgresql"])
async def test_a_step_run_again_after_its_call_succeeded_records_one_success(
    backend: str, client: Client, tmp_path: Path, samples: Path, request: pytest.FixtureRequest
) -> None:
    log = fault_tools.configure()
    store_url = None
    if backend == "postgresql":
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        store_url = cluster.create_database("effects")
    settings = Settings(data_dir=tmp_path / "data", allowed_roots=(samples,), store_url=store_url)
    queue, key = f"effects-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:8]
    worker = build_worker(client, settings, registry=fault_tools.fault_registry(), task_queue=queue)
    async with worker:
        sdk = OrchestratorClient(client, task_queue=queue, settings=settings)
        result = await sdk.run(
            QUESTION, [str(samples / "contract_acme_globex.md")], plan=_stalling_plan(key)
        )
        # the first call is still stalled: let it finish (and record) before the worker stops
        while len(log.outcomes("stall_once", key)) < 2:
            await asyncio.sleep(0.05)
    assert result.status == QueryStatus.COMPLETED
    assert result.answer == f"stall_once {key} on call 2", "the retry's result is the answer"
    assert log.outcomes("stall_once", key) == ["ok", "ok"], "both calls succeeded"
    (figures,) = [s for s in open_store(settings).figures.tool_stats() if s.tool == "stall_once"]
    assert (figures.calls, figures.success_rate) == (1, 1.0)
