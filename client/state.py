"""What is open and running, from Temporal visibility: open sessions (with their state) and
running queries. ``app.state`` adds the worker-side figures for ``docorch state``."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import Client, WorkflowHandle

from models.names import QUERY_WORKFLOW, SESSION_WORKFLOW
from models.session import SessionState
from workflows.session import SessionWorkflow

RUNNING_QUERIES = f"WorkflowType = '{QUERY_WORKFLOW}' AND ExecutionStatus = 'Running'"
OPEN_SESSIONS = f"WorkflowType = '{SESSION_WORKFLOW}' AND ExecutionStatus = 'Running'"
MAX_SESSIONS_READ = 200
SNAPSHOT_TIMEOUT = timedelta(seconds=3)


async def open_sessions(client: Client) -> list[SessionState]:
    """The state of every open session (at most MAX_SESSIONS_READ), read all at once; a session
    that does not answer within SNAPSHOT_TIMEOUT (closed since the listing, or its workflow
    stuck) is left out rather than holding the others up."""
    handles = [
        client.get_workflow_handle_for(SessionWorkflow.run, execution.id)
        async for execution in client.list_workflows(OPEN_SESSIONS, limit=MAX_SESSIONS_READ)
    ]
    snapshots = await asyncio.gather(*(_snapshot(handle) for handle in handles))
    return [state for state in snapshots if state is not None]


async def _snapshot(handle: WorkflowHandle[SessionWorkflow, SessionState]) -> SessionState | None:
    try:
        state: SessionState = await handle.query(
            SessionWorkflow.snapshot, rpc_timeout=SNAPSHOT_TIMEOUT
        )
    except Exception:
        return None
    return state


async def running_queries(client: Client) -> list[tuple[str, str | None]]:
    """(workflow id, ISO start time) of every running query."""
    return [
        (w.id, w.start_time.isoformat() if w.start_time else None)
        async for w in client.list_workflows(RUNNING_QUERIES)
    ]
