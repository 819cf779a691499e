"""EVAL.md from a results document: headline figures, per kind, calibration, the failures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.eval.dataset import KINDS
from bench.eval.scoring import BINS, HIGH_CONFIDENCE
from bench.paths import REPO
from bench.results import RESULTS_DIR, md_table

RESULTS = RESULTS_DIR / "eval.json"
LEXICAL_RESULTS = RESULTS_DIR / "eval-lexical.json"
SECOND_PASS_RESULTS = RESULTS_DIR / "second_pass.json"
BEFORE = Path(__file__).resolve().parent / "before.json"
EVAL_MD = REPO / "EVAL.md"

GOAL_ACCURACY = 0.9
GOAL_KIND_ACCURACY = 0.8
GOAL_WRONG_HIGH = 0.05
COMMAND = "make eval  # or: .venv/bin/python -m bench.eval"


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _goals(total: dict[str, Any], kinds: dict[str, dict[str, Any]]) -> str:
    worst = min(kinds.items(), key=lambda item: item[1]["accuracy"])
    rows = [
        (
            "accuracy, overall",
            f"≥ {_pct(GOAL_ACCURACY)}",
            _pct(total["accuracy"]),
            "✓" if total["accuracy"] >= GOAL_ACCURACY else "✗",
        ),
        (
            "accuracy, every kind",
            f"≥ {_pct(GOAL_KIND_ACCURACY)}",
            f"lowest {_pct(worst[1]['accuracy'])} ({worst[0]})",
            "✓" if worst[1]["accuracy"] >= GOAL_KIND_ACCURACY else "✗",
        ),
        (
            f"wrong answers with confidence ≥ {HIGH_CONFIDENCE}",
            f"≤ {_pct(GOAL_WRONG_HIGH)} of the wrong answers",
            f"{total['wrong_high_confidence']} of {total['wrong']} "
            f"({_pct(total['wrong_high_share_of_wrong'])})",
            "✓" if total["wrong_high_share_of_wrong"] <= GOAL_WRONG_HIGH else "✗",
        ),
    ]
    return md_table(["goal", "target", "measured", "met"], rows)


def _kinds(kinds: dict[str, dict[str, Any]], before: dict[str, Any] | None) -> str:
    rows = []
    for kind in KINDS:
        figures = kinds.get(kind)
        if not figures:
            continue
        earlier = (before or {}).get("kinds", {}).get(kind)
        rows.append(
            (
                kind,
                figures["questions"],
                _pct(figures["accuracy"]),
                _pct(earlier["accuracy"]) if earlier else "–",
                _pct(figures["citation_correct"]),
                _pct(figures["baseline_accuracy"]),
                _pct(figures["baseline_top3"]),
                f"{figures['mean_confidence']:.2f}",
                figures["wrong_high_confidence"],
            )
        )
    return md_table(
        [
            "kind",
            "questions",
            "docorch",
            "before",
            "citation holds the answer",
            "BM25 top passage",
            "BM25 top 3",
            "mean confidence",
            f"wrong at ≥ {HIGH_CONFIDENCE}",
        ],
        rows,
    )


def _calibration(records: Sequence[dict[str, Any]]) -> str:
    rows = []
    for index in range(BINS):
        low, high = index / BINS, (index + 1) / BINS
        members = [
            r
            for r in records
            if low <= r["confidence"] < high or (index == BINS - 1 and r["confidence"] == 1.0)
        ]
        if members:
            accuracy = sum(r["correct"] for r in members) / len(members)
            rows.append((f"{low:.1f}–{high:.1f}", len(members), _pct(accuracy)))
    return md_table(["confidence", "answers", "correct"], rows)


def _failures(records: Sequence[dict[str, Any]]) -> str:
    rows = []
    for r in records:
        if r["correct"]:
            continue
        cited = "; ".join(r["citations"][:3]) or (r["error"] or "nothing")
        rows.append(
            (
                r["id"],
                r["kind"],
                r["question"],
                " / ".join(r["gold"]),
                cited,
                f"{r['confidence']:.2f}",
            )
        )
    if not rows:
        return "None."
    headers = ["id", "kind", "question", "gold", "cited instead (document @ offsets)", "confidence"]
    return md_table(headers, rows)


def _degradation(records: Sequence[dict[str, Any]]) -> str:
    below = [r for r in records if r.get("below_threshold")]
    if not below:
        return "No planned answer fell below the confidence threshold (0.7)."
    planned = sum(bool(r["planned_correct"]) for r in below)
    final = sum(r["correct"] for r in below)
    skipped = [r for r in below if r.get("direct_path_skipped")]
    ran = [r for r in below if not r.get("direct_path_skipped")]
    kept = sum(r["degraded"] for r in ran)
    return (
        f"{len(below)} planned answers fell below the confidence threshold (0.7); they are "
        f"{sum(r['correct'] for r in below) / len(below):.0%} correct, against "
        f"{_share_correct([r for r in records if not r.get('below_threshold')])} above it. "
        f"For {len(skipped)} of them the plan had already searched every document and "
        "answered from what it found, so the direct path (the same search and answer) was not "
        f"run again; for {len(ran)} the plan had another shape and the direct path ran, its "
        f"answer kept (scoring higher) {kept} time(s). Correct before the direct path: "
        f"{planned} of {len(below)}; after: {final} of {len(below)}."
    )


def _share_correct(records: Sequence[dict[str, Any]]) -> str:
    return f"{sum(r['correct'] for r in records) / len(records):.0%}" if records else "n/a"


def _load(semantic: dict[str, Any]) -> str:
    load = semantic.get("load_1min")
    return f", load average {load} on {semantic['cores']} cores" if load is not None else ""


def _semantic(document: dict[str, Any], lexical: dict[str, Any] | None) -> str:
    """The semantic extra: which model, what it costs at ingestion, and the figures of the
    same set run without it (``python -m bench.eval --lexical``)."""
    semantic = document.get("semantic") or {}
    ingest = document.get("ingest_s")
    if semantic.get("model"):
        said = (
            f"This run used the `semantic` extra: **{semantic['model']}**, BM25's and the "
            "embedding's ranks fused by reciprocal rank fusion and each passage's closeness to "
            "the question added to its score (the sentences an answer quotes are still chosen "
            "lexically). Embedding costs "
            f"**{semantic['embed_ms_per_chunk']} ms per chunk** ({semantic['sample_chunks']} "
            f"chunks of the set, {semantic['sample_mean_chars']} characters on average, timed "
            f"apart{_load(semantic)}); ingesting the set's {semantic['chunks']} chunks took "
            f"{ingest} s in all."
        )
    else:
        said = (
            "This run had no `semantic` extra (lexical retrieval only); ingesting the set's "
            f"{semantic.get('chunks', '?')} chunks took {ingest} s."
        )
    if not lexical:
        return said
    rows = []
    for label, key in (("overall", None), *((k, k) for k in KINDS)):
        now = document["summary"] if key is None else document["kinds"].get(key)
        then = lexical["summary"] if key is None else lexical["kinds"].get(key)
        if now and then:
            rows.append(
                (
                    label,
                    _pct(now["accuracy"]),
                    _pct(then["accuracy"]),
                    f"{now['wrong_high_confidence']} / {then['wrong_high_confidence']}",
                    f"{now['ece']:.3f} / {then['ece']:.3f}",
                )
            )
    lexical_run = (
        f"The same set without the extra (`python -m bench.eval --lexical`, "
        f"{lexical['finished']}, git {lexical['machine'].get('git', '?')}; ingestion "
        f"{lexical.get('ingest_s', '?')} s):"
    )
    table = md_table(
        [
            "",
            "with the extra",
            "without",
            f"wrong at ≥ {HIGH_CONFIDENCE} (with / without)",
            "ECE (with / without)",
        ],
        rows,
    )
    return "\n\n".join([said, lexical_run, table])


def _second_pass(second: dict[str, Any] | None) -> str:
    """What the second passes measured by ``bench.eval.second_pass`` make of the answers
    below the threshold."""
    if not second:
        return "Not measured yet: `python -m bench.eval.second_pass` (after `make eval`)."
    n = second["questions"]
    rows = [
        (name, f"{f['correct']} of {n}", f"{f['first_line']} of {n}")
        for name, f in second["passes"].items()
    ]
    return "\n".join(
        [
            "Could a second pass do better on the answers below the threshold? "
            "`python -m bench.eval.second_pass` answers them again in one process with the "
            "worker's tools: `plan` as the plan did (top 5 passages), `wider` three times the "
            "passages (the direct path's breadth), `whole documents` every unit of the documents "
            "ranked (nothing left to retrieval), `closer first` those passages with the "
            "units within 10% of the best re-ordered by closeness in meaning to the question, "
            "`best section` the section whose heading is closest to the question (meaning and "
            f"words fused) answered from its own units ({second['finished']}, "
            f"model {second['model']}).",
            "",
            md_table(["second pass", "correct", "first line correct"], rows),
            "",
            _verdict(second["passes"]),
        ]
    )


def _verdict(passes: dict[str, dict[str, int]]) -> str:
    plan = passes.get("plan", {"correct": 0, "first_line": 0})
    better = [
        name
        for name, f in passes.items()
        if name != "plan"
        and f["correct"] >= plan["correct"]
        and f["first_line"] >= plan["first_line"]
        and f != plan
    ]
    if better:
        return f"Better than the plan here: {', '.join(better)}."
    return (
        "None beats the plan, so none runs: below the threshold docorch reports the plan's "
        "answer with its low confidence, and takes the direct path only when the plan had "
        "another shape (or failed)."
    )


def render(
    document: dict[str, Any],
    before: dict[str, Any] | None,
    lexical: dict[str, Any] | None = None,
    second: dict[str, Any] | None = None,
) -> str:
    """The whole EVAL.md; ``lexical`` is the run without the semantic extra, when there is one;
    ``second`` what ``bench.eval.second_pass`` measured."""
    total = document["summary"]
    kinds = document["kinds"]
    records = document["questions"]
    machine = document["machine"]
    head = [
        ("docorch (offline, templates + extractive tools)", _pct(total["accuracy"])),
        ("docorch, first answer line only", _pct(total["top_accuracy"])),
        ("plain BM25, top passage", _pct(total["baseline_accuracy"])),
        ("plain BM25, any of top 3 passages", _pct(total["baseline_top3"])),
    ]
    if before:
        head.append((f"docorch before ({before['label']})", _pct(before["summary"]["accuracy"])))
    lines = [
        "# docorch answer quality (`make eval`)",
        "",
        "Generated by `python -m bench.eval` from `bench/results/eval.json`; do not edit by hand. "
        f"{total['questions']} questions with gold answers over {document['documents']} public "
        "documents (PDF, DOCX, HTML, Markdown, reStructuredText; English, German, French, "
        "Italian) taken from public repositories; `bench/eval/manifest.json` lists each with "
        "its repository, path, commit, sha256 and licence; the documents themselves are in "
        "`bench/eval/documents` (their licences in its README.md).",
        "",
        "Each question runs as a real QueryWorkflow on a Temporal dev server with docorch's "
        "worker, offline (no LLM). An answer is **correct** when a gold answer (or an accepted "
        "variant) occurs in it after normalisation, and — for multi-document questions — it "
        "cites the right document. **Citation holds the answer**: one of its citations quotes "
        "text containing the gold answer. The baseline is a plain BM25 (k1 1.5, b 0.75, no "
        "stemming) over the same chunks, scored on its top passage.",
        "",
        "The rules behind the answers (question forms, value kinds, fields, table rows) were "
        "developed with this set's failures in view, so these figures are an upper estimate; "
        "an independent check on documents kept out of this set measures how they carry over.",
        "",
        f"**Reproduce:** `{COMMAND}`",
        "",
        f"**Latest run:** {document['finished']}, git {machine.get('git', '?')}, "
        f"{document['duration_s']} s.",
        "",
        "## Goals",
        "",
        _goals(total, kinds),
        "",
        "## Overall",
        "",
        md_table(["system", "accuracy"], head),
        "",
        f"Citation holds the answer: {_pct(total['citation_correct'])} of all questions, "
        f"{_pct(total['cited_when_correct'])} of the correct answers. Expected calibration "
        f"error {total['ece']:.3f} ({BINS} bins); wrong answers: {total['wrong']}, of them "
        f"{total['wrong_high_confidence']} at confidence ≥ {HIGH_CONFIDENCE} "
        f"({_pct(total['wrong_among_high_confidence'])} of all answers at that confidence).",
        "",
        _degradation(records),
        "",
        "## Below the threshold: a second pass?",
        "",
        _second_pass(second),
        "",
        "## Semantic retrieval",
        "",
        _semantic(document, lexical),
        "",
        "## Per kind",
        "",
        _kinds(kinds, before),
        "",
        "## Calibration",
        "",
        _calibration(records),
        "",
        "## Wrong answers",
        "",
        "The answers themselves are not kept here (they quote the documents); "
        "`python -m bench.eval --only ID` prints them.",
        "",
        _failures(records),
        "",
    ]
    return "\n".join(lines)


def _read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def write_eval_md(document: dict[str, Any] | None = None) -> None:
    """EVAL.md from ``document`` (a run just made; else the last recorded, results/eval.json)
    and what the other results files hold: the run before issue 14, the run without the
    semantic extra, the second passes."""
    document = document or _read(RESULTS)
    if document is None:
        return
    EVAL_MD.write_text(
        render(document, _read(BEFORE), _read(LEXICAL_RESULTS), _read(SECOND_PASS_RESULTS)),
        encoding="utf-8",
    )
