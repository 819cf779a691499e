"""What the contract tests share: a document made of sections, actions released together in
threads or processes, and one sample contract."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from activities.documents.chunking import Chunk
from models.documents import Anchor, Table
from store import DocumentRecord

T = TypeVar("T")
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
PARALLEL = 8


def record(doc_id: str, name: str, sections: list[tuple[str, str]], **extra: Any) -> DocumentRecord:
    """A document of ``(heading, body)`` sections, one chunk each, anchored into its text."""
    text, chunks = "", []
    for seq, (heading, body) in enumerate(sections):
        start = len(text)
        text += f"{heading}\n\n{body}\n\n"
        chunks.append(
            Chunk(
                seq,
                f"{heading}\n\n{body}",
                Anchor(section=heading, char_start=start, char_end=len(text) - 2),
            )
        )
    return DocumentRecord(
        id=doc_id,
        name=name,
        format="md",
        text=text,
        size_bytes=len(text.encode()),
        chunks=chunks,
        **extra,
    )


def at_once(count: int, action: Callable[[], T]) -> list[T]:
    """``action`` run by ``count`` threads released together."""
    barrier = threading.Barrier(count)

    def run() -> T:
        barrier.wait()
        return action()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: run(), range(count)))


def in_processes(target: Callable[..., None], *args: Any, count: int = 2) -> list[Any]:
    """``target(*args, barrier, results)`` in ``count`` fresh processes released together; what
    each put on ``results``."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(count)
    results = context.Queue()
    children = [
        context.Process(target=target, args=(*args, barrier, results)) for _ in range(count)
    ]
    try:
        for child in children:
            child.start()
        for child in children:  # the results are small: a child exits as soon as it has put one
            child.join(timeout=120)
            assert child.exitcode == 0, f"a child process failed (exit code {child.exitcode})"
        outcomes = [results.get(timeout=10) for _ in children]
    finally:
        for child in children:
            if child.is_alive():
                child.kill()
    return outcomes


CONTRACT = record(
    "0123456789abcdef",
    "contract.md",
    [("1. Fees", "The monthly fee is EUR 12,000."), ("2. Term", "Either party may terminate.")],
    title="Contract",
    pages=None,
    source="/corpus/contract.md",
    tables=[Table(rows=[["fee", "EUR"], ["monthly", "12,000"]], caption="Fees", start=0, end=9)],
    warnings=["page 3: image without text"],
)
