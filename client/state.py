"""state_summary and cleanup across the four scopes.

Session and execution figures come from Temporal visibility (open SessionWorkflows, running
QueryWorkflows); step and global figures from the state store in the data directory.
"""

from __future__ import annotations

from temporalio.client import Client

from activities.state import StateStore
from models.session import SessionState
from models.settings import Settings
from models.state import CleanupReport, ScopeSummary, StateSummary
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


async def referenced_executions(client: Client) -> set[str]:
    """Workflow ids whose step outputs must be kept: running queries and open sessions' turns."""
    keep = {workflow_id for workflow_id, _ in await _running_queries(client)}
    for session in await _open_sessions(client):
        keep.add(session.session_id)
        keep |= {t.query_workflow_id for t in session.turns}
    return keep


async def state_summary(
    client: Client, settings: Settings, *, registered_tools: int
) -> StateSummary:
    """Entries, bytes and the oldest entry per scope; active sessions; learned tool figures."""
    store = StateStore(settings.data_dir)
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
        scopes=[
            store.global_scope(registered_tools),
            session_scope,
            execution_scope,
            store.step_scope(),
        ],
        active_sessions=len(sessions),
        running_queries=len(running),
        tools=store.tool_stats(),
    )


async def cleanup(client: Client, settings: Settings, *, ttl_seconds: float) -> CleanupReport:
    """Remove expired step outputs that nothing running or open refers to."""
    keep = await referenced_executions(client)
    return StateStore(settings.data_dir).cleanup_step_outputs(ttl_seconds=ttl_seconds, keep=keep)
