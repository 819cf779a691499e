"""The embedded store's files (databases with their -wal and -shm, content bytes, parsed text)
are readable by their owner only, whatever the process's umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from activities.documents.chunking import Chunk
from models.documents import Anchor
from store import LedgerCall
from store.base import DocumentRecord
from store.embedded import open_embedded


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that lets everyone read new files (the default on many systems)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_every_file_the_store_writes_is_0600(tmp_path: Path, open_umask: None) -> None:
    store = open_embedded(tmp_path)
    store.documents.put_content(b"the bytes a client uploaded")
    text = "Notice\n\nNinety days."
    store.documents.put_document(
        DocumentRecord(
            id="d" * 64,
            name="notice.md",
            format="md",
            text=text,
            size_bytes=len(text),
            chunks=[Chunk(0, text, Anchor(section="Notice", char_start=0, char_end=len(text)))],
        )
    )
    store.figures.record_call("search_documents", ok=True, ms=1.0)
    call = LedgerCall(query="q", activity_id="a", attempt=1, purpose="p", model="m")
    store.ledger.reserve(call, prompt_tokens=10, max_tokens=10)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"index.sqlite", "index.sqlite-wal", "global.sqlite", "llm_usage.sqlite"} <= names
    assert f"{'d' * 64}.txt" in names and len([p for p in files if "content" in p.parts]) == 1
    modes = {str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode) for p in files}
    assert all(mode == 0o600 for mode in modes.values()), modes
