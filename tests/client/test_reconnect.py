"""The SDK keeps waiting for an answer across a restart of the Temporal server (kill -9, then
started again on the same port and database), and says so clearly when the server stays away.

The SDK's client here retries a failed call only once by itself (the Temporal client's default
retries hide a short outage), so the waiting below stands on ``client.reconnect`` alone.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RetryConfig

from app.runtime.embedded import connect_when_ready
from client.reconnect import TemporalUnavailable
from client.sdk import OrchestratorClient
from models.plan import Plan, Step
from models.query import QueryType
from models.settings import Settings
from tests import fault_tools
from tests.persistent_server import persistent_server
from worker import build_worker

pytestmark = pytest.mark.integration
QUESTION = "What is the notice period for termination for convenience?"
STEP_SECONDS = 4.0


async def _impatient_client(address: str) -> Client:
    """A client that gives up on an unreachable server after one quick retry."""
    return await Client.connect(
        address,
        data_converter=pydantic_data_converter,
        retry_config=RetryConfig(
            initial_interval_millis=50, max_interval_millis=100, max_retries=1
        ),
    )


def _slow_plan() -> dict[str, object]:
    step = Step(id="wait", tool="slow", params={"key": "restart", "seconds": STEP_SECONDS})
    plan = Plan(
        query=QUESTION,
        query_type=QueryType.QA,
        steps=(step,),
        answer_step="wait",
        reasoning="one slow step",
        source="llm",
    )
    return plan.model_dump(mode="json")


async def _eventually(check: Callable[[], bool], timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_the_sdk_waits_for_the_answer_across_a_server_restart(
    tmp_path: Path, settings: Settings, samples: Path
) -> None:
    log = fault_tools.configure()
    queue = f"restart-{uuid.uuid4().hex[:8]}"
    documents = [str(samples / "contract_acme_globex.md")]
    async with persistent_server(tmp_path, settings) as server:
        worker_client = await connect_when_ready(settings, server.address)
        worker = build_worker(
            worker_client, settings, registry=fault_tools.fault_registry(), task_queue=queue
        )
        async with worker:
            sdk = OrchestratorClient(
                await _impatient_client(server.address), task_queue=queue, reconnect_seconds=60
            )
            handle = await sdk.start(QUESTION, documents, plan=_slow_plan())
            await _eventually(lambda: log.count("slow", key="restart") == 1)
            waiting = asyncio.create_task(sdk.result(handle.id))
            await asyncio.sleep(0.5)  # its long poll is in flight when the server dies
            server.kill()
            await asyncio.sleep(1.5)  # a call or two fails meanwhile: nothing answers
            assert not waiting.done()
            await server.start()
            result = await asyncio.wait_for(waiting, 60)
        assert result.answer == f"slow restart after {STEP_SECONDS:.2f}s (0 inputs)"
        # the step ran once, or twice when its heartbeat (1 s timeout) fell in the outage
        assert log.count("slow", key="restart") in (1, 2)

        # the server stays away: past the bound, a clear error naming it
        server.kill()
        bounded = OrchestratorClient(sdk.temporal, task_queue=queue, reconnect_seconds=1.0)
        with pytest.raises(TemporalUnavailable, match=f"{server.address} was unreachable"):
            await asyncio.wait_for(bounded.result(handle.id), 30)


async def test_a_session_id_is_refused_where_a_query_id_is_expected(client: Client) -> None:
    sdk = OrchestratorClient(client, task_queue="unused")
    with pytest.raises(ValidationError, match="is a session's id"):
        await sdk.start(QUESTION, ["a.md"], workflow_id=f"session-{uuid.uuid4()}")
    with pytest.raises(ValidationError, match="is a session's id"):
        await sdk.result(f"session-{uuid.uuid4()}")
    with pytest.raises(ValidationError, match="is a query's id"):
        await sdk.sessions.turns(f"query-{uuid.uuid4()}")
