"""A workflow helper that reads the clock and draws random numbers the way workflow code must
not. Only the sandbox tests import it."""

from __future__ import annotations

import random
from datetime import datetime


def wall_clock() -> str:
    """The machine's clock: differs on replay."""
    return datetime.now().isoformat()


def dice() -> int:
    """An unseeded draw: differs on replay."""
    return random.randint(1, 6)
