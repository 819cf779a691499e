"""state_summary and cleanup across the four scopes (``docorch state``, GET /system/state).

Session and execution figures come from Temporal visibility (``client.state``); step and global
figures from the state store in the data directory.
"""

from __future__ import annotations

from temporalio.client import Client

from activities.state import StateStore
from client.state import open_sessions, referenced_executions, running_queries
from models.settings import Settings
from models.state import CleanupReport, ScopeSummary, StateSummary


async def state_summary(
    client: Client, settings: Settings, *, registered_tools: int
) -> StateSummary:
    """Entries, bytes and the oldest entry per scope; active sessions; learned tool figures."""
    store = StateStore(settings.data_dir)
    sessions = await open_sessions(client)
    running = await running_queries(client)
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
