"""Scoring answers against gold: normalised matching, per-kind accuracy and calibration."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_KEEP = re.compile(r"[^\w.%$+:#/]+")
HIGH_CONFIDENCE = 0.8
BINS = 10


def normalise(text: str) -> str:
    """Lower-case words with markup and punctuation gone: ``**Fee:** $1,000.`` → ``fee: $1000``.

    Kept inside words: ``. % $ + : # /`` (versions, amounts, urls); hyphens separate words;
    trailing ``.:,`` of a word dropped; thousands separators removed.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = _THOUSANDS.sub("", text)
    words = (w.rstrip(".:,") for w in _KEEP.sub(" ", text.replace("_", " ")).split())
    return " ".join(w for w in words if w)


ROW_GAP = " ... "
"""In a gold answer, parts that must occur on one line of the text, in order (a table row:
``Jan 01, 2024 ... 3.9+`` accepts "| Jan 01, 2024 | 3.9+ |" and "Date: Jan 01, 2024; Python:
3.9+")."""


def _words_in(haystack: str, needle: str, start: int = 0) -> int:
    """End of the first whole-word occurrence of ``needle`` in `` haystack `` from ``start``,
    or -1."""
    at = haystack.find(f" {needle} ", start)
    return -1 if not needle or at < 0 else at + len(needle) + 1


def contains(text: str, gold: str) -> bool:
    """True when the normalised gold answer occurs in the normalised text, as whole words (or,
    for a gold with ``...``, all its parts on one line, in order)."""
    parts = [normalise(p) for p in gold.split(ROW_GAP)]
    lines = text.split("\n") if len(parts) > 1 else [text]
    for line in lines:
        haystack, cursor = f" {normalise(line)} ", 0
        for part in parts:
            cursor = _words_in(haystack, part, max(0, cursor - 1))
            if cursor < 0:
                break
        else:
            return True
    return False


def matches(text: str, answers: Iterable[str]) -> bool:
    return any(contains(text, gold) for gold in answers)


@dataclass(frozen=True)
class Scored:
    """One question's outcome (what the report aggregates)."""

    id: str
    kind: str
    correct: bool
    top_correct: bool
    cited: bool
    confidence: float
    baseline: bool
    baseline_top3: bool


def expected_calibration_error(pairs: Sequence[tuple[float, bool]], bins: int = BINS) -> float:
    """ECE over ``bins`` equal-width confidence bins: Σ |accuracy − mean confidence| × share."""
    if not pairs:
        return 0.0
    total = 0.0
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        members = [
            (c, ok) for c, ok in pairs if low <= c < high or (index == bins - 1 and c == 1.0)
        ]
        if members:
            accuracy = sum(ok for _, ok in members) / len(members)
            confidence = sum(c for c, _ in members) / len(members)
            total += abs(accuracy - confidence) * len(members) / len(pairs)
    return round(total, 4)


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def summary(rows: Sequence[Scored]) -> dict[str, float | int]:
    """The headline figures over ``rows``."""
    wrong = [r for r in rows if not r.correct]
    high = [r for r in rows if r.confidence >= HIGH_CONFIDENCE]
    wrong_high = [r for r in wrong if r.confidence >= HIGH_CONFIDENCE]
    return {
        "questions": len(rows),
        "accuracy": share(sum(r.correct for r in rows), len(rows)),
        "top_accuracy": share(sum(r.top_correct for r in rows), len(rows)),
        "citation_correct": share(sum(r.cited for r in rows), len(rows)),
        "cited_when_correct": share(
            sum(r.cited for r in rows if r.correct), len(rows) - len(wrong)
        ),
        "wrong": len(wrong),
        "wrong_high_confidence": len(wrong_high),
        "wrong_high_share_of_wrong": share(len(wrong_high), len(wrong)),
        "wrong_high_share_of_all": share(len(wrong_high), len(rows)),
        "wrong_among_high_confidence": share(len(wrong_high), len(high)),
        "ece": expected_calibration_error([(r.confidence, r.correct) for r in rows]),
        "mean_confidence": round(sum(r.confidence for r in rows) / len(rows), 4) if rows else 0.0,
        "baseline_accuracy": share(sum(r.baseline for r in rows), len(rows)),
        "baseline_top3": share(sum(r.baseline_top3 for r in rows), len(rows)),
    }
