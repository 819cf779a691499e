"""Counting closed runs in Temporal visibility, which is eventually consistent."""

from __future__ import annotations

import asyncio

from temporalio.client import Client


async def closed_runs(client: Client, workflow_type: str, task_queue: str, at_least: int) -> int:
    """How many ``workflow_type`` runs on ``task_queue`` visibility lists as closed, waiting (a
    bounded while) until it lists ``at_least``: it may lag the runs a moment."""
    query = (
        f"WorkflowType = '{workflow_type}' AND TaskQueue = '{task_queue}' "
        "AND ExecutionStatus != 'Running'"
    )
    found = 0
    for _ in range(50):
        found = len([w async for w in client.list_workflows(query)])
        if found >= at_least:
            break
        await asyncio.sleep(0.1)
    return found
