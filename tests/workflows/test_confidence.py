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
    assert _answer(degraded=True) == pytest.approx(clean * DEGRADED_FACTOR, abs=1e-4)
    assert (
        answer_confidence(0.0, [1.0], documents_covered=1, documents_requested=1, replans=0) == 0.0
    )
