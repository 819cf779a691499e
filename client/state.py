"""state_summary across the scopes docorch keeps state in.

Session and execution figures come from Temporal visibility (open SessionWorkflows, running
QueryWorkflows); global figures (per-tool calls) from the store's tool figures. Step outputs
live in each execution's Temporal history and nowhere else.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from temporalio.client import Client

from models.session import SessionState
from models.settings import Settings
from models.state import ScopeSummary, StateSummary
from store import open_store
from workflows.session import SessionWorkflow

RUNNING_QUERIES = "WorkflowType = 'QueryWorkflow' AND ExecutionStatus = 'Running'"
OPEN_SESSIONS = "WorkflowType = 'SessionWorkflow' AND ExecutionStatus = 'Running'"
MAX_SESSIONS_READ = 200


async def _open_sessions(client: Client) -> list[SessionState]:
    states: list[SessionState] = []
    async for execution in client.list_workflows(OPEN_SESSIONS, limit=MAX_SESSIONS_READ):
        handle = client.get_workflow_handle_for(SessionWorkflow.run, execution.id)
        try:
            states.append(await handle.query(SessionWorkflow.snapshot))
        except Exception:
            continue  # closed between the listing and the query
    return states


async def _running_queries(client: Client) -> list[tuple[str, str | None]]:
    return [
        (w.id, w.start_time.isoformat() if w.start_time else None)
        async for w in client.list_workflows(RUNNING_QUERIES)
    ]


async def state_summary(
    client: Client, settings: Settings, *, registered_tools: int
) -> StateSummary:
    """Entries, bytes and the oldest entry per scope; active sessions; learned tool figures."""
    figures = open_store(settings).figures
    totals, tools = await asyncio.gather(
        asyncio.to_thread(figures.totals), asyncio.to_thread(figures.tool_stats)
    )
    global_scope = ScopeSummary(
        scope="global",
        entries=totals.calls,
        bytes=totals.bytes,
        oldest=datetime.fromtimestamp(totals.oldest, UTC).isoformat() if totals.oldest else None,
        details={"registered_tools": registered_tools},
    )
    sessions = await _open_sessions(client)
    running = await _running_queries(client)
    session_scope = ScopeSummary(
        scope="session",
        entries=sum(len(s.turns) for s in sessions),
        bytes=sum(len(s.model_dump_json()) for s in sessions),
        details={
            "open_sessions": len(sessions),
            "documents": sum(len(s.documents) for s in sessions),
        },
    )
    starts = [start for _, start in running if start]
    execution_scope = ScopeSummary(
        scope="execution",
        entries=len(running),
        oldest=min(starts) if starts else None,
        details={"running_queries": len(running)},
    )
    return StateSummary(
        scopes=[global_scope, session_scope, execution_scope],
        active_sessions=len(sessions),
        running_queries=len(running),
        tools=tools,
    )
