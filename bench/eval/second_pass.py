"""``python -m bench.eval.second_pass``: what a second pass could do for the answers that fall
below the confidence threshold (run after ``make eval``, whose results name them).

Each pass answers those questions in this process, with the worker's own tools, and is scored
as ``make eval`` scores (a gold answer in the answer; and in its first line):

- ``plan``: what the plan ran — search the documents (top 5) and answer;
- ``wider``: three times the passages, broadened (what the direct path would add);
- ``whole documents``: every unit of the documents ranked, none left to retrieval;
- ``closer first``: the wider passages, the units scoring within 10% of the best re-ordered by
  their closeness in meaning to the question (the ``semantic`` extra);
- ``best section``: the section whose heading is closest to the question (meaning and words,
  rank-fused), answered from its own units (the ``semantic`` extra).

Writes ``bench/results/second_pass.json`` and EVAL.md, which shows it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from activities.context import current, install
from activities.documents.embeddings import Embedder, embedder, semantic_model
from activities.documents.ingestion import ingest_file
from activities.tools.answer_support import choose, document_titles, table_headers
from activities.tools.question import QuestionIntent, read_question
from activities.tools.ranking import Ranked, rank_units
from activities.tools.search import search_documents
from activities.tools.units import Unit, passage_units
from bench.eval.dataset import Question, check_documents, docs_dir, load_manifest, load_questions
from bench.eval.report import RESULTS as EVAL_RESULTS
from bench.eval.report import SECOND_PASS_RESULTS as RESULTS
from bench.eval.report import write_eval_md
from bench.eval.run import offline_settings
from bench.eval.scoring import matches
from bench.results import measured_on
from models.documents import DocumentRef, Passage

TOP_K = 5
WIDER = 3
CLOSE = 0.9
RRF_K = 10

Pass = Callable[[Question, list[DocumentRef]], list[Ranked]]


def _ranked(intent: QuestionIntent, passages: Sequence[Passage]) -> list[Ranked]:
    unique = list({p.id: p for p in passages}.values())
    units = [u for p in unique for u in passage_units(p, table_headers())]
    best = max((p.score for p in unique), default=0.0) or 1.0
    retrieval = {p.id: max(0.0, p.score) / best for p in unique}
    return rank_units(intent, units, retrieval, document_titles({p.document_id for p in unique}))


def _chosen(intent: QuestionIntent, ranked: list[Ranked]) -> list[Ranked]:
    return choose(ranked, 3, typed=intent.typed, several=intent.several)


def _plan(question: Question, documents: list[DocumentRef]) -> list[Ranked]:
    intent = read_question(question.question)
    found = search_documents(question.question, documents, top_k=TOP_K)
    return _chosen(intent, _ranked(intent, found.passages))


def _wider(question: Question, documents: list[DocumentRef]) -> list[Ranked]:
    intent = read_question(question.question)
    found = search_documents(question.question, documents, top_k=TOP_K * WIDER, broaden=2)
    return _chosen(intent, _ranked(intent, found.passages))


def _whole(question: Question, documents: list[DocumentRef]) -> list[Ranked]:
    intent = read_question(question.question)
    store = current().store
    passages = [p for d in documents for p in store.passages(d.id)]
    return _chosen(intent, _ranked(intent, passages))


def _closeness(model: Embedder, question: str, texts: Sequence[str]) -> list[float]:
    target = model.query(question).reshape(-1)
    return [float(v) for v in model.passages(list(texts)) @ target]


def _closer_first(model: Embedder) -> Pass:
    def run(question: Question, documents: list[DocumentRef]) -> list[Ranked]:
        intent = read_question(question.question)
        found = search_documents(question.question, documents, top_k=TOP_K * WIDER, broaden=2)
        ranked = _ranked(intent, found.passages)
        if not ranked:
            return []
        close = [r for r in ranked if r.score >= CLOSE * ranked[0].score][:24]
        near = _closeness(model, question.question, [r.unit.text for r in close])
        reordered = [r for _, r in sorted(zip(near, close, strict=True), key=lambda x: -x[0])]
        return _chosen(intent, reordered + ranked[len(close) :])

    return run


def _best_section(model: Embedder) -> Pass:
    def run(question: Question, documents: list[DocumentRef]) -> list[Ranked]:
        intent = read_question(question.question)
        store = current().store
        sections: dict[tuple[str, str], list[Unit]] = {}
        for document in documents:
            for passage in store.passages(document.id):
                for unit in passage_units(passage, table_headers()):
                    key = (document.id, passage.anchor.section or "")
                    sections.setdefault(key, []).append(unit)
        keys = [k for k in sections if k[1]]
        if not keys:
            return []
        units = [u for k in keys for u in sections[k]]
        ranked = rank_units(intent, units, None, document_titles({d.id for d in documents}))
        lexical: dict[tuple[str, str], float] = {}
        for r in ranked:
            key = (r.unit.passage.document_id, r.unit.passage.anchor.section or "")
            lexical[key] = max(lexical.get(key, 0.0), r.score)
        by_words = sorted(keys, key=lambda k: -lexical.get(k, 0.0))
        near = _closeness(model, question.question, [k[1].split(" > ")[-1] for k in keys])
        by_meaning = [k for _, k in sorted(zip(near, keys, strict=True), key=lambda x: -x[0])]

        def fused(key: tuple[str, str]) -> float:
            return 1 / (RRF_K + by_words.index(key)) + 1 / (RRF_K + by_meaning.index(key))

        best = max(keys, key=fused)
        inside = [
            r
            for r in ranked
            if (r.unit.passage.document_id, r.unit.passage.anchor.section or "") == best
        ]
        return _chosen(intent, inside)

    return run


def _score(question: Question, chosen: list[Ranked]) -> tuple[bool, bool]:
    texts = [r.unit.text for r in chosen]
    return (
        any(matches(t, question.answers) for t in texts),
        bool(texts) and matches(texts[0], question.answers),
    )


def main() -> None:
    if not EVAL_RESULTS.exists():
        sys.exit("[second_pass] run `make eval` first: its results name the questions")
    recorded = json.loads(EVAL_RESULTS.read_text(encoding="utf-8"))
    below = {r["id"] for r in recorded["questions"] if r.get("below_threshold")}
    questions = [q for q in load_questions() if q.id in below]
    os.environ.setdefault("DOCORCH_SEMANTIC_SEARCH", "true")  # as `make eval` measures
    root = docs_dir()
    if problems := check_documents(root, load_manifest()):
        sys.exit(f"[second_pass] cannot run with the documents in {root}: {'; '.join(problems)}")
    with tempfile.TemporaryDirectory(prefix="docorch-second-pass-") as tmp:
        settings = offline_settings(root, Path(tmp) / "data")
        store = install(settings).store
        refs: dict[str, DocumentRef] = {}
        for name in sorted({n for q in questions for n in q.documents}):
            refs[name] = ingest_file(
                store,
                root / name,
                max_bytes=settings.max_document_bytes,
                model=semantic_model(settings),
            )
        model = embedder()
        passes: dict[str, Pass] = {"plan": _plan, "wider": _wider, "whole documents": _whole}
        if model is not None:
            passes["closer first"] = _closer_first(model)
            passes["best section"] = _best_section(model)
        figures: dict[str, dict[str, int]] = {}
        for name, run in passes.items():
            scored = [_score(q, run(q, [refs[n] for n in q.documents])) for q in questions]
            figures[name] = {
                "correct": sum(a for a, _ in scored),
                "first_line": sum(f for _, f in scored),
            }
            print(f"[second_pass] {name}: {figures[name]} of {len(questions)}", flush=True)
    document: dict[str, Any] = {
        "name": "second_pass",
        "command": "python -m bench.eval.second_pass",
        "machine": measured_on(),
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "questions": len(questions),
        "model": model.name if model is not None else None,
        "passes": figures,
    }
    RESULTS.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    write_eval_md()
    print(f"[second_pass] wrote {RESULTS} and EVAL.md", flush=True)


if __name__ == "__main__":
    main()
