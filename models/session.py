"""Sessions: a conversation over a set of active documents, kept by a SessionWorkflow."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.config import QueryConfig
from models.limits import (
    MAX_HISTORY_EVENTS,
    MAX_IDLE_SECONDS,
    MAX_WORKFLOW_ID_CHARS,
    MIN_TIMER_SECONDS,
    DocumentNameList,
    DocumentNames,
    Question,
    WorkflowIdText,
)


class Turn(BaseModel):
    """One question of a session and how it was answered (a summary, not the whole answer)."""

    model_config = ConfigDict(frozen=True)

    question: str
    answer_summary: str = Field(default="", description="The first few hundred characters.")
    query_workflow_id: str

    @model_validator(mode="before")
    @classmethod
    def _bare_id(cls, data: Any) -> Any:
        # earlier clients (and the histories of sessions they used) send the id alone
        return {"query_workflow_id": data} if isinstance(data, str) else data

    confidence: float = 0.0
    status: str = "pending"
    documents: tuple[str, ...] = ()


class SessionConfig(BaseModel):
    """A session's settings, each bounded to what the workflow can hold (``models.limits``)."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    idle_timeout_seconds: float = Field(
        default=3600.0,
        ge=MIN_TIMER_SECONDS,
        le=MAX_IDLE_SECONDS,
        description="Close after this long idle (at most a year).",
    )
    history_turns: int = Field(default=5, ge=0, le=50, description="Recent turns a query receives.")
    max_turns_kept: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="Turns carried across continue-as-new (fewer when they would not fit the "
        "session's 512 KiB).",
    )
    continue_as_new_after_events: int = Field(
        default=2000,
        ge=20,
        le=MAX_HISTORY_EVENTS,
        description="Continue-as-new once the history has this many events.",
    )
    query: QueryConfig = Field(default_factory=QueryConfig)


class SessionState(BaseModel):
    """Everything a session carries, also across continue-as-new. What a client sets (the id,
    the documents, the settings) is bounded (``models.limits``); the turns are the session's
    own, kept within MAX_SESSION_STATE_BYTES by the workflow."""

    session_id: WorkflowIdText
    documents: DocumentNameList = Field(default_factory=list)
    turns: list[Turn] = Field(default_factory=list)
    config: SessionConfig = Field(default_factory=SessionConfig)
    turns_total: int = Field(default=0, description="Turns ever asked, including trimmed ones.")
    closed: bool = False
    runs: int = Field(
        default=1, description="How many runs (continue-as-new) this session has had."
    )


class AskRequest(BaseModel):
    """A question for a session (the ``ask`` update)."""

    model_config = ConfigDict(frozen=True)

    question: Question
    documents: DocumentNames = Field(
        default=(),
        description="Extra documents for this question only (the active ones apply too).",
    )


class TurnRef(BaseModel):
    """A turn of a session, by the QueryWorkflow that answers it."""

    model_config = ConfigDict(frozen=True)

    query_workflow_id: str = Field(min_length=1, max_length=MAX_WORKFLOW_ID_CHARS)

    @model_validator(mode="before")
    @classmethod
    def _bare_id(cls, data: Any) -> Any:
        # earlier clients (and the histories of sessions they used) send the id alone
        return {"query_workflow_id": data} if isinstance(data, str) else data


class DocumentsChange(BaseModel):
    """Documents to make active in a session, or to set aside."""

    model_config = ConfigDict(frozen=True)

    documents: DocumentNames

    @model_validator(mode="before")
    @classmethod
    def _bare_list(cls, data: Any) -> Any:
        # earlier clients (and the histories of sessions they used) send the list alone
        return {"documents": data} if isinstance(data, list | tuple) else data


class ActiveDocuments(BaseModel):
    """The documents a session's next questions are asked over (bounded as a request's)."""

    documents: DocumentNameList = Field(default_factory=list)


class TurnList(BaseModel):
    """A session's turns, oldest first."""

    turns: list[Turn] = Field(default_factory=list)
