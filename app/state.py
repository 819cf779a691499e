"""state_summary across the scopes docorch keeps state in (``docorch state``, GET /system/state).

Session and execution figures come from Temporal visibility (``client.state``); global figures
(per-tool calls) from the store's tool figures. Step outputs live in each execution's Temporal
history and nowhere else.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from temporalio.client import Client

from client.state import open_sessions, running_queries
from models.settings import Settings
from models.state import ScopeSummary, StateSummary
from store import open_store


async def state_summary(
    client: Client, settings: Settings, *, registered_tools: int | None
) -> StateSummary:
    """Entries, bytes and the oldest entry per scope; active sessions; learned tool figures.
    ``registered_tools``: how many tools the workers run (None: no worker told)."""
    figures = open_store(settings).figures
    totals, tools = await asyncio.gather(
        asyncio.to_thread(figures.totals), asyncio.to_thread(figures.tool_stats)
    )
    global_scope = ScopeSummary(
        scope="global",
        entries=totals.calls,
        bytes=totals.bytes,
        oldest=datetime.fromtimestamp(totals.oldest, UTC).isoformat() if totals.oldest else None,
        details={
            "registered_tools": "unknown: no worker answered"
            if registered_tools is None
            else registered_tools
        },
    )
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
        scopes=[global_scope, session_scope, execution_scope],
        active_sessions=len(sessions),
        running_queries=len(running),
        tools=tools,
    )
