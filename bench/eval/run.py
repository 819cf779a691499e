"""Run the evaluation set through docorch on a real Temporal dev server, offline (no LLM).

Each question is one QueryWorkflow on docorch's own worker, over worker-side paths of the
evaluation documents; the same chunks feed the BM25 baseline.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from activities.context import current
from activities.documents.embeddings import Embedder, semantic_model
from activities.documents.ingestion import ingest_file
from activities.tools.catalog import default_registry
from bench.environment import environment
from bench.eval.baseline import bm25_rank
from bench.eval.dataset import Question
from bench.eval.scoring import Scored, matches
from bench.workers import new_task_queue
from client.sdk import OrchestratorClient
from models.documents import DocumentRef, Passage
from models.query import QueryConfig, QueryResult
from models.settings import Settings
from worker import build_worker
from workflows.planning import REPEATS_PLAN

IN_FLIGHT = 4


@dataclass(frozen=True)
class Outcome:
    """A question, what docorch answered, and how it scored. ``planned`` is, for a question
    whose planned answer fell below the confidence threshold, whether that planned answer
    (the same query run without a threshold) was correct: what the direct path changed."""

    question: Question
    result: QueryResult | None
    error: str | None
    seconds: float
    scored: Scored
    baseline_passage: str
    planned: bool | None = None


def offline_settings(docs: Path, data_dir: Path) -> Settings:
    """Settings that read only ``docs`` and never reach an LLM, whatever the environment says."""
    return Settings(data_dir=data_dir, allowed_roots=(docs,), llm_model=None, openai_base_url=None)


@dataclass(frozen=True)
class Ingested:
    """The documents, indexed, and what that cost (``semantic``: see ``embedding_cost``)."""

    refs: dict[str, DocumentRef]
    seconds: float
    semantic: dict[str, Any]


EMBED_SAMPLE = 100
"""Chunks of the set embedded once more, timed alone, for the per-chunk cost of the semantic
path (evenly spread over the set's chunks, the same ones every run)."""


def embedding_cost(refs: dict[str, DocumentRef], model: Embedder | None) -> dict[str, Any]:
    """What the semantic extra costs at ingestion: the model, and milliseconds per chunk over
    EMBED_SAMPLE of the set's chunks (timed apart from parsing); ``model`` None without it."""
    store = current().store
    chunks = [p.text for name in sorted(refs) for p in store.passages(refs[name].id)]
    if model is None or not chunks:
        return {"model": None, "chunks": len(chunks)}
    step = max(1, len(chunks) // EMBED_SAMPLE)
    sample = chunks[::step][:EMBED_SAMPLE]
    started = time.perf_counter()
    model.passages(sample)
    seconds = time.perf_counter() - started
    return {
        "model": model.name,
        "chunks": len(chunks),
        "sample_chunks": len(sample),
        "sample_mean_chars": round(sum(map(len, sample)) / len(sample)),
        "embed_ms_per_chunk": round(1000 * seconds / len(sample), 1),
        "load_1min": round(os.getloadavg()[0], 1),  # the machine may be shared: say how busy
        "cores": os.cpu_count(),
    }


def _ingest(settings: Settings, docs: Path, names: set[str]) -> Ingested:
    """Parse and index every document once, before the queries (so they do not race to)."""
    store = current().store
    started = time.perf_counter()
    refs = {
        name: ingest_file(
            store,
            docs / name,
            max_bytes=settings.max_document_bytes,
            model=semantic_model(settings),
        )
        for name in sorted(names)
    }
    seconds = time.perf_counter() - started
    return Ingested(refs, round(seconds, 1), embedding_cost(refs, semantic_model(settings)))


def score(question: Question, result: QueryResult | None, ranked: list[Passage]) -> Scored:
    """Score docorch's answer and the baseline's top passage against the gold answers."""
    answer = result.answer if result else ""
    first = answer.strip().split("\n", 1)[0]
    cited = bool(result) and any(
        matches(c.quote, question.answers)
        and (question.source is None or c.document_name == question.source)
        for c in (result.citations if result else [])
    )
    in_source = question.source is None or any(
        c.document_name == question.source for c in (result.citations if result else [])
    )

    def holds(p: Passage) -> bool:
        return matches(p.text, question.answers) and (
            question.source is None or p.document_name == question.source
        )

    return Scored(
        id=question.id,
        kind=question.kind,
        correct=matches(answer, question.answers) and in_source,
        top_correct=matches(first, question.answers) and in_source,
        cited=cited,
        confidence=result.confidence_score if result else 0.0,
        baseline=bool(ranked) and holds(ranked[0]),
        baseline_top3=any(holds(p) for p in ranked[:3]),
    )


async def _ask(
    client: OrchestratorClient,
    question: Question,
    docs: Path,
    refs: dict[str, DocumentRef],
    gate: asyncio.Semaphore,
) -> Outcome:
    passages = [p for name in question.documents for p in current().store.passages(refs[name].id)]
    ranked = bm25_rank(question.question, passages)
    paths = [str(docs / name) for name in question.documents]
    async with gate:
        started = time.perf_counter()
        result: QueryResult | None = None
        error: str | None = None
        try:
            result = await client.run(question.question, paths)
        except Exception as failure:  # a failed query is a wrong answer, reported as such
            error = f"{type(failure).__name__}: {failure}"
        seconds = time.perf_counter() - started
        planned: bool | None = None
        if result is not None and result.execution_summary.degraded_reason:
            undegraded = await client.run(
                question.question, paths, config=QueryConfig(confidence_threshold=0.0)
            )
            planned = score(question, undegraded, ranked).correct
    return Outcome(
        question=question,
        result=result,
        error=error,
        seconds=round(seconds, 2),
        scored=score(question, result, ranked),
        baseline_passage=ranked[0].text if ranked else "",
        planned=planned,
    )


async def evaluate(questions: list[Question], docs: Path) -> tuple[list[Outcome], Ingested]:
    """Every question through docorch (and the baseline), in the given order, and what
    indexing the documents cost."""
    bench = await environment()
    with tempfile.TemporaryDirectory(prefix="docorch-eval-") as tmp:
        settings = offline_settings(docs, Path(tmp) / "data")
        worker = build_worker(
            bench.client,
            settings,
            registry=default_registry(),
            task_queue=new_task_queue("eval"),
        )
        names = {n for q in questions for n in q.documents}
        ingested = await asyncio.to_thread(_ingest, settings, docs, names)
        refs = ingested.refs
        async with worker:
            client = OrchestratorClient(bench.client, task_queue=worker.task_queue)
            gate = asyncio.Semaphore(IN_FLIGHT)
            outcomes = await asyncio.gather(*(_ask(client, q, docs, refs, gate) for q in questions))
            return list(outcomes), ingested


def outcome_record(outcome: Outcome) -> dict[str, Any]:
    """What results/eval.json keeps per question: scores and where the answer was cited from,
    not the answer's text (`python -m bench.eval --only ID` prints it)."""
    result = outcome.result
    return {
        "id": outcome.question.id,
        "kind": outcome.question.kind,
        "question": outcome.question.question,
        "gold": outcome.question.answers,
        "correct": outcome.scored.correct,
        "top_correct": outcome.scored.top_correct,
        "cited": outcome.scored.cited,
        "confidence": outcome.scored.confidence,
        "baseline": outcome.scored.baseline,
        "baseline_top3": outcome.scored.baseline_top3,
        "answer_lines": len(result.answer.splitlines()) if result else 0,
        "citations": [
            f"{c.document_name} @{c.anchor.char_start}-{c.anchor.char_end}"
            for c in (result.citations if result else [])
        ],
        "query_type": result.query_type.value if result else None,
        "degraded": result is not None and result.orchestrator_version == "1.0",
        "below_threshold": result is not None and bool(result.execution_summary.degraded_reason),
        "direct_path_skipped": result is not None
        and REPEATS_PLAN in (result.execution_summary.degraded_reason or ""),
        "planned_correct": outcome.planned,
        "error": outcome.error,
        "seconds": outcome.seconds,
    }
