"""How sure docorch is: per step, and for the answer. Pure functions; the formulas are here.

Step confidence::

    step = signal × reliability_weight × 0.95^(attempts − 1)
           × 0.85^[fell back] × 0.8^[missing inputs]

where ``signal`` is the tool's own result signal in [0, 1] (retrieval term coverage, answer
support, section coverage, ...; 1.0 when a tool reports none) and ``reliability_weight`` comes from
the tool's registered reliability (high 1.0, medium 0.95, low 0.85, experimental 0.75).

Answer confidence::

    answer = answer_step^0.6 × mean(steps the answer depends on)^0.4
             × (0.5 + 0.5 × documents covered / documents requested) × 0.9^replans
             × 0.8^[degraded]

so a strong answer built on weak retrieval, over half the documents, after a replan, or from
the direct path (search + answer) after the plan could not answer, is reported as such.
Everything is clamped to [0, 1] and rounded to 4 places.
"""

from __future__ import annotations

from collections.abc import Iterable

DEGRADED_FACTOR = 0.8
"""What an answer from the direct path is worth relative to the same answer from the plan."""


def _clamp(value: float) -> float:
    return round(max(0.0, min(1.0, value)), 4)


def step_confidence(
    signal: float | None,
    *,
    reliability_weight: float,
    attempts: int,
    fell_back: bool,
    missing_inputs: bool,
) -> float:
    value = (1.0 if signal is None else float(signal)) * reliability_weight
    value *= 0.95 ** max(0, attempts - 1)
    if fell_back:
        value *= 0.85
    if missing_inputs:
        value *= 0.8
    return _clamp(value)


def answer_confidence(
    answer_step: float,
    dependencies: Iterable[float],
    *,
    documents_covered: int,
    documents_requested: int,
    replans: int,
    degraded: bool = False,
) -> float:
    deps = list(dependencies)
    base = max(0.0, answer_step) ** 0.6
    if deps:
        base *= (sum(deps) / len(deps)) ** 0.4
    coverage = documents_covered / documents_requested if documents_requested else 0.0
    base *= 0.5 + 0.5 * min(1.0, coverage)
    base *= 0.9**replans
    if degraded:
        base *= DEGRADED_FACTOR
    return _clamp(base)
