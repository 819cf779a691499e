"""Content bytes on their way into a store: read from a stream once, hashed and counted as they
come, refused as soon as they pass the size limit (before the rest is read), and handed to the
backend in bounded parts. Every backend's ``put_content_stream`` goes through ``spool``;
clients go through ``upload``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from models.documents import content_reference
from store.base import ID_LENGTH, DocumentStore
from store.errors import ContentTooLarge

PART_BYTES = 1024 * 1024
"""Bytes are written to and read from a backend in parts of at most this size."""


@dataclass(frozen=True)
class Spooled:
    """What ``spool`` wrote: the bytes' content id and size."""

    id: str
    size_bytes: int


def spool(chunks: Iterable[bytes], into: BinaryIO, *, max_bytes: int) -> Spooled:
    """Write ``chunks`` to ``into`` (in order) while hashing and counting them. Raises
    ContentTooLarge as soon as more than ``max_bytes`` have been read: the rest of the stream is
    not read, and ``into`` holds a truncated copy the caller discards."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise ContentTooLarge(
                f"upload over the limit of {max_bytes / 1e6:.1f} MB "
                "(DOCORCH_MAX_DOCUMENT_BYTES): refused before it was read whole",
                limit=max_bytes,
            )
        digest.update(chunk)
        into.write(chunk)
    into.flush()
    return Spooled(id=digest.hexdigest()[:ID_LENGTH], size_bytes=size)


def parts(source: BinaryIO, *, size: int = PART_BYTES) -> Iterator[bytes]:
    """``source`` from its start, in parts of at most ``size`` bytes."""
    source.seek(0)
    while part := source.read(size):
        yield part


def read_in_parts(stream: BinaryIO, *, size: int = PART_BYTES) -> Iterator[bytes]:
    """A binary stream (an open file, an upload) as chunks for ``put_content_stream``, read
    from where it stands."""
    while part := stream.read(size):
        yield part


def upload(documents: DocumentStore, stream: BinaryIO, name: str, *, max_bytes: int) -> str:
    """Put the bytes of ``stream`` (an open file, an upload) into ``documents`` and return the
    reference a query names them by, ``content:<id>/<name>`` (``name``: the file they came
    from; its extension decides the format). Bytes already stored are not sent again. Raises
    ContentTooLarge past ``max_bytes``, before the stream is read whole. What a client (SDK,
    CLI, HTTP API) does with each document before starting a query."""
    ref = documents.put_content_stream(read_in_parts(stream), max_bytes=max_bytes)
    return content_reference(ref.id, name)
