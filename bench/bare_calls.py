"""The calls a bare workflow replays (``bench.bare_calls_workflow``): recorded from docorch runs,
loaded by key in the bare worker's process before it starts. The module is passed through the
workflow sandbox, so a workflow run sees what was loaded, and its class is defined once per
process, not once per workflow run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class BareCall:
    """One activity call recorded from a docorch query: run ``activity`` (as a local activity
    when ``local``) with ``input`` once the calls in ``depends_on`` (their positions in the
    list of calls) are done."""

    __slots__ = (
        "activity",
        "depends_on",
        "heartbeat_seconds",
        "id",
        "input",
        "local",
        "start_to_close_seconds",
    )

    def __init__(
        self,
        id: str,
        activity: str,
        input: Any,
        depends_on: list[int] | None = None,
        *,
        local: bool = False,
        start_to_close_seconds: float = 30.0,
        heartbeat_seconds: float | None = None,
    ) -> None:
        self.id = id
        self.activity = activity
        self.input = input
        self.depends_on = depends_on or []
        self.local = local
        self.start_to_close_seconds = start_to_close_seconds
        self.heartbeat_seconds = heartbeat_seconds

    def as_json(self) -> dict[str, Any]:
        """The call as a JSON object (``BareCall(**that)`` reads it back)."""
        return {name: getattr(self, name) for name in self.__slots__}


CALLS: dict[str, list[BareCall]] = {}


def save(calls: dict[str, list[BareCall]], path: Path) -> None:
    """Write ``calls`` as JSON for ``load`` in another process."""
    path.write_text(json.dumps({k: [c.as_json() for c in v] for k, v in calls.items()}))


def load(path: Path) -> None:
    """Fill ``CALLS`` from a file ``save`` wrote."""
    CALLS.clear()
    for key, calls in json.loads(path.read_text()).items():
        CALLS[key] = [BareCall(**c) for c in calls]
