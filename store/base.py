"""The store's contract: what a backend keeps, in records that name no database.

Everything a worker or the API keeps beyond a scratch directory lives behind three facets, each
a ``Protocol`` a backend implements:

* ``DocumentStore``: content bytes (content-addressed: same bytes, same id), documents with their
  parsed text, chunks and tables, full-text search over the chunks, and the chunks' embedding
  vectors when a semantic model computed them (kept as bytes: the store never reads them).
* ``ToolFigures``: per-tool call outcomes (success, duration) that the planner and the API read.
* ``UsageLedger``: per-query LLM token accounting and budgets, atomic across workers.

``Store`` bundles one backend's three facets; ``store.open_store`` builds it from
``DOCORCH_STORE_URL``. Every method is synchronous and safe to call from several threads and
processes at once (callers on an event loop use ``asyncio.to_thread``). Nothing here is
SQLite-specific: the same contract tests (tests/store/test_contract.py) run on every backend.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from models.documents import Anchor, DocumentRef, Passage, StoreStats, Table
from models.state import ToolStats

ID_LENGTH = 16
"""Content ids are this many hex digits of the bytes' SHA-256."""


def content_id(data: bytes) -> str:
    """The id of ``data`` in the store: same bytes, same id (a document's id is its bytes' id)."""
    return hashlib.sha256(data).hexdigest()[:ID_LENGTH]


# ---- records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContentRef:
    """Bytes in the store. ``created`` is False when the same bytes were already there (nothing
    was written)."""

    id: str
    size_bytes: int
    created: bool


