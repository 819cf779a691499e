"""Histories of integration runs, kept for the replay test."""

from __future__ import annotations

import os
from pathlib import Path

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
