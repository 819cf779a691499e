"""Histories of integration runs, kept for the replay test."""

from __future__ import annotations

import json
import os
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

HISTORIES = Path(__file__).resolve().parent.parent / "histories"
SESSION_HISTORIES: list[WorkflowHistory] = []


async def record_history(client: Client, workflow_id: str, name: str) -> WorkflowHistory:
    """Fetch a finished workflow's history; keep it for this session's replay test and, with
    DOCORCH_RECORD_HISTORIES=1, write it to tests/histories/<name>.json."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    SESSION_HISTORIES.append(history)
    if os.environ.get("DOCORCH_RECORD_HISTORIES") == "1":
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())
    return history


def version_markers(history: WorkflowHistory) -> list[str]:
    """The history's version-marker events, in order: ``marker <patch id>`` for each patch
    marker, ``upsert <ids>`` for each TemporalChangeVersion upsert the SDK wrote with one."""
    found = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            marker = event.marker_recorded_event_attributes
            if marker.marker_name == "core_patch":
                (data,) = marker.details["patch-data"].payloads
                found.append(f"marker {json.loads(data.data)['id']}")
        elif event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
            if "TemporalChangeVersion" in fields.indexed_fields:
                ids = json.loads(fields.indexed_fields["TemporalChangeVersion"].data)
                found.append(f"upsert {','.join(ids)}")
    return found
