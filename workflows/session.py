"""SessionWorkflow: one entity workflow per session id.

It keeps the active documents, the conversation and the settings. ``ask`` (an update) queues a
question and returns the id of the child QueryWorkflow that will answer it, at once; questions
run one after another, in the order they were asked, each receiving the recent turns so that
follow-ups resolve against earlier answers. The session continues-as-new before its history
grows large and closes itself after an idle period.
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError, ChildWorkflowError

from models.config import PriorTurn
from models.names import QUERY_WORKFLOW, SESSION_WORKFLOW
from models.query import QueryRequest, QueryResult
from models.session import (
    ActiveDocuments,
    AskRequest,
    DocumentsChange,
    SessionState,
    Turn,
    TurnList,
    TurnRef,
)
from models.summaries import query_summary, start_details

ANSWER_SUMMARY_CHARS = 400


@workflow.defn(name=SESSION_WORKFLOW)
class SessionWorkflow:
    @workflow.init
    def __init__(self, state: SessionState) -> None:
        # state is set here, not in run(), so updates delivered with the first task see it
        self.state = state
        self.queue: deque[tuple[str, AskRequest]] = deque()
        self.busy = False
        self.started: set[str] = set()

    @workflow.run
    async def run(self, state: SessionState) -> SessionState:
        idle = timedelta(seconds=state.config.idle_timeout_seconds)
        while not self.state.closed:
            try:
                await workflow.wait_condition(
                    lambda: bool(self.queue) or self.state.closed, timeout=idle
                )
            except TimeoutError:
                workflow.logger.info("session %s idle; closing", state.session_id)
                self.state.closed = True
                break
            while self.queue:
                query_id, ask = self.queue.popleft()
                await self._answer(query_id, ask)
            if self._history_is_large():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self.queue:
                    workflow.continue_as_new(self._carried_state())
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    # ---- updates and queries ---------------------------------------------------------------

    @workflow.update
    def ask(self, request: AskRequest) -> TurnRef:
        """Queue a question; returns the QueryWorkflow that will answer it."""
        self.state.turns_total += 1
        query_id = f"{workflow.info().workflow_id}-turn-{self.state.turns_total}"
        documents = tuple(dict.fromkeys([*self.state.documents, *request.documents]))
        self.state.turns.append(
            Turn(question=request.question, query_workflow_id=query_id, documents=documents)
        )
        self.queue.append((query_id, request))
        return TurnRef(query_workflow_id=query_id)

    @ask.validator
    def _validate_ask(self, request: AskRequest) -> None:
        if self.state.closed:
            raise ApplicationError("the session is closed", type="SessionClosed")
        if not self.state.documents and not request.documents:
            raise ApplicationError(
                "the session has no documents: add some, or name them in the question",
                type="NoDocuments",
            )

    @workflow.update
    def add_documents(self, change: DocumentsChange) -> ActiveDocuments:
        """Make documents active for the following questions; returns the active list."""
        self.state.documents = list(dict.fromkeys([*self.state.documents, *change.documents]))
        return ActiveDocuments(documents=self.state.documents)

    @workflow.update
    def remove_documents(self, change: DocumentsChange) -> ActiveDocuments:
        """Set documents aside for the following questions; returns the active list."""
        gone = set(change.documents)
        self.state.documents = [d for d in self.state.documents if d not in gone]
        return ActiveDocuments(documents=self.state.documents)

    @workflow.update
    async def close(self) -> SessionState:
        """Close after the queued questions are answered; returns the final state."""
        await workflow.wait_condition(lambda: not self.queue and not self.busy)
        self.state.closed = True
        return self.state

    @workflow.update
    async def wait_started(self, turn: TurnRef) -> TurnRef:
        """Block until the turn's QueryWorkflow has started (so its result can be awaited)."""
        query_id = turn.query_workflow_id
        known = {t.query_workflow_id for t in self.state.turns}
        if query_id not in known:
            raise ApplicationError(f"no turn {query_id!r} in this session", type="UnknownTurn")
        # started in this run, or answered already (possibly in an earlier run)
        await workflow.wait_condition(
            lambda: (
                query_id in self.started
                or any(
                    t.query_workflow_id == query_id and t.status != "pending"
                    for t in self.state.turns
                )
            )
        )
        return turn

    @workflow.query
    def turns(self) -> TurnList:
        """The session's turns, oldest first."""
        return TurnList(turns=self.state.turns)

    @workflow.query
    def snapshot(self) -> SessionState:
        """Everything the session carries."""
        return self.state

    # ---- answering -------------------------------------------------------------------------

    def _history(self) -> tuple[PriorTurn, ...]:
        done = [t for t in self.state.turns if t.status == "completed"]
        recent = done[-self.state.config.history_turns :] if self.state.config.history_turns else []
        return tuple(
            PriorTurn(question=t.question, answer_summary=t.answer_summary, documents=t.documents)
            for t in recent
        )

    async def _answer(self, query_id: str, ask: AskRequest) -> None:
        self.busy = True
        turn = next(t for t in self.state.turns if t.query_workflow_id == query_id)
        request = QueryRequest(
            query=ask.question,
            documents=turn.documents,
            session_id=self.state.session_id,
            config=self.state.config.query,
            history=self._history(),
        )
        try:
            child = await workflow.start_child_workflow(
                QUERY_WORKFLOW,
                request,
                id=query_id,
                result_type=QueryResult,
                static_summary=query_summary(request.query),
                static_details=start_details(request.query, request.documents),
            )
            self.started.add(query_id)
            result: QueryResult = await child
            updated = turn.model_copy(
                update={
                    "answer_summary": result.answer[:ANSWER_SUMMARY_CHARS],
                    "confidence": result.confidence_score,
                    "status": "completed"
                    if result.status.value == "completed"
                    else result.status.value,
                }
            )
        except ChildWorkflowError as error:
            cause = error.cause
            message = cause.message if isinstance(cause, ApplicationError) else str(error)
            updated = turn.model_copy(update={"answer_summary": message, "status": "failed"})
        self.state.turns = [
            updated if t.query_workflow_id == query_id else t for t in self.state.turns
        ]
        self.busy = False

    def _history_is_large(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self.state.config.continue_as_new_after_events
        )

    def _carried_state(self) -> SessionState:
        keep = self.state.config.max_turns_kept
        return self.state.model_copy(
            update={"turns": self.state.turns[-keep:], "runs": self.state.runs + 1}
        )
