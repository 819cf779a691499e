"""How the store fails, in terms a caller can act on. Messages name the store's URL with any
password hidden (``store.urls.redacted``)."""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot do what was asked."""


class UnsupportedStoreUrl(StoreError):
    """DOCORCH_STORE_URL names a backend this docorch does not have."""


class StoreUnavailable(StoreError):
    """The store could not be opened or reached (a missing directory, an unreachable server)."""


class IncompatibleStore(StoreError):
    """The store was created by a newer docorch (its schema version is unknown here)."""


class ContentTooLarge(StoreError):
    """Bytes put through ``put_content_stream`` passed the size limit; nothing was kept and the
    rest of the stream was not read."""

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class BudgetRefused(Exception):
    """The query's LLM budget cannot cover the call: nothing was reserved. Not a store failure:
    the ledger's answer."""
