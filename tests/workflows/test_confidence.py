"""The confidence formulas of workflows/confidence.py: what lowers a step and an answer."""

from __future__ import annotations

import pytest

from workflows.confidence import DEGRADED_FACTOR, answer_confidence, step_confidence


def _step(**changes: object) -> float:
    values: dict[str, object] = {
        "reliability_weight": 1.0,
        "attempts": 1,
        "fell_back": False,
        "missing_inputs": False,
    }
    values.update(changes)
    return step_confidence(0.9, **values)  # type: ignore[arg-type]


def test_retries_fallbacks_and_missing_inputs_lower_a_step() -> None:
    clean = _step()
    assert clean == 0.9
    assert _step(attempts=3) == pytest.approx(0.9 * 0.95**2, abs=1e-4)
    assert _step(fell_back=True) == pytest.approx(0.9 * 0.85, abs=1e-4)
    assert _step(missing_inputs=True) == pytest.approx(0.9 * 0.8, abs=1e-4)
    assert _step(reliability_weight=0.75) == pytest.approx(0.9 * 0.75, abs=1e-4)
    assert (
        step_confidence(
            None, reliability_weight=1.0, attempts=1, fell_back=False, missing_inputs=False
        )
        == 1.0
    )


def _answer(**changes: object) -> float:
    values: dict[str, object] = {"documents_covered": 2, "documents_requested": 2, "replans": 0}
    values.update(changes)
    return answer_confidence(0.8, [0.9, 0.7], **values)  # type: ignore[arg-type]


def test_replans_uncovered_documents_and_the_direct_path_lower_the_answer() -> None:
    clean = _answer()
    assert clean == pytest.approx(0.8**0.6 * 0.8**0.4, abs=1e-4)
    assert _answer(replans=1) == pytest.approx(clean * 0.9, abs=1e-4)
    assert _answer(documents_covered=1) == pytest.approx(clean * 0.75, abs=1e-4)
    # the direct path's answer is worth four fifths of the same answer from the plan
    assert DEGRADED_FACTOR == 0.8
    assert _answer(degraded=True) == pytest.approx(clean * 0.8, abs=1e-4)
    assert (
        answer_confidence(0.0, [1.0], documents_covered=1, documents_requested=1, replans=0) == 0.0
    )


def test_coverage_counts_at_most_every_document_and_none_requested_counts_none() -> None:
    assert _answer(documents_covered=3) == _answer()  # more covered than asked: capped
    assert _answer(documents_covered=0, documents_requested=0) == pytest.approx(
        _answer() * 0.5, abs=1e-4
    )
    assert answer_confidence(0.9, [], documents_covered=1, documents_requested=1, replans=0) == (
        pytest.approx(0.9**0.6, abs=1e-4)
    )


def _signal(signal: float | None, weight: float = 1.0) -> float:
    return step_confidence(
        signal, reliability_weight=weight, attempts=1, fell_back=False, missing_inputs=False
    )


def test_confidence_is_clamped_to_one_and_rounded_to_four_places() -> None:
    assert _signal(1.7) == 1.0
    assert _signal(-0.2) == 0.0
    assert _signal(0.123456) == 0.1235
    # a tool that reports no signal counts as 1.0, then weighed like any other
    assert _signal(None, weight=0.5) == 0.5
