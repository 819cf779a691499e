"""Statistics for benchmark samples: median, percentiles, a summary, paired ratios, timing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Sequence
from typing import TypeVar

T = TypeVar("T")


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank-interpolated percentile, ``p`` in [0, 100]."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, p10/p90, min, max and count of a sample."""
    return {
        "median": round(median(values), 3),
        "p10": round(percentile(values, 10), 3),
        "p90": round(percentile(values, 90), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "n": len(values),
    }


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """Median of per-round ratios: each round measured side by side, so drift cancels."""
    return round(median([n / d for n, d in zip(numerators, denominators, strict=True)]), 4)


def ratio_spread(numerators: Sequence[float], denominators: Sequence[float]) -> dict[str, float]:
    """``summary`` of the per-round ratios: their median is ``paired_ratio``, p10–p90 their
    spread."""
    return summary([n / d for n, d in zip(numerators, denominators, strict=True)])


async def timed(awaitable: Awaitable[T]) -> tuple[T, float]:
    """The awaitable's result and its wall time in ms."""
    started = time.perf_counter()
    result = await awaitable
    return result, (time.perf_counter() - started) * 1000
