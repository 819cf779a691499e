"""The embedded backend (the default): SQLite FTS5 and files under one data directory, for one
machine. Layout: ``store/`` (documents, chunks, search index, content bytes),
``state/global.sqlite`` (tool figures), ``llm_usage.sqlite`` (LLM ledger)."""

from __future__ import annotations

from pathlib import Path

from store.base import Store
from store.embedded.documents import EmbeddedDocuments
from store.embedded.figures import EmbeddedFigures
from store.embedded.ledger import EmbeddedLedger
from store.errors import StoreUnavailable
from store.policy import RESERVATION_HOLD_SECONDS

SCHEME = "embedded"


def open_embedded(data_dir: Path, *, hold_seconds: float = RESERVATION_HOLD_SECONDS) -> Store:
    """The embedded store under ``data_dir`` (created when missing). Raises StoreUnavailable
    when it cannot be created or opened there."""
    root = Path(data_dir).expanduser().resolve()
    try:
        return Store(
            url=f"{SCHEME}:{root}",
            backend=SCHEME,
            documents=EmbeddedDocuments(root / "store"),
            figures=EmbeddedFigures(root / "state" / "global.sqlite"),
            ledger=EmbeddedLedger(root / "llm_usage.sqlite", hold_seconds=hold_seconds),
        )
    except OSError as error:
        raise StoreUnavailable(f"{SCHEME}:{root}: cannot open the store there ({error})") from error
