"""docorch's store: everything a worker or the API keeps beyond a scratch directory, behind one
interface with backends chosen by one setting, DOCORCH_STORE_URL.

    from store import open_store
    store = open_store(settings)          # embedded (SQLite FTS5 + files) or postgresql://…
    ref = store.documents.put_content(data)   # or put_content_stream(chunks, max_bytes=...)
    hits = store.documents.search("termination notice", [doc_id], top_k=5)

The contract is ``store.base`` (``DocumentStore``, ``ToolFigures``, ``UsageLedger``); the shared
meaning of a search is ``store.search``. This package imports only ``models``, the standard
library and database drivers.
"""

from store.base import (
    ContentRef,
    DocumentPut,
    DocumentRecord,
    DocumentStore,
    FigureTotals,
    LedgerCall,
    Reservation,
    Spending,
    Store,
    ToolFigures,
    UsageLedger,
    content_id,
)
from store.errors import (
    BudgetRefused,
    ContentTooLarge,
    IncompatibleStore,
    StoreError,
    StoreUnavailable,
    UnsupportedStoreUrl,
)
from store.factory import open_store
from store.urls import redacted

__all__ = [
    "BudgetRefused",
    "ContentRef",
    "ContentTooLarge",
    "DocumentPut",
    "DocumentRecord",
    "DocumentStore",
    "FigureTotals",
    "IncompatibleStore",
    "LedgerCall",
    "Reservation",
    "Spending",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "ToolFigures",
    "UnsupportedStoreUrl",
    "UsageLedger",
    "content_id",
    "open_store",
    "redacted",
]
