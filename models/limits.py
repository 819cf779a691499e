"""What a client may send: bounds that keep every timer within what ``timedelta`` and Temporal
accept, and every payload well under Temporal's limits (2 MiB per payload, 4 MiB per gRPC
message; docorch aims at 512 KiB, architecture decision 1).

The SDK checks requests, sessions and their updates against them before anything reaches
Temporal; the workflows check them again when they decode their input (a failure fails the
workflow at once, see ``client.plugin``) and in their update validators (a rejection never
reaches the history), so no client, with or without the SDK, can make a workflow task fail.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import ErrorDetails

MAX_QUESTION_CHARS = 4000
MAX_DOCUMENT_NAME_CHARS = 1024
MAX_DOCUMENTS = 1000
"""Documents one request (or a session's active set) may name."""
MAX_DOCUMENT_NAMES_BYTES = 64 * 1024
"""UTF-8 bytes of all the document names of one request (or of a session's active set):
1,000 ids fit; 1,000 long paths do not (name them by id, or ask over fewer)."""
MAX_REQUEST_BYTES = 256 * 1024
"""A QueryRequest as JSON, history and a given plan included."""
MAX_SESSION_STATE_BYTES = 512 * 1024
"""A session's state as JSON: carried across continue-as-new, returned by ``close``."""

MIN_TIMER_SECONDS = 0.001
"""Temporal's timers count milliseconds: a shorter one would be a timer of zero."""
MAX_DEADLINE_SECONDS = 7 * 24 * 3600.0
MAX_IDLE_SECONDS = 365 * 24 * 3600.0
MAX_LLM_TOKENS = 1_000_000_000
MAX_HISTORY_EVENTS = 10_000
"""Temporal refuses a history past 51,200 events and suggests continue-as-new at 4,096."""
MAX_WORKFLOW_ID_CHARS = 255


def _question(value: str) -> str:
    question = value.strip()
    if not question:
        raise ValueError("query is empty: ask a question about the documents")
    return question


def _document_name(value: str) -> str:
    name = value.strip()
    if not name:
        raise ValueError("a document name is empty: name a file path or a document id")
    return name


def names_bytes(names: Sequence[str]) -> int:
    """UTF-8 bytes of ``names`` together."""
    return sum(len(name.encode()) for name in names)


Names = TypeVar("Names", bound=Sequence[str])


def _within_bytes(names: Names) -> Names:
    size = names_bytes(names)
    if size > MAX_DOCUMENT_NAMES_BYTES:
        raise ValueError(
            f"the document names take {size:,} bytes, over the {MAX_DOCUMENT_NAMES_BYTES:,} "
            "a request may carry: name the documents by id (upload them, see /documents) or "
            "ask over fewer"
        )
    return names


Question = Annotated[
    str, Field(min_length=1, max_length=MAX_QUESTION_CHARS), AfterValidator(_question)
]
"""A question: not blank, trimmed, at most MAX_QUESTION_CHARS characters."""
DocumentName = Annotated[
    str,
    Field(min_length=1, max_length=MAX_DOCUMENT_NAME_CHARS),
    AfterValidator(_document_name),
]
"""A file path or a document id: not blank, trimmed, at most MAX_DOCUMENT_NAME_CHARS."""
DocumentNames = Annotated[
    tuple[DocumentName, ...], Field(max_length=MAX_DOCUMENTS), AfterValidator(_within_bytes)
]
"""At most MAX_DOCUMENTS names of at most MAX_DOCUMENT_NAMES_BYTES together."""
DocumentNameList = Annotated[
    list[DocumentName], Field(max_length=MAX_DOCUMENTS), AfterValidator(_within_bytes)
]
"""DocumentNames, as a list (for state a workflow changes)."""
WorkflowIdText = Annotated[str, Field(min_length=1, max_length=MAX_WORKFLOW_ID_CHARS)]


def json_bytes(model: BaseModel) -> int:
    """The size of ``model`` as JSON, as the pydantic converter puts it in a payload."""
    return len(model.__pydantic_serializer__.to_json(model))


def check_json_bytes(model: BaseModel, limit: int, what: str) -> None:
    """Raise ValueError (in a validator: a ValidationError) when ``model`` as JSON is over
    ``limit`` bytes."""
    size = json_bytes(model)
    if size > limit:
        raise ValueError(
            f"{what} takes {size:,} bytes as JSON, over the {limit:,} allowed: shorten it "
            "(fewer or shorter document names, a smaller plan)"
        )


def name_batches(names: Sequence[str]) -> Iterator[list[str]]:
    """``names`` in order, split into groups that each fit one request (count and bytes)."""
    batch: list[str] = []
    size = 0
    for name in names:
        length = len(name.encode())
        if batch and (len(batch) == MAX_DOCUMENTS or size + length > MAX_DOCUMENT_NAMES_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(name)
        size += length
    if batch:
        yield batch


def error_summary(errors: Sequence[ErrorDetails]) -> str:
    """pydantic's error list as one line: ``where: what; ...``."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in errors)