class ChunkText(Protocol):
    """One indexed piece of a document's text (``activities.documents.chunking.Chunk`` is one)."""

    @property
    def seq(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def anchor(self) -> Anchor: ...


@dataclass(frozen=True)
class DocumentRecord:
    """A parsed document to store: ``text`` is what every anchor indexes into."""

    id: str
    name: str
    format: str
    text: str
    size_bytes: int
    source: str | None = None
    title: str | None = None
    pages: int | None = None
    chunks: Sequence[ChunkText] = ()
    tables: Sequence[Table] = ()
    warnings: Sequence[str] = ()


@dataclass(frozen=True)
class DocumentPut:
    """The stored document; ``created`` is False when its id was already stored (nothing was
    written: the first ingestion wins)."""

    document: DocumentRef
    created: bool


@dataclass(frozen=True)
class FigureTotals:
    """How much the tool figures hold: calls kept, the oldest one (epoch seconds), bytes."""

    calls: int
    oldest: float | None
    bytes: int


@dataclass(frozen=True)
class LedgerCall:
    """Whom an LLM call is for: the query (a workflow run), the activity attempt, why, which
    model."""

    query: str
    activity_id: str
    attempt: int
    purpose: str
    model: str


@dataclass(frozen=True)
class Reservation:
    """A granted call: its ledger entry and how many completion tokens it may use."""

    id: int
    max_tokens: int


@dataclass(frozen=True)
class Spending:
    """What a query has spent (settled calls) and holds (live reservations), and its budget
    (None: unlimited)."""

    tokens: int
    reserved: int
    calls: int
    cost_usd: float
    budget: int | None


# ---- the three facets ---------------------------------------------------------------------------


class DocumentStore(Protocol):
    """Content bytes, documents, chunks and full-text search."""

    def put_content(self, data: bytes) -> ContentRef:
        """Keep ``data`` under ``content_id(data)``; bytes already kept are not written again.
        Concurrent puts of the same bytes all succeed and exactly one reports ``created``."""
        ...

    def put_content_stream(self, chunks: Iterable[bytes], *, max_bytes: int) -> ContentRef:
        """Keep the bytes of ``chunks`` (an upload, read once and in order) as ``put_content``
        does. Raises ``store.errors.ContentTooLarge`` as soon as more than ``max_bytes`` were
        read (the rest is not read, nothing is kept). Bytes already kept are not sent to the
        backend again."""
        ...

    def read_content(self, content_id: str) -> bytes | None:
        """The bytes kept under ``content_id``, or None."""
        ...

    def content_size(self, content_id: str) -> int | None:
        """The size of the bytes kept under ``content_id`` (without reading them), or None."""
        ...

    def put_document(self, record: DocumentRecord) -> DocumentPut:
        """Store a document with its text, chunks (indexed for search) and tables, unless its id
        is stored already. Concurrent puts of the same id leave one copy."""
        ...

    def get(self, doc_id: str) -> DocumentRef | None:
        """The document with exactly this id, or None."""
        ...

    def find(self, id_or_name: str) -> DocumentRef | None:
        """A document by id, unique id prefix (>= 6 hex digits) or file name (the newest)."""
        ...

    def list_documents(self) -> list[DocumentRef]:
        """Every document, oldest first."""
        ...

    def text(self, doc_id: str) -> str | None:
        """The document's parsed text (what anchors index into), or None when not stored."""
        ...

    def warnings(self, doc_id: str) -> list[str]:
        """What the parser warned about (empty when none or not stored)."""
        ...

    def tables(self, doc_id: str) -> list[Table]:
        """The document's tables in document order (empty when none or not stored)."""
        ...

    def passages(self, doc_id: str, *, limit: int | None = None) -> list[Passage]:
        """The document's chunks in order (the first ``limit`` of them), with score 0."""
        ...

    def passage(self, passage_id: str) -> Passage | None:
        """One chunk by passage id ``<document id>:<seq>``, or None."""
        ...

    def search(
        self, query: str, doc_ids: Sequence[str], *, top_k: int = 5, broaden: int = 0
    ) -> list[Passage]:
        """Up to ``top_k`` passages of ``doc_ids`` ranked by relevance to ``query`` (best
        first, score > 0). ``broaden``: 0 the query's terms (``store.search.query_terms``),
        1 also their prefixes, >= 2 also the opening passage (score 0) of up to ``top_k``
        documents nothing matched in."""
        ...

    def put_vectors(self, doc_id: str, model: str, vectors: Mapping[int, bytes]) -> None:
        """Keep embedding ``vectors`` of ``doc_id``'s chunks (chunk seq -> the vector's bytes)
        computed by ``model``; a chunk's vector already kept for that model stays as it is
        (same text, same model, same vector). Chunks the document does not have are ignored."""
        ...

    def vectors(self, doc_ids: Sequence[str], model: str) -> dict[str, bytes]:
        """The vectors kept for ``model`` of the chunks of ``doc_ids``, by passage id."""
        ...

    def stats(self) -> StoreStats:
        """Documents, chunks and bytes held."""
        ...


class ToolFigures(Protocol):
    """What completed tool calls taught us: success rates and duration percentiles per tool."""

    def record_call(self, tool: str, *, ok: bool, ms: float, key: str | None = None) -> None:
        """Record one call; older calls beyond ``CALLS_KEPT_PER_TOOL`` per tool may be dropped.
        ``key`` (the call's idempotency key, ``activities.registry.figure_key``): a call
        recorded again under a key already kept is not recorded twice."""
        ...

    def tool_stats(self) -> list[ToolStats]:
        """Calls, success rate and p50/p95 duration of successful calls, per tool by name."""
        ...

    def totals(self) -> FigureTotals:
        """How much the figures hold."""
        ...


class UsageLedger(Protocol):
    """Per-query LLM usage and the ``max_llm_tokens`` budget.

    Why a ledger and not a counter in the workflow: a query's LLM calls happen in several
    activities (the planner, then tools running concurrently, each possibly retried), so the
    budget is checked where the calls are made. Per call: ``reserve`` (atomic: concurrent calls
    of one query, on any worker, cannot jointly overspend), then ``settle`` with what the
    endpoint reported, or ``release`` when the call failed. A retried attempt makes new calls,
    so retries count. The planning activity sets the budget; everything is keyed by the
    workflow run (``CallScope.query_key``), so a reused workflow id starts afresh. Overshoot is
    bounded by the error of the prompt estimate; a reservation of a crashed worker stops
    counting after the backend's hold time. The query summary's ``llm_usage`` sums what the
    successful activities report; the ledger also holds calls of attempts that later failed.
    """

    def set_budget(self, query: str, max_tokens: int) -> None:
        """The budget of ``query``; idempotent (planning may be retried). No budget: unlimited."""
        ...

    def spending(self, query: str) -> Spending:
        """What ``query`` has spent and reserved, and its budget."""
        ...

    def reserve(self, call: LedgerCall, *, prompt_tokens: int, max_tokens: int) -> Reservation:
        """Grant ``call`` about ``prompt_tokens`` plus up to ``max_tokens`` completion tokens
        (fewer when the budget is nearly spent; see ``granted_tokens``), or raise
        ``store.errors.BudgetRefused`` and record nothing."""
        ...

    def settle(
        self, reservation: Reservation, *, prompt_tokens: int, completion_tokens: int, cost: float
    ) -> None:
        """Replace the reservation by what the call used."""
        ...

    def release(self, reservation: Reservation) -> None:
        """The call failed before using tokens: free its reservation."""
        ...


def _nothing_to_release() -> None:
    return None


@dataclass(frozen=True)
class Store:
    """One backend's three facets; ``backend`` names it (its URL scheme) and ``url`` says where
    it lives (safe to show: no password). ``release`` is what ``close`` does."""

    url: str
    backend: str
    documents: DocumentStore
    figures: ToolFigures
    ledger: UsageLedger
    release: Callable[[], None] = field(default=_nothing_to_release, repr=False)

    def close(self) -> None:
        """Release the backend's connections (its pool, if any); the store is not used after.
        Stores from ``open_store`` live as long as their process and need no closing."""
        self.release()
