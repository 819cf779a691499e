"""Small plans the pure-logic tests share."""

from __future__ import annotations

from typing import Any

from models.plan import Step


def step(step_id: str, **params: Any) -> Step:
    """A step of tool ``t`` with these parameters."""
    return Step(id=step_id, tool="t", params=dict(params))


DIAMOND = [
    step("a"),
    step("b", x="$a.passages"),
    step("c", x="$a"),
    step("d", x=["$b.passages", "$c.passages"]),
]
"""a -> (b, c) -> d."""
