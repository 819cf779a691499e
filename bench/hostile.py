"""Hostile documents: what parsing in child processes costs, and what each bomb costs now.

Overhead: small documents (a Markdown note, a one-page DOCX and PDF) parsed in this process
and in a warm parse child, alternately, round after round; the overhead is the median of the
per-round differences. A cold start is the time from a new pool to its first result (the child
starts and imports the parser libraries); the worker hides it by keeping a successor warming
after a kill, and reuses children across documents and workers.

Bombs: each hostile file (built on the fly, see ``tests/hostile_documents.py``) parsed through
a pool with the default limits, then the two decompression bombs again with the inflation
checks switched off, so only the child's memory cap (DOCORCH_PARSE_MEMORY_MB) stands in the
way. The child's peak RSS is sampled from /proc while it parses; this process's RSS is read
before and after.

    python -m bench --only hostile [--quick]
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from activities.documents.isolation import ParsePool
from activities.documents.limits import ParseLimits
from activities.documents.parsers import parse_document
from activities.errors import BadInput
from bench.results import md_table
from tests.activities.factories import docx_bytes, pdf_bytes
from tests.hostile_documents import (
    docx_bomb,
    docx_huge_text_node,
    markdown_redos,
    nested_html,
    pdf_bomb,
)

NAME = "hostile"
TITLE = "Hostile documents: parse isolation and bombs"
ROUNDS = 200
QUICK_ROUNDS = 20
MEMORY_MB = 1024
UNCHECKED = ParseLimits(max_inflated_bytes=1 << 40, max_compression_ratio=1e12)
GOAL_OVERHEAD_MS = 5.0
GOAL_WORKER_GROWTH_MB = 100.0

SMALL: dict[str, Callable[[], bytes]] = {
    "note.md": lambda: b"# Note\n\nThe budget was approved on 2 October.\n" * 20,
    "memo.docx": lambda: docx_bytes([("h1", "Memo"), ("p", "The budget was approved. " * 40)]),
    "letter.pdf": lambda: pdf_bytes([[("Letter", "The budget was approved. " * 40)]]),
}


def _rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _overhead(rounds: int) -> tuple[list[dict[str, Any]], float]:
    """Per-document rows, and the cold start of a new pool (seconds)."""
    pool = ParsePool(processes=1, memory_mb=MEMORY_MB)
    limits = ParseLimits()
    rows = []
    try:
        started = time.perf_counter()
        await pool.parse(Path("note.md"), SMALL["note.md"](), password=None, limits=limits)
        cold = time.perf_counter() - started
        for name, make in SMALL.items():
            path, data = Path(name), make()
            parse_document(path, data, limits=limits)  # lazy imports are not parse time
            await pool.parse(path, data, password=None, limits=limits)
            in_process, isolated = [], []
            for _ in range(rounds):
                started = time.perf_counter()
                parse_document(path, data, limits=limits)
                in_process.append(time.perf_counter() - started)
                started = time.perf_counter()
                await pool.parse(path, data, password=None, limits=limits)
                isolated.append(time.perf_counter() - started)
            paired = [b - a for a, b in zip(in_process, isolated, strict=True)]
            rows.append(
                {
                    "document": name,
                    "bytes": len(data),
                    "in_process_ms": round(statistics.median(in_process) * 1000, 2),
                    "isolated_ms": round(statistics.median(isolated) * 1000, 2),
                    "overhead_ms": round(statistics.median(paired) * 1000, 2),
                }
            )
    finally:
        await pool.close()
    return rows, round(cold, 2)


async def _peak_while(pool: ParsePool, task: asyncio.Task[Any]) -> float:
    """The busy child's peak RSS (VmHWM), sampled until ``task`` is done."""
    peak = 0.0
    while not task.done():
        for pid in pool.busy():
            with contextlib.suppress(OSError):
                peak = max(peak, _rss_mb(pid, "VmHWM"))
        await asyncio.wait([task], timeout=0.05)
    return peak


async def _bomb(
    pool: ParsePool, label: str, name: str, data: bytes, limits: ParseLimits
) -> dict[str, Any]:
    started = time.perf_counter()
    task = asyncio.ensure_future(pool.parse(Path(name), data, password=None, limits=limits))
    peak = await _peak_while(pool, task)
    try:
        parsed = task.result()
        outcome = f"parsed ({len(parsed.warnings)} warning(s))"
    except BadInput as error:
        outcome = error.error_type
    return {
        "case": label,
        "file_kb": round(len(data) / 1024),
        "outcome": outcome,
        "seconds": round(time.perf_counter() - started, 2),
        "child_peak_mb": round(peak),
    }


