"""The PostgreSQL backend: the whole store in one database (schema ``docorch``), for workers
and an API on any number of machines sharing no filesystem.

    DOCORCH_STORE_URL=postgresql://docorch:PASSWORD@db.example:5432/docorch

The schema is created, and migrated, by the first docorch that opens the database (``schema``);
each process keeps a pool of connections (``database.POOL_SIZE``).
"""

from __future__ import annotations

from store.base import Store
from store.policy import RESERVATION_HOLD_SECONDS
from store.postgres.database import Database
from store.postgres.documents import PostgresDocuments
from store.postgres.figures import PostgresFigures
from store.postgres.ledger import PostgresLedger

SCHEME = "postgresql"


def open_postgres(url: str, *, hold_seconds: float = RESERVATION_HOLD_SECONDS) -> Store:
    """The store in the PostgreSQL database at ``url`` (its schema created or migrated). Raises
    StoreUnavailable when the database cannot be reached and IncompatibleStore when a newer
    docorch wrote its schema; both name the URL with its password hidden."""
    db = Database(url)
    return Store(
        url=db.shown,
        backend=SCHEME,
        documents=PostgresDocuments(db),
        figures=PostgresFigures(db),
        ledger=PostgresLedger(db, hold_seconds=hold_seconds),
        release=db.close,
    )
