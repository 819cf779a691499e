"""EVAL.md's account of the answers below the confidence threshold: how many, how many the
plan had already answered the direct path's way (so it did not run), and what the measured
second passes made of them."""

from __future__ import annotations

from typing import Any

from bench.eval.report import _degradation, _second_pass


def _record(
    correct: bool, *, below: bool = False, skipped: bool = False, degraded: bool = False
) -> dict[str, Any]:
    return {
        "correct": correct,
        "below_threshold": below,
        "direct_path_skipped": skipped,
        "degraded": degraded,
        "planned_correct": correct if below else None,
    }


def test_the_answers_below_the_threshold_are_counted_by_what_ran() -> None:
    records = [
        _record(True, below=True, skipped=True),
        _record(False, below=True, skipped=True),
        _record(True, below=True, degraded=True),
        _record(True),
        _record(True),
    ]
    text = _degradation(records)
    assert text.startswith("3 planned answers fell below the confidence threshold (0.7)")
    assert "67% correct, against 100% above it" in text
    assert "For 2 of them the plan had already searched every document" in text
    assert "for 1 the plan had another shape and the direct path ran" in text
    assert "kept (scoring higher) 1 time(s)" in text
    assert "Correct before the direct path: 2 of 3; after: 2 of 3." in text


def test_nothing_below_the_threshold_says_so() -> None:
    assert _degradation([_record(True)]).startswith("No planned answer fell below")


def test_the_second_passes_are_tabled_as_measured() -> None:
    passes: dict[str, dict[str, int]] = {
        "plan": {"correct": 17, "first_line": 13},
        "wider": {"correct": 17, "first_line": 13},
    }
    second: dict[str, Any] = {
        "questions": 20,
        "finished": "2026-11-29 22:00 UTC",
        "model": "m",
        "passes": passes,
    }
    text = _second_pass(second)
    assert "| plan | 17 of 20 | 13 of 20 |" in text
    assert "| wider | 17 of 20 | 13 of 20 |" in text
    assert "None beats the plan" in text
    passes["closer first"] = {"correct": 17, "first_line": 14}
    assert "Better than the plan here: closer first." in _second_pass(second)
    assert _second_pass(None).startswith("Not measured yet")
