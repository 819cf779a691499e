"""Sessions on the real dev server: follow-ups, continue-as-new, restarts, ordering."""

from __future__ import annotations

import asyncio
import itertools
import socket
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from app.runtime.devserver import dev_server, ui_port
from app.runtime.embedded import connect_when_ready
from client.sdk import OrchestratorClient
from models.session import SessionConfig
from models.settings import Settings
from tests.conftest import WorkerFactory
from worker import build_worker

pytestmark = pytest.mark.integration


def _contracts(samples: Path) -> list[str]:
    return [str(samples / "contract_acme_globex.md"), str(samples / "contract_acme_initech.md")]


async def test_follow_up_question_uses_the_previous_turn(
    run_worker: WorkerFactory, samples: Path
) -> None:
    async with run_worker() as sdk:
        session = await sdk.sessions.create(_contracts(samples))
        await sdk.sessions.ask_and_wait(
            session, "What is the notice period for termination for convenience?"
        )
        second_id = await sdk.sessions.ask(session, "And what about the second contract?")
        second = await sdk.sessions.result(session, second_id)
        # the turns as the session recorded them once both are answered (a query right after
        # the child's result may still see the second turn pending)
        turns = (await sdk.sessions.close(session)).turns
    assert "60 days" in second.answer
    assert {c.document_name for c in second.citations} == {"contract_acme_initech.md"}
    assert [t.status for t in turns] == ["completed", "completed"]
    assert turns[1].query_workflow_id == second_id


async def test_concurrent_asks_are_answered_in_order(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    questions = [
        "What is the monthly fee?",
        "What is the governing law?",
        "Who is the account manager?",
    ]
    async with run_worker() as sdk:
        session = await sdk.sessions.create(_contracts(samples))
        ids = await asyncio.gather(*(sdk.sessions.ask(session, q) for q in questions))
        results = [await sdk.sessions.result(session, i) for i in ids]
        turns = await sdk.sessions.turns(session)
        await sdk.sessions.close(session)
    assert sorted(ids) == [f"{session}-turn-{n}" for n in (1, 2, 3)]
    by_id = {t.query_workflow_id: t for t in turns}
    assert [by_id[i].question for i in ids] == questions
    assert all(r.answer for r in results)
    spans = []
    for query_id in sorted(ids):
        described = await client.get_workflow_handle(query_id).describe()
        assert described.close_time is not None
        spans.append((described.start_time, described.close_time))
    for (_, previous_close), (next_start, _) in itertools.pairwise(spans):
        assert next_start >= previous_close


async def test_session_continues_as_new_and_keeps_its_conversation(
    run_worker: WorkerFactory, samples: Path
) -> None:
    config = SessionConfig(continue_as_new_after_events=20, max_turns_kept=10)
    questions = [
        "What is the monthly fee?",
        "What is the onboarding fee?",
        "What is the governing law?",
        "Who is the account manager?",
        "What is the liability cap?",
        "What are the service levels?",
    ]
    asked: list[str] = []
    async with run_worker() as sdk:
        session = await sdk.sessions.create(_contracts(samples), config=config)
        for question in questions:
            await sdk.sessions.ask_and_wait(session, question)
            asked.append(question)
            state = await sdk.sessions.state(session)
            if state.runs >= 2:
                break
        await sdk.sessions.close(session)
    assert state.runs >= 2, "the session never continued as new"
    assert [t.question for t in state.turns] == asked
    assert all(t.status == "completed" for t in state.turns[:-1])


async def test_session_survives_a_worker_restart(run_worker: WorkerFactory, samples: Path) -> None:
    queue = "session-restart"
    async with run_worker(task_queue=queue) as sdk:
        session = await sdk.sessions.create(_contracts(samples))
        await sdk.sessions.ask_and_wait(session, "What is the monthly fee?")
    async with run_worker(task_queue=queue) as sdk:
        follow_up = await sdk.sessions.ask_and_wait(session, "And what about the second contract?")
        turns = await sdk.sessions.turns(session)
        await sdk.sessions.close(session)
    assert len(turns) == 2
    assert "15,500" in follow_up.answer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    return port if ui_port(port) < 65535 else _free_port()


async def test_session_survives_an_embedded_server_restart(
    settings: Settings, samples: Path, tmp_path: Path
) -> None:
    local = settings.model_copy(update={"data_dir": tmp_path / "data"})
    port = _free_port()
    async with dev_server(local, port=port) as address:
        temporal = await connect_when_ready(local, address)
        async with build_worker(temporal, local, task_queue="restart-queue"):
            sdk = OrchestratorClient(temporal, task_queue="restart-queue")
            session = await sdk.sessions.create(_contracts(samples))
            await sdk.sessions.ask_and_wait(session, "What is the monthly fee?")
    async with dev_server(local, port=port) as address:
        temporal = await connect_when_ready(local, address)
        async with build_worker(temporal, local, task_queue="restart-queue"):
            sdk = OrchestratorClient(temporal, task_queue="restart-queue")
            turns = await sdk.sessions.turns(session)
            described = await temporal.get_workflow_handle(session).describe()
            await sdk.sessions.close(session)
    assert described.status == WorkflowExecutionStatus.RUNNING
    assert [t.question for t in turns] == ["What is the monthly fee?"]
