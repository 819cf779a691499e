"""Reading the SDK core's markers in a workflow history: a local activity leaves no activity
events, only a marker naming it and holding its result."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

__all__ = ["local_activity"]

_LOCAL_ACTIVITY_MARKER = "core_local_activity"


def local_activity(event: HistoryEvent) -> tuple[str, str, Sequence[Any]] | None:
    """(activity type, activity id, result payloads) of a local activity's marker; None for
    any other event. The marker is the SDK core's: a JSON ``data`` detail naming the activity,
    and a ``result`` detail (absent when it failed)."""
    if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
        return None
    marker = event.marker_recorded_event_attributes
    if marker.marker_name != _LOCAL_ACTIVITY_MARKER or "data" not in marker.details:
        return None
    try:
        data = json.loads(marker.details["data"].payloads[0].data)
        kind, activity_id = str(data["activity_type"]), str(data["activity_id"])
    except (IndexError, KeyError, TypeError, ValueError):
        return None
    result = marker.details["result"].payloads if "result" in marker.details else []
    return kind, activity_id, result
