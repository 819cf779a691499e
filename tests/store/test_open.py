"""Opening the store: DOCORCH_STORE_URL picks the backend and place, one store per location,
and a URL that cannot be used is refused with a message that hides its password."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from models.settings import Settings
from store import IncompatibleStore, StoreUnavailable, UnsupportedStoreUrl, open_store, redacted
from store.embedded import open_embedded
from store.embedded.database import Database
from store.embedded.documents import SCHEMA_VERSION, EmbeddedDocuments
from store.urls import parse_store_url
from tests.store.helpers import CONTRACT


def test_unset_url_is_the_embedded_store_under_the_data_dir(tmp_path: Path) -> None:
    opened = open_store(Settings(data_dir=tmp_path / "data"))
    assert opened.backend == "embedded"
    assert opened.url == f"embedded:{(tmp_path / 'data').resolve()}"
    assert (tmp_path / "data" / "store" / "index.sqlite").is_file()
    assert open_store(Settings(data_dir=tmp_path / "data")) is opened


def test_the_url_setting_overrides_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCORCH_STORE_URL", f"embedded:{tmp_path / 'elsewhere'}")
    settings = Settings(data_dir=tmp_path / "data")
    assert open_store(settings).url == f"embedded:{(tmp_path / 'elsewhere').resolve()}"
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("url", "target"),
    [
        (None, "/data"),
        ("", "/data"),
        ("embedded:", "/data"),
        ("embedded:/srv/docorch", "/srv/docorch"),
        ("embedded:///srv/docorch", "/srv/docorch"),
        ("EMBEDDED:relative/dir", "relative/dir"),
        ("/a/plain/path", "/a/plain/path"),
        ("C:/windows/drive", "C:/windows/drive"),
    ],
)
def test_url_forms(url: str | None, target: str) -> None:
    location = parse_store_url(url, data_dir=Path("/data"))
    assert (location.scheme, location.target) == ("embedded", target)


def test_an_unknown_backend_is_refused_naming_the_url_without_its_password() -> None:
    with pytest.raises(UnsupportedStoreUrl) as refused:
        open_store("mysql://docorch:s3cret@db.example:3306/docs")
    message = str(refused.value)
    assert "s3cret" not in message
    assert "mysql://docorch:***@db.example:3306/docs" in message and "embedded:" in message


def test_redacted_hides_only_the_password() -> None:
    assert redacted("postgresql://u:pw@h:5432/d?sslmode=require") == (
        "postgresql://u:***@h:5432/d?sslmode=require"
    )
    assert redacted("postgresql://h/d") == "postgresql://h/d"
    assert redacted("embedded:/srv/x") == "embedded:/srv/x"


def test_a_removed_directory_is_opened_afresh(tmp_path: Path) -> None:
    first = open_store(tmp_path / "gone")
    shutil.rmtree(tmp_path / "gone")
    again = open_store(tmp_path / "gone")
    assert again is not first and (tmp_path / "gone" / "store" / "index.sqlite").is_file()


def test_a_version_1_store_is_upgraded_and_keeps_its_documents(tmp_path: Path) -> None:
    open_embedded(tmp_path).documents.put_document(CONTRACT)
    with sqlite3.connect(tmp_path / "store" / "index.sqlite") as db:
        db.execute("DROP TABLE chunk_vectors")  # as docorch with schema version 1 left it
        db.execute("PRAGMA user_version=1")
    reopened = EmbeddedDocuments(tmp_path / "store")
    assert reopened.get(CONTRACT.id) is not None
    reopened.put_vectors(CONTRACT.id, "m", {1: b"\x02"})
    assert reopened.vectors([CONTRACT.id], "m") == {f"{CONTRACT.id}:1": b"\x02"}
    with sqlite3.connect(tmp_path / "store" / "index.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_a_store_written_by_a_newer_docorch_is_refused(tmp_path: Path) -> None:
    open_embedded(tmp_path)
    with sqlite3.connect(tmp_path / "store" / "index.sqlite") as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(IncompatibleStore, match="schema version 99"):
        open_embedded(tmp_path)


def test_figures_written_before_call_keys_are_upgraded_and_kept(tmp_path: Path) -> None:
    """A version-1 figures file (no call keys) gains the key column and keeps its calls."""
    path = tmp_path / "state" / "global.sqlite"
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE tool_calls (id INTEGER PRIMARY KEY, tool TEXT NOT NULL, "
            "ok INTEGER NOT NULL, ms REAL NOT NULL, at REAL NOT NULL);"
            "INSERT INTO tool_calls(tool, ok, ms, at) VALUES ('search_documents', 1, 2.0, 0);"
            "PRAGMA user_version=1;"
        )
    figures = open_embedded(tmp_path).figures
    figures.record_call("search_documents", ok=True, ms=4.0, key="q/run/search_1")
    figures.record_call("search_documents", ok=True, ms=4.0, key="q/run/search_1")
    assert [(s.tool, s.calls) for s in figures.tool_stats()] == [("search_documents", 2)]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)


def test_a_store_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StoreUnavailable, match="cannot open the store"):
        open_embedded(tmp_path / "file" / "data")


def _open_at_once(path: Path, count: int) -> list[Exception]:
    """What ``count`` threads, released together, raised opening ``path`` as a Database."""
    barrier = threading.Barrier(count)
    errors: list[Exception] = []

    def open_it() -> None:
        barrier.wait()
        try:
            Database(path, "CREATE TABLE IF NOT EXISTS t(x);", version=1)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_connections_opening_a_new_embedded_file_at_once_all_open(tmp_path: Path) -> None:
    """Eight connections switching a new file to WAL at once: SQLite fails one of two that both
    hold a shared lock and want the exclusive one at once, without waiting (about 1 open in 130
    before the retry; 200 rounds of 8 make a miss all but certain)."""
    for round_ in range(200):
        errors = _open_at_once(tmp_path / f"store-{round_}.db", 8)
        assert not errors, f"round {round_}: {errors[0]}"
