"""What the contract tests run in child processes (importable, for the ``spawn`` start method):
open the store by URL, wait for the others at a barrier, put, report."""

from __future__ import annotations

from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from store import DocumentRecord, open_store


def put_content(url: str, data: bytes, barrier: Barrier, results: Queue[Any]) -> None:
    documents = open_store(url).documents
    barrier.wait(timeout=60)
    ref = documents.put_content(data)
    results.put((ref.id, ref.created))


def put_document(url: str, record: DocumentRecord, barrier: Barrier, results: Queue[Any]) -> None:
    documents = open_store(url).documents
    barrier.wait(timeout=60)
    put = documents.put_document(record)
    results.put((put.document.id, put.created))
