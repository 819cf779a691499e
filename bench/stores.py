"""Store backends side by side: search latency on the embedded store (SQLite FTS5) and the
PostgreSQL store at 10k and 100k chunks, PostgreSQL ingestion with one and two processes, and
ingestion through docorch itself with one and two worker processes on the PostgreSQL store.

The corpus is ``bench.documents``' synthetic one (Zipf-distributed made-up words, 1,000 chunks
per document, a planted passage); queries are its random 2–3 word queries over every document
at once, top 5. PostgreSQL is a throwaway local cluster from the Debian package
(``tests/postgres.py``: durability off, as in the tests), reached over its unix socket, one
connection per searching thread; ingestion by processes runs each in its own interpreter with
its own pool, on different documents, released together. Through docorch: the client uploads
the documents (claim check) and starts one IngestWorkflow per document at once; worker processes
(``tests.worker_process``, each its own data directory, allowed roots an empty directory) parse
and index them into the same PostgreSQL database.

    python -m bench --only stores [--quick]     # quick: 10k chunks, 100 queries
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.documents import (
    PLANTED,
    PLANTED_QUERY,
    Corpus,
    ingest_corpus,
    random_queries,
    synthetic_corpus,
)
from bench.environment import environment
from bench.results import md_table
from bench.stats import percentile
from bench.workers import new_task_queue
from client.sdk import OrchestratorClient
from models.settings import Settings
from store import DocumentStore, Store
from store.embedded import open_embedded
from store.postgres import open_postgres
from tests.postgres import PostgresCluster, throwaway_cluster
from tests.worker_process import spawn

NAME = "stores"
TITLE = "Store backends: embedded vs PostgreSQL"

GOAL_P50_MS = 20.0
"""Issue 12: PostgreSQL search p50 at 100k chunks under this."""
INGEST_CHUNKS = 20_000


def _search(documents: DocumentStore, ids: list[str], corpus: Corpus, count: int) -> dict[str, Any]:
    """Latency of ``count`` random queries, and whether the planted passage ranks first."""
    for query in random_queries(corpus, 10, seed=5):  # warm caches and prepared statements
        documents.search(query, ids, top_k=5)
    latencies = []
    for query in random_queries(corpus, count):
        started = time.perf_counter()
        documents.search(query, ids, top_k=5)
        latencies.append((time.perf_counter() - started) * 1000)
    top = documents.search(PLANTED_QUERY, ids, top_k=5)
    return {
        "queries": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "planted_first": bool(top) and top[0].text.endswith(PLANTED),
    }


def _measure(store: Store, corpus: Corpus, root: Path, queries: int) -> dict[str, Any]:
    ids, seconds = ingest_corpus(store.documents, corpus.documents, root)
    stats = store.documents.stats()
    return {
        "backend": store.backend,
        "chunks": stats.chunks,
        "ingest_chunks_per_s": round(stats.chunks / seconds),
        "index_mb": round(stats.index_bytes / 1e6, 1),
        **_search(store.documents, ids, corpus, queries),
    }


def measure_search(cluster: PostgresCluster, size: int, queries: int) -> list[dict[str, Any]]:
    """Both backends at ``size`` chunks, measured one after the other on the same corpus."""
    corpus = synthetic_corpus(size)
    rows = []
    with tempfile.TemporaryDirectory(prefix="docorch-bench-") as tmp:
        for opened in (
            open_embedded(Path(tmp) / "embedded"),
            open_postgres(cluster.create_database("bench")),
        ):
            try:
                rows.append(_measure(opened, corpus, Path(tmp), queries))
            finally:
                opened.close()
    return rows


def _ingest_share(url: str, total: int, share: int, of: int, barrier: Any, out: Any) -> None:
    """One ingesting process: every ``of``-th document from ``share`` on, after the barrier."""
    corpus = synthetic_corpus(total, seed=17, plant=False)
    mine = corpus.documents[share::of]
    store = open_postgres(url)
    barrier.wait(timeout=300)
    started = time.time()
    ids, _ = ingest_corpus(store.documents, mine, Path("/bench"))
    out.put((started, time.time(), len(ids)))
    store.close()


def measure_ingest(cluster: PostgresCluster, total: int, processes: int) -> dict[str, Any]:
    """Chunks per second into a fresh PostgreSQL store from ``processes`` processes."""
    url = cluster.create_database("ingest")
    open_postgres(url).close()  # the schema, created before the clock starts
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(processes), context.Queue()
    children = [
        context.Process(target=_ingest_share, args=(url, total, n, processes, barrier, out))
        for n in range(processes)
    ]
    for child in children:
        child.start()
    try:
        spans = [out.get(timeout=900) for _ in children]
    finally:
        for child in children:
            child.join(timeout=60)
            if child.is_alive():
                child.kill()
    wall = max(end for _, end, _ in spans) - min(start for start, _, _ in spans)
    return {
        "processes": processes,
        "chunks": total,
        "documents": sum(n for _, _, n in spans),
        "seconds": round(wall, 2),
        "chunks_per_s": round(total / wall),
    }


async def measure_worker_ingest(
    cluster: PostgresCluster, total: int, processes: int
) -> dict[str, Any]:
    """Chunks per second ingested through docorch (upload, then one IngestWorkflow per document,
    all started at once) by ``processes`` worker processes on a fresh PostgreSQL store."""
    bench = await environment()
    url = cluster.create_database("workers")
    open_postgres(url).close()  # the schema, created before the clock starts
    queue = new_task_queue("ingest-workers")
    with tempfile.TemporaryDirectory(prefix="docorch-bench-") as tmp:
        root = Path(tmp)
        (root / "nowhere").mkdir()
        caller = root / "caller"
        caller.mkdir()
        files = []
        for name, parsed in synthetic_corpus(total, seed=29, plant=False).documents:
            files.append(caller / name)
            files[-1].write_text(parsed.text)
        sdk = OrchestratorClient(
            bench.client,
            task_queue=queue,
            settings=Settings(data_dir=root / "client", store_url=url),
        )
        async with contextlib.AsyncExitStack() as stack:
            for n in range(processes):
                await stack.enter_async_context(
                    spawn(
                        bench.client.service_client.config.target_host,
                        queue,
                        data_dir=root / f"worker-{n}",
                        allowed_roots=[root / "nowhere"],
                        calls=root / "calls.jsonl",
                        store_url=url,
                    )
                )
            started = time.perf_counter()
            refs = [await sdk.upload(path) for path in files]
            uploaded = time.perf_counter()
            reports = await asyncio.gather(*(sdk.ingest([ref]) for ref in refs))
            done = time.perf_counter()
    chunks = sum(d.chunks for r in reports for d in r.documents)
    failures = [f.message for r in reports for f in r.failures]
    if failures:
        raise RuntimeError(f"ingest failed: {failures[:3]}")
    return {
        "workers": processes,
        "documents": len(refs),
        "chunks": chunks,
        "upload_s": round(uploaded - started, 2),
        "ingest_s": round(done - uploaded, 2),
        "chunks_per_s": round(chunks / (done - uploaded)),
    }


def _run(cluster: PostgresCluster, quick: bool) -> dict[str, Any]:
    sizes = [10_000] if quick else [10_000, 100_000]
    queries = 100 if quick else 300
    ingest_chunks = 6_000 if quick else INGEST_CHUNKS
    search = [row for size in sizes for row in measure_search(cluster, size, queries)]
    ingest = [measure_ingest(cluster, ingest_chunks, n) for n in (1, 2)]
    largest = max(r["chunks"] for r in search)
    postgres = next(r for r in search if r["backend"] == "postgresql" and r["chunks"] == largest)
    return {
        "search": search,
        "ingest": ingest,
        "goals": [
            {
                "goal": f"PostgreSQL search p50 at {largest:,} chunks < {GOAL_P50_MS:.0f} ms",
                "measured": f"{postgres['p50_ms']} ms (p95 {postgres['p95_ms']} ms)",
                "met": largest >= 100_000 and postgres["p50_ms"] < GOAL_P50_MS,
            }
        ],
    }


async def run(quick: bool) -> dict[str, Any]:
    """The figures of this benchmark (``python -m bench`` calls it)."""
    ingest_chunks = 6_000 if quick else INGEST_CHUNKS
    with throwaway_cluster() as cluster:
        figures = await asyncio.to_thread(_run, cluster, quick)
        figures["workers"] = [
            await measure_worker_ingest(cluster, ingest_chunks, n) for n in (1, 2)
        ]
    return figures


def table(results: dict[str, Any]) -> str:
    """BENCHMARKS.md's section for this benchmark."""
    search = md_table(
        [
            "chunks",
            "store",
            "search p50 ms",
            "search p95 ms",
            "planted passage first",
            "ingest chunks/s (1 process)",
            "index MB",
        ],
        [
            (
                f"{r['chunks']:,}",
                r["backend"],
                r["p50_ms"],
                r["p95_ms"],
                "yes" if r["planted_first"] else "NO",
                r["ingest_chunks_per_s"],
                r["index_mb"],
            )
            for r in results.get("search", [])
        ],
    )
    ingest = md_table(
        ["PostgreSQL ingestion", "chunks", "documents", "seconds", "chunks/s"],
        [
            (
                f"{r['processes']} process{'es' if r['processes'] > 1 else ''}",
                f"{r['chunks']:,}",
                r["documents"],
                r["seconds"],
                r["chunks_per_s"],
            )
            for r in results.get("ingest", [])
        ],
    )
    workers = md_table(
        ["docorch workers", "documents", "chunks", "upload s", "ingest s", "chunks/s"],
        [
            (
                f"{r['workers']} worker process{'es' if r['workers'] > 1 else ''}",
                r["documents"],
                f"{r['chunks']:,}",
                r["upload_s"],
                r["ingest_s"],
                r["chunks_per_s"],
            )
            for r in results.get("workers", [])
        ],
    )
    return (
        "Reproduce: `.venv/bin/python -m bench --only stores` (PostgreSQL from the Debian "
        "`postgresql` package: a throwaway local cluster, durability off, unix socket). "
        f"Search: {results['search'][0]['queries']} random 2–3 word queries over every "
        f"document, top 5, one at a time.\n\n{search}\n\nIngestion into PostgreSQL by "
        "separate processes on different documents (chunking, tsvector, BM25 statistics).\n\n"
        f"{ingest}\n\nIngestion through docorch on the PostgreSQL store: the client uploads "
        "the documents (claim check; *upload s*), then starts one IngestWorkflow per document at "
        "once; the worker processes (separate data directories, no shared disk, each "
        "DOCORCH_MAX_CONCURRENT_ACTIVITIES=32) parse, chunk and index them (*ingest s*, "
        "*chunks/s*). A second worker process adds throughput only where there are cores to "
        "run it: on this shared 2-core machine the workers, PostgreSQL and the Temporal server "
        "compete for the same two cores (see the load average above), so the figure here "
        "bounds the orchestration cost rather than showing the scale-out; the multi-worker "
        "test (tests/workflows/test_many_workers.py) shows that both workers take part in one "
        f"query.\n\n{workers}"
    )