async def _bombs(quick: bool) -> tuple[list[dict[str, Any]], float]:
    cases: list[tuple[str, str, Callable[[], bytes], ParseLimits]] = [
        ("HTML nested 100,000 deep", "deep.html", lambda: nested_html(100_000), ParseLimits()),
        ("Markdown, 200,000-space run", "notes.md", lambda: markdown_redos(200_000), ParseLimits()),
        (
            "DOCX, one 11 MB text run",
            "run.docx",
            lambda: docx_huge_text_node(11_000_000),
            ParseLimits(),
        ),
        ("DOCX zip bomb (400 MB XML)", "bomb.docx", lambda: docx_bomb(3_000_000), ParseLimits()),
        ("PDF, 2 GB Flate stream", "bomb.pdf", lambda: pdf_bomb(2 << 30), ParseLimits()),
        ("DOCX zip bomb, checks off", "bomb.docx", lambda: docx_bomb(3_000_000), UNCHECKED),
        ("PDF 2 GB stream, checks off", "bomb.pdf", lambda: pdf_bomb(2 << 30), UNCHECKED),
    ]
    if quick:  # the fast ones: what a quick run can afford
        cases = [cases[1], cases[3], cases[4]]
    pool = ParsePool(processes=1, memory_mb=MEMORY_MB)
    before = _rss_mb()
    rows = []
    try:
        for label, name, make, limits in cases:
            rows.append(await _bomb(pool, label, name, make(), limits))
    finally:
        await pool.close()
    return rows, round(_rss_mb() - before, 1)


async def run(quick: bool) -> dict[str, Any]:
    overhead, cold = await _overhead(QUICK_ROUNDS if quick else ROUNDS)
    bombs, growth = await _bombs(quick)
    worst = max(r["overhead_ms"] for r in overhead)
    return {
        "rounds": QUICK_ROUNDS if quick else ROUNDS,
        "memory_mb": MEMORY_MB,
        "overhead": overhead,
        "cold_start_s": cold,
        "bombs": bombs,
        "bench_process_growth_mb": growth,
        "goals": [
            {
                "goal": f"isolation overhead per small document < {GOAL_OVERHEAD_MS:g} ms",
                "measured": f"{worst} ms (worst median)",
                "met": worst < GOAL_OVERHEAD_MS,
            },
            {
                "goal": "every bomb ends in a typed error or a parse, child under the memory cap",
                "measured": f"child peak {max(r['child_peak_mb'] for r in bombs)} MB "
                f"(cap {MEMORY_MB} MB); " + ", ".join(sorted({r["outcome"] for r in bombs})),
                "met": all(r["child_peak_mb"] <= MEMORY_MB for r in bombs),
            },
            {
                "goal": f"the parent grows < {GOAL_WORKER_GROWTH_MB:g} MB over all bombs",
                "measured": f"{growth} MB",
                "met": growth < GOAL_WORKER_GROWTH_MB,
            },
        ],
    }


def table(results: dict[str, Any]) -> str:
    overhead = md_table(
        ["document", "bytes", "in process ms", "in a warm child ms", "overhead ms"],
        [
            [r["document"], r["bytes"], r["in_process_ms"], r["isolated_ms"], r["overhead_ms"]]
            for r in results["overhead"]
        ],
    )
    bombs = md_table(
        ["case", "file KB", "outcome", "seconds", "child peak RSS MB"],
        [
            [r["case"], r["file_kb"], r["outcome"], r["seconds"], r["child_peak_mb"] or "-"]
            for r in results["bombs"]
        ],
    )
    return (
        f"Per-document cost of parsing in a child ({results['rounds']} alternating rounds, "
        "medians; *overhead* = median of per-round differences). A new pool's first result "
        f"took {results['cold_start_s']} s (the child starts and imports the parsers).\n\n"
        + overhead
        + f"\n\nBombs through a parse pool (memory cap {results['memory_mb']} MB; before this "
        "change they ran in a worker thread: 100,000-deep HTML took ~20 min, the DOCX and PDF "
        "bombs took the worker to 2 GB). The benchmark process grew "
        f"{results['bench_process_growth_mb']} MB over all of them; *-*: done before the first "
        "50 ms sample of the child's memory.\n\n" + bombs + "\n"
    )
