"""Sessions through the SDK: create, ask, list turns, add/remove documents, close."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

from client.state import OPEN_SESSIONS
from models.query import QueryConfig, QueryResult
from models.session import (
    ActiveDocuments,
    AskRequest,
    DocumentsChange,
    SessionConfig,
    SessionState,
    Turn,
    TurnList,
    TurnRef,
)
from workflows.session import SessionWorkflow

SESSION_PREFIX = "session-"


def session_workflow_id(session_id: str) -> str:
    """The session's workflow id: ``session-<id>`` (ids given with the prefix are kept)."""
    return session_id if session_id.startswith(SESSION_PREFIX) else f"{SESSION_PREFIX}{session_id}"


class Sessions:
    """Session operations; reached as ``OrchestratorClient.sessions``."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    def _handle(self, session_id: str) -> WorkflowHandle[SessionWorkflow, SessionState]:
        return self._client.get_workflow_handle_for(
            SessionWorkflow.run, session_workflow_id(session_id)
        )

    async def create(
        self,
        documents: Sequence[str] = (),
        *,
        session_id: str | None = None,
        config: SessionConfig | None = None,
        query_config: QueryConfig | None = None,
    ) -> str:
        """Start a session with active documents; returns its id (``session-<uuid>``)."""
        workflow_id = session_workflow_id(session_id or str(uuid.uuid4()))
        config = config or SessionConfig()
        if query_config is not None:
            config = config.model_copy(update={"query": query_config})
        state = SessionState(session_id=workflow_id, documents=list(documents), config=config)
        await self._client.start_workflow(
            SessionWorkflow.run, state, id=workflow_id, task_queue=self._task_queue
        )
        return workflow_id

    async def ask(self, session_id: str, question: str, documents: Sequence[str] = ()) -> str:
        """Queue a question; returns the QueryWorkflow id (await it with ``result``)."""
        request = AskRequest(question=question, documents=tuple(documents))
        turn = await self._handle(session_id).execute_update(SessionWorkflow.ask, request)
        return turn.query_workflow_id

    async def started(self, session_id: str, query_id: str) -> str:
        """Wait until a turn's QueryWorkflow has started (a question may queue behind earlier
        ones), so its progress and result can be read by ``query_id``; returns ``query_id``."""
        started = await self._handle(session_id).execute_update(
            SessionWorkflow.wait_started, TurnRef(query_workflow_id=query_id)
        )
        return started.query_workflow_id

    async def result(self, session_id: str, query_id: str) -> QueryResult:
        """Wait for a turn's answer (also for a question still queued behind others)."""
        await self.started(session_id, query_id)
        result: QueryResult = await self._client.get_workflow_handle(
            query_id, result_type=QueryResult
        ).result()
        return result

    async def ask_and_wait(
        self, session_id: str, question: str, documents: Sequence[str] = ()
    ) -> QueryResult:
        """Ask and wait for the answer."""
        return await self.result(session_id, await self.ask(session_id, question, documents))

    async def turns(self, session_id: str) -> list[Turn]:
        """The session's turns, oldest first."""
        listed: TurnList = await self._handle(session_id).query(SessionWorkflow.turns)
        return listed.turns

    async def state(self, session_id: str) -> SessionState:
        """The session's state: active documents, turns, configuration."""
        state: SessionState = await self._handle(session_id).query(SessionWorkflow.snapshot)
        return state

    async def add_documents(self, session_id: str, documents: Sequence[str]) -> list[str]:
        """Make documents active for the following questions; returns the active list."""
        active: ActiveDocuments = await self._handle(session_id).execute_update(
            SessionWorkflow.add_documents, DocumentsChange(documents=tuple(documents))
        )
        return active.documents

    async def remove_documents(self, session_id: str, documents: Sequence[str]) -> list[str]:
        """Set documents aside for the following questions; returns the active list."""
        active: ActiveDocuments = await self._handle(session_id).execute_update(
            SessionWorkflow.remove_documents, DocumentsChange(documents=tuple(documents))
        )
        return active.documents

    async def close(self, session_id: str) -> SessionState:
        """Close after the queued questions are answered; returns the final state."""
        state: SessionState = await self._handle(session_id).execute_update(SessionWorkflow.close)
        return state

    async def list_open(self) -> list[str]:
        """Ids of the sessions that are open (from Temporal visibility)."""
        return [w.id async for w in self._client.list_workflows(OPEN_SESSIONS)]

    async def is_open(self, session_id: str) -> bool:
        """True while the session's workflow runs."""
        description = await self._handle(session_id).describe()
        return description.status == WorkflowExecutionStatus.RUNNING
