"""The embedded store's files are its owner's alone: created 0600 (whatever the umask), since
they hold the documents' bytes and text."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (SQLite then gives its -wal and
    -shm files the same mode)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def open_private(path: Path) -> BinaryIO:
    """A new file ``path`` with mode 0600, open for binary writing (FileExistsError if it
    exists)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb")


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file ``path`` with mode 0600 (FileExistsError if it exists)."""
    with open_private(path) as out:
        out.write(data)
