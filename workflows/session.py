"""SessionWorkflow: one entity workflow per session id.

It keeps the active documents, the conversation and the settings. ``ask`` (an update) queues a
question and returns the id of the child QueryWorkflow that will answer it, at once; questions
run one after another, in the order they were asked, each receiving the recent turns so that
follow-ups resolve against earlier answers. The session continues-as-new before its history
grows large and closes itself after an idle period.

Nothing a client sends can fail a workflow task: the state is validated when the workflow
decodes it (a bad one fails the workflow at once), and every update is checked by its validator
(a rejection never reaches the history). The state stays within MAX_SESSION_STATE_BYTES: asks
that would pass it are refused while the queue drains, and continue-as-new carries the recent
turns that fit half of it.
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from pydantic import ValidationError
from temporalio import workflow
from temporalio.exceptions import ApplicationError, ChildWorkflowError

from models.config import PriorTurn
from models.limits import MAX_SESSION_STATE_BYTES, error_summary, json_bytes
from models.names import QUERY_WORKFLOW, SESSION_WORKFLOW
from models.query import QUERY_PROTOCOL, QueryRequest, QueryResult
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
HISTORY_BYTES = 64 * 1024
"""Prior turns a query receives, as JSON (the most recent that fit); with the question and the
documents a session's request stays within MAX_REQUEST_BYTES."""
CARRIED_BYTES = MAX_SESSION_STATE_BYTES // 2
"""State past this continues as new, carrying the recent turns that fit it."""
SIZE_PATCH = "session-state-size"


