"""Store backends for the contract tests: each is a URL a child process can open too, and a
way to open it with the options the tests vary. Every test gets a fresh, empty store of each
backend: a new data directory (embedded) or a new database in the session's throwaway cluster
(PostgreSQL, ``postgres_cluster`` in tests/conftest.py). Stores a test opens are closed after
it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from store import Store
from store.embedded import open_embedded
from store.policy import RESERVATION_HOLD_SECONDS
from store.postgres import open_postgres
from tests.postgres import PostgresCluster


@dataclass
class Backend:
    """One store location for one test: ``url`` for ``open_store`` in other processes,
    ``open`` for this one (``hold_seconds``: how long an LLM reservation counts)."""

    name: str
    url: str
    opener: Callable[[float], Store]
    opened: list[Store] = field(default_factory=list)

    def open(self, *, hold_seconds: float = RESERVATION_HOLD_SECONDS) -> Store:
        store = self.opener(hold_seconds)
        self.opened.append(store)
        return store

    def close(self) -> None:
        for store in self.opened:
            store.close()


def _embedded(request: pytest.FixtureRequest, root: Path) -> Backend:
    return Backend(
        "embedded",
        f"embedded:{root}",
        lambda hold: open_embedded(root, hold_seconds=hold),
    )


def _postgresql(request: pytest.FixtureRequest, root: Path) -> Backend:
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database("store")
    return Backend("postgresql", url, lambda hold: open_postgres(url, hold_seconds=hold))


BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], Backend]] = {
    "embedded": _embedded,
    "postgresql": _postgresql,
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh, empty store of each backend."""
    made = BACKENDS[request.param](request, tmp_path / "store")
    yield made
    made.close()


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def module_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """One store of each backend shared by a module's tests (for a corpus built once)."""
    made = BACKENDS[request.param](request, tmp_path_factory.mktemp("store"))
    yield made
    made.close()
