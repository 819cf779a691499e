"""One SQLite database file of the embedded store: per-thread connections, short explicit
transactions, and a schema version kept in ``PRAGMA user_version``.

Connections are kept per thread and never closed by a call: opening one per call (and the WAL
checkpoint when the last one closes) cost more than a search or a recorded tool call. Writers
take the write lock when their transaction begins (``BEGIN IMMEDIATE``), so a transaction that
reads before it writes never finds its snapshot stale under another process's write.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from store.embedded.files import create_private
from store.errors import IncompatibleStore, StoreUnavailable

BUSY_TIMEOUT_SECONDS = 30.0
WAL_RETRY_SECONDS = 0.01


class Database:
    """A SQLite file with ``schema`` (idempotent ``CREATE ... IF NOT EXISTS`` statements) at
    ``version``. Safe across threads and processes. ``upgrades[n]`` takes a file written at
    version n - 1 to version n; it runs, in order, before ``schema`` (a new file only gets the
    schema)."""

    def __init__(
        self, path: Path, schema: str, *, version: int, upgrades: Mapping[int, str] | None = None
    ) -> None:
        self.path = path
        self._local = threading.local()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            create_private(path)
            db = self._connection()
            _use_wal(db)
            found = int(db.execute("PRAGMA user_version").fetchone()[0])
            if found > version:
                raise IncompatibleStore(
                    f"{path}: schema version {found} was written by a newer docorch "
                    f"(this one knows up to {version}); upgrade docorch or use another store"
                )
            if 0 < found < version:
                upgrade(db, found, version, upgrades or {})
            db.executescript(schema)
            if found < version:
                db.execute(f"PRAGMA user_version={int(version)}")
        except sqlite3.Error as error:
            raise StoreUnavailable(f"{path}: cannot open the store database ({error})") from error

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        db.execute(begin)
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every statement in it sees the same snapshot."""
        with self._transaction("BEGIN") as db:
            yield db

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the database's write lock from its first statement."""
        with self._transaction("BEGIN IMMEDIATE") as db:
            yield db

    def size_bytes(self) -> int:
        """The database file's size (its write-ahead log not counted)."""
        return self.path.stat().st_size if self.path.exists() else 0


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the file to write-ahead logging. Processes opening a new file at once can each
    hold a shared lock while asking for the exclusive one the switch needs; SQLite then fails
    one of them at once with "database is locked" instead of calling its busy handler (waiting
    could not end the deadlock), so the switch is retried here, within the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_SECONDS)


def upgrade(db: sqlite3.Connection, found: int, version: int, upgrades: Mapping[int, str]) -> None:
    """Run the upgrades from version ``found`` to ``version`` in one transaction, the write
    lock held, unless another process did it meanwhile."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if int(db.execute("PRAGMA user_version").fetchone()[0]) == found:
            for step in range(found + 1, version + 1):
                for statement in upgrades.get(step, "").split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(f"PRAGMA user_version={int(version)}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