@workflow.defn(name=SESSION_WORKFLOW)
class SessionWorkflow:
    @workflow.init
    def __init__(self, state: SessionState) -> None:
        # state is set here, not in run(), so updates delivered with the first task see it
        self.state = state
        self.queue: deque[str] = deque()  # ids of the turns waiting for their answer
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
                await self._answer(self.queue.popleft())
            if self._history_is_large() or self._state_is_large():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self.queue:
                    workflow.continue_as_new(self._carried_state())
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    # ---- updates and queries ---------------------------------------------------------------

    @workflow.update
    def ask(self, request: AskRequest) -> TurnRef:
        """Queue a question; returns the QueryWorkflow that will answer it."""
        turn = self._turn(request)
        self.state.turns_total += 1
        self.state.turns.append(turn)
        self.queue.append(turn.query_workflow_id)
        return TurnRef(query_workflow_id=turn.query_workflow_id)

    @ask.validator
    def _validate_ask(self, request: AskRequest) -> None:
        self._refuse_when_closed()
        if not self.state.documents and not request.documents:
            raise ApplicationError(
                "the session has no documents: add some, or name them in the question",
                type="NoDocuments",
            )
        turn = self._turn(request)
        try:  # the request its QueryWorkflow will get, so that _answer cannot fail on it
            self._request(turn, history=())
        except ValidationError as error:
            raise ApplicationError(
                f"the question cannot be asked: {error_summary(error.errors())}",
                type="InvalidRequest",
            ) from None
        if json_bytes(self.state) + json_bytes(turn) > MAX_SESSION_STATE_BYTES:
            raise ApplicationError(
                "the session holds too many questions waiting for their answers: ask again "
                "once the queued ones are answered",
                type="SessionBusy",
            )

    def _turn(self, request: AskRequest) -> Turn:
        """The turn ``request`` becomes: the next number, over every active document too."""
        query_id = f"{workflow.info().workflow_id}-turn-{self.state.turns_total + 1}"
        documents = tuple(dict.fromkeys([*self.state.documents, *request.documents]))
        return Turn(question=request.question, query_workflow_id=query_id, documents=documents)

    @workflow.update
    def add_documents(self, change: DocumentsChange) -> ActiveDocuments:
        """Make documents active for the following questions; returns the active list."""
        self.state.documents = self._with(change)
        return ActiveDocuments(documents=self.state.documents)

    @add_documents.validator
    def _validate_add(self, change: DocumentsChange) -> None:
        self._refuse_when_closed()
        try:
            ActiveDocuments(documents=self._with(change))
        except ValidationError as error:
            raise ApplicationError(
                f"the documents cannot be added: {error_summary(error.errors())}",
                type="InvalidRequest",
            ) from None

    def _with(self, change: DocumentsChange) -> list[str]:
        return list(dict.fromkeys([*self.state.documents, *change.documents]))

    @workflow.update
    def remove_documents(self, change: DocumentsChange) -> ActiveDocuments:
        """Set documents aside for the following questions; returns the active list."""
        gone = set(change.documents)
        self.state.documents = [d for d in self.state.documents if d not in gone]
        return ActiveDocuments(documents=self.state.documents)

    @remove_documents.validator
    def _validate_remove(self, change: DocumentsChange) -> None:
        self._refuse_when_closed()

    def _refuse_when_closed(self) -> None:
        if self.state.closed:
            raise ApplicationError("the session is closed", type="SessionClosed")

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
        self._check_turn(turn)  # (histories from before the validator refused it here)
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

    @wait_started.validator
    def _check_turn(self, turn: TurnRef) -> None:
        if not any(t.query_workflow_id == turn.query_workflow_id for t in self.state.turns):
            raise ApplicationError(
                f"no turn {turn.query_workflow_id!r} in this session", type="UnknownTurn"
            )

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
        """The recent answered turns that fit HISTORY_BYTES, oldest first; only the latest
        carries its documents (a follow-up such as "the other one" reads them)."""
        done = [t for t in self.state.turns if t.status == "completed"]
        recent = done[-self.state.config.history_turns :] if self.state.config.history_turns else []
        prior: list[PriorTurn] = []
        size = 0
        for turn in reversed(recent):
            documents = () if prior else turn.documents
            entry = PriorTurn(
                question=turn.question, answer_summary=turn.answer_summary, documents=documents
            )
            size += json_bytes(entry)
            if prior and size > HISTORY_BYTES:
                break
            prior.append(entry)
        return tuple(reversed(prior))

    def _request(self, turn: Turn, history: tuple[PriorTurn, ...]) -> QueryRequest:
        return QueryRequest(
            query=turn.question,
            documents=turn.documents,
            session_id=self.state.session_id,
            config=self.state.config.query,
            history=history,
            protocol=QUERY_PROTOCOL,
        )

    async def _answer(self, query_id: str) -> None:
        self.busy = True
        turn = next(t for t in self.state.turns if t.query_workflow_id == query_id)
        try:
            request = self._request(turn, self._history())
        except ValidationError as error:  # checked by the ask validator; never on good input
            why = f"the question cannot be asked: {error_summary(error.errors())}"
            failed = {"answer_summary": why[:ANSWER_SUMMARY_CHARS], "status": "failed"}
            self._settle(turn.model_copy(update=failed))
            return
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
            updated = turn.model_copy(
                update={"answer_summary": message[:ANSWER_SUMMARY_CHARS], "status": "failed"}
            )
        self._settle(updated)

    def _settle(self, turn: Turn) -> None:
        """Record how ``turn`` ended; the session is free for the next question."""
        self.state.turns = [
            turn if t.query_workflow_id == turn.query_workflow_id else t for t in self.state.turns
        ]
        self.busy = False

    def _history_is_large(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self.state.config.continue_as_new_after_events
        )

    def _state_is_large(self) -> bool:
        return json_bytes(self.state) > CARRIED_BYTES and workflow.patched(SIZE_PATCH)

    def _carried_state(self) -> SessionState:
        """The state the next run starts from: the recent turns (at most ``max_turns_kept``)
        that fit CARRIED_BYTES with the rest of the state, and always the latest."""
        budget = CARRIED_BYTES - json_bytes(self.state.model_copy(update={"turns": []}))
        kept: list[Turn] = []
        for turn in reversed(self.state.turns[-self.state.config.max_turns_kept :]):
            budget -= json_bytes(turn)
            if kept and budget < 0:
                break
            kept.append(turn)
        return self.state.model_copy(update={"turns": kept[::-1], "runs": self.state.runs + 1})
