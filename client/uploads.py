"""The claim check, client side: a caller's files go into the document store before a query
starts, and the query names them by reference (``content:<id>/<name>``), so no worker ever needs
the caller's filesystem. The store is content-addressed: the same bytes get the same id, and
bytes already stored are not sent again."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

from store import Store
from store.content import upload

LocalFile = str | os.PathLike[str]
"""A path on the caller's machine (not the worker's)."""


def upload_file(store: Store, path: LocalFile, *, max_bytes: int, name: str | None = None) -> str:
    """Put the file at ``path`` (read here, by the caller) into ``store`` and return its
    ``content:<id>/<name>`` reference (``name``: the file's own by default). Raises OSError
    when the file cannot be read and ``store.ContentTooLarge`` past ``max_bytes`` (before it
    is read whole)."""
    local = Path(path).expanduser()
    with local.open("rb") as stream:
        return upload(store.documents, stream, name or local.name, max_bytes=max_bytes)


def upload_bytes(store: Store, data: bytes, name: str, *, max_bytes: int) -> str:
    """Put ``data`` into ``store`` under the file name ``name`` (its extension decides the
    format) and return its ``content:<id>/<name>`` reference."""
    return upload(store.documents, io.BytesIO(data), name, max_bytes=max_bytes)


def upload_files(store: Store, paths: Sequence[LocalFile], *, max_bytes: int) -> list[str]:
    """``upload_file`` for each path, in order."""
    return [upload_file(store, path, max_bytes=max_bytes) for path in paths]
