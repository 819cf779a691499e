"""Sessions through the SDK: create, ask, list turns, add/remove documents, close."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

from client.reconnect import DEFAULT_RECONNECT_SECONDS, reconnecting
from client.state import OPEN_SESSIONS
from models.ids import fresh_session_id, query_id_to_read, session_workflow_id
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


class Sessions:
    """Session operations; reached as ``OrchestratorClient.sessions``.

    A session is named by its id, ``session-<token>`` (a bare token gets the prefix); a
    query's or a turn's id raises pydantic.ValidationError before anything reaches Temporal
    (``models.ids`` holds the grammar)."""

    def __init__(
        self,
        client: Client,
        task_queue: str,
        *,
        reconnect_seconds: float = DEFAULT_RECONNECT_SECONDS,
    ) -> None:
        self._client = client
        self._task_queue = task_queue
        self._reconnect_seconds = reconnect_seconds

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
        """Start a session with active documents; returns its id (``session-<uuid>`` unless
        ``session_id`` names it)."""
        workflow_id = session_workflow_id(session_id) if session_id else fresh_session_id()
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
        """Wait for a turn's answer (also for a question still queued behind others), across
        a restart of the Temporal server (TemporalUnavailable once it stays unreachable past
        the reconnect bound)."""
        turn = self._client.get_workflow_handle(query_id_to_read(query_id), result_type=QueryResult)
        target = self._client.service_client.config.target_host

        async def wait() -> QueryResult:
            await self.started(session_id, query_id)
            result: QueryResult = await turn.result()
            return result

        return await reconnecting(
            wait, within=self._reconnect_seconds, what=f"waiting for {query_id}", target=target
        )

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
        """Ids of the sessions that are open (from Temporal visibility, eventually consistent: a
        session started a moment ago may not be listed yet)."""
        return [w.id async for w in self._client.list_workflows(OPEN_SESSIONS)]

    async def is_open(self, session_id: str) -> bool:
        """True while the session's workflow runs."""
        description = await self._handle(session_id).describe()
        return description.status == WorkflowExecutionStatus.RUNNING
