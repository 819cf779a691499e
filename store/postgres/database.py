"""One PostgreSQL database of the store: a connection pool, the schema brought up to date on
first use, and failures told with the URL (password hidden).

Connections are in autocommit mode: a single statement is its own transaction, and a caller
that needs several in one says so with ``transaction()``. Rows come back as dicts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from store.errors import IncompatibleStore, StoreUnavailable, UnsupportedStoreUrl
from store.postgres.schema import LATEST, MIGRATIONS, SCHEMA
from store.urls import redacted

CONNECT_TIMEOUT_SECONDS = 10
"""How long opening a connection may take (unless the URL sets ``connect_timeout``)."""
POOL_SIZE = 16
"""Connections one process keeps at most per store (each store call holds one briefly)."""
POOL_WAIT_SECONDS = 30.0
"""How long a call waits for a free connection before failing."""
MIGRATION_LOCK = 0x646F636F7263
"""The advisory lock that serialises schema migrations of processes opening a new store."""

Connection = psycopg.Connection[DictRow]


def _message(error: BaseException, url: str) -> str:
    """The driver's message, on one line, with the URL's password (if any) removed."""
    text = " ".join(str(error).split())
    password = conninfo_to_dict(url).get("password")
    return text.replace(str(password), "***") if password else text


class Database:
    """The store's database at ``url``: migrated on open, then reached through a pool. Raises
    StoreUnavailable when it cannot be reached, IncompatibleStore when a newer docorch wrote
    its schema."""

    def __init__(self, url: str) -> None:
        self.shown = redacted(url)
        try:
            options: dict[str, Any] = conninfo_to_dict(url)
        except psycopg.Error as error:
            raise UnsupportedStoreUrl(
                f"DOCORCH_STORE_URL={self.shown}: not a PostgreSQL URL ({_message(error, url)})"
            ) from None
        options.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
        settings: dict[str, Any] = {"autocommit": True, "row_factory": dict_row, **options}
        try:
            with psycopg.connect(**settings) as first:
                self.version = migrate(first, self.shown)
        except psycopg.Error as error:
            raise StoreUnavailable(
                f"{self.shown}: cannot open the PostgreSQL store ({_message(error, url)})"
            ) from None
        self.pool: ConnectionPool[Connection] = ConnectionPool(
            "",
            kwargs=settings,
            connection_class=psycopg.Connection[DictRow],
            min_size=1,
            max_size=POOL_SIZE,
            timeout=POOL_WAIT_SECONDS,
            name="docorch-store",
            open=True,
        )

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection (autocommit) for the ``with`` block."""
        with self.pool.connection() as db:
            yield db

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection inside one transaction: committed at the end of the block, rolled back
        when it raises."""
        with self.pool.connection() as db, db.transaction():
            yield db

    def size_bytes(self, *tables: str) -> int:
        """Bytes the tables take, indexes and TOAST included."""
        with self.connection() as db:
            row = db.execute(
                "SELECT sum(pg_total_relation_size(t::regclass))::bigint AS bytes "
                "FROM unnest(%s::text[]) AS t",
                ([f"{SCHEMA}.{t}" for t in tables],),
            ).fetchone()
        return int(row["bytes"] or 0) if row else 0

    def close(self) -> None:
        """Close the pool's connections."""
        self.pool.close()


def migrate(db: Connection, shown: str) -> int:
    """Bring the schema up to LATEST (one process at a time); the version found before.
    Raises IncompatibleStore when the schema is newer than this docorch knows."""
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        db.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.migrations (version integer PRIMARY KEY, "
            "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        row = db.execute(
            f"SELECT coalesce(max(version), 0) AS v FROM {SCHEMA}.migrations"
        ).fetchone()
        found = int(row["v"]) if row else 0
        if found > LATEST:
            raise IncompatibleStore(
                f"{shown}: schema version {found} was written by a newer docorch (this one "
                f"knows up to {LATEST}); upgrade docorch or use another store"
            )
        for migration in MIGRATIONS:
            if migration.version > found:
                db.execute(migration.sql)
                db.execute(
                    f"INSERT INTO {SCHEMA}.migrations (version, description) VALUES (%s, %s)",
                    (migration.version, migration.description),
                )
    return found
