"""Store backends for the contract tests: each is a URL a child process can open too, and a
way to open it with the options the tests vary. A new backend (issue 12: PostgreSQL) adds one
entry to BACKENDS and a fixture that provides its server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from store import Store
from store.embedded import open_embedded
from store.policy import RESERVATION_HOLD_SECONDS


@dataclass(frozen=True)
class Backend:
    """One store location for one test: ``url`` for ``open_store`` in other processes,
    ``open`` for this one (``hold_seconds``: how long an LLM reservation counts)."""

    name: str
    url: str
    opener: Callable[[float], Store]

    def open(self, *, hold_seconds: float = RESERVATION_HOLD_SECONDS) -> Store:
        return self.opener(hold_seconds)


def _embedded(root: Path) -> Backend:
    return Backend(
        "embedded",
        f"embedded:{root}",
        lambda hold: open_embedded(root, hold_seconds=hold),
    )


BACKENDS: dict[str, Callable[[Path], Backend]] = {"embedded": _embedded}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """A fresh, empty store of each backend."""
    return BACKENDS[request.param](tmp_path / "store")


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def module_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Backend:
    """One store of each backend shared by a module's tests (for a corpus built once)."""
    return BACKENDS[request.param](tmp_path_factory.mktemp("store"))
