"""The Temporal UI reads like the plan: a finished query's history and description carry the
question as the workflow's summary, its documents (or given plan) as details, each activity's
summary (the step's description and key parameters), replan children and the direct path
saying why they started, and current details showing the plan's progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowHistory

from models.names import ActivityId
from models.query import QueryConfig
from models.summaries import one_line
from tests.client.tools import fault_registry, replan_plan
from tests.conftest import WorkerFactory
from tests.workflows.recording import record_history

pytestmark = pytest.mark.integration
QUESTION = "What is the notice period for termination for convenience?"
CONTRACTS = ("contract_acme_globex.md", "contract_acme_initech.md")
ANY_SCORE = QueryConfig(confidence_threshold=0.0)
RECORDED_REPLAN = "resilience_replan_ui_summaries"
"""Also the workflow id: a replay names the replan child after the history's file."""


async def _text(client: Client, payload: Payload) -> str:
    (text,) = await client.data_converter.decode([payload], [str])
    assert isinstance(text, str)
    return text


async def activity_summaries(client: Client, history: WorkflowHistory) -> dict[str, str]:
    """Activity id -> the summary its ScheduleActivityTask command (or, for a local activity,
    its marker) carried."""
    found: dict[str, str] = {}
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            activity_id = event.activity_task_scheduled_event_attributes.activity_id
        elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED and (
            event.marker_recorded_event_attributes.marker_name == "core_local_activity"
        ):
            (data,) = event.marker_recorded_event_attributes.details["data"].payloads
            activity_id = json.loads(data.data)["activity_id"]
        else:
            continue
        assert event.user_metadata.HasField("summary"), event
        found[activity_id] = await _text(client, event.user_metadata.summary)
    return found


async def current_details(client: Client, workflow_id: str) -> str:
    """The current details the UI shows, through the workflow's metadata query."""
    metadata: Any = await client.get_workflow_handle(workflow_id).query(
        "__temporal_workflow_metadata", result_type=WorkflowMetadata
    )
    assert isinstance(metadata, WorkflowMetadata)
    return metadata.current_details


async def test_a_query_reads_like_its_plan_in_the_temporal_ui(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    docs = [str(samples / name) for name in CONTRACTS]
    async with run_worker() as sdk:
        handle = await sdk.start(QUESTION, docs)
        await handle.result()
        plan = (await sdk.state(handle.id)).plan
        details = await current_details(client, handle.id)
    assert plan is not None
    description = await handle.describe()
    assert await description.static_summary() == QUESTION
    static = await description.static_details() or ""
    assert QUESTION in static and all(name in static for name in CONTRACTS)

    history = await handle.fetch_history()
    summaries = await activity_summaries(client, history)
    # new files: the quick local activity defers, the activity ingests and plans
    assert summaries.pop("plan") == "resolve 2 documents, then plan (adaptive strategy)"
    by_step = {s.id: s for s in plan.steps}
    assert summaries, "no tool activity ran"
    for activity_id, summary in summaries.items():
        call = ActivityId.parse(activity_id)
        assert call is not None and call.step in by_step, activity_id
        step = by_step[call.step]
        assert step.description and summary.startswith(one_line(step.description)[:60])
        assert len(summary) <= 200 and "\n" not in summary
    search = next(s for a, s in summaries.items() if by_step[a].tool == "search_documents")
    assert "query='What is the notice period" in search and "documents=[1], top_k=" in search

    assert "| step | tool | depends on | status |" in details
    for step in plan.steps:
        assert f"| {step.id} | {step.tool} |" in details
    assert details.startswith("**completed, confidence")
    assert f"{len(plan.steps)} done" in details
    await record_history(client, handle.id, "qa_ui_summaries")


async def test_replan_children_and_the_direct_path_say_why_they_started(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    docs = [str(samples / CONTRACTS[0])]
    async with run_worker(registry=fault_registry()) as sdk:
        replanned = await sdk.start(
            QUESTION,
            docs,
            plan=replan_plan(QUESTION),
            config=ANY_SCORE,
            workflow_id=RECORDED_REPLAN,
        )
        await replanned.result()
        direct = await sdk.start(
            QUESTION, docs, plan=replan_plan(QUESTION), config=QueryConfig(max_replans=0)
        )
        await direct.result()
        direct_details = await current_details(client, direct.id)

    static = await (await replanned.describe()).static_details() or ""
    assert "**Plan** (given, qa)" in static and "| answer | picky_answer | search |" in static
    child = await client.get_workflow_handle(f"{replanned.id}-replan-1").describe()
    why = await child.static_summary() or ""
    assert why.startswith("replan 1: answer failed:") and "picky_answer" in why
    assert "**Failed steps**" in (await child.static_details() or "")
    child_history = await client.get_workflow_handle(child.id).fetch_history()
    assert (await activity_summaries(client, child_history))["replan_1"] == why

    history = await direct.fetch_history()
    summaries = await activity_summaries(client, history)
    assert summaries["plan"] == "resolve 1 document, then check the given qa plan (2 steps)"
    assert summaries["plan_direct"] == (
        "plan: the direct path (search + answer), because no answer after 0 replan(s)"
    )
    assert "direct path (orchestrator 1.0): no answer after 0 replan(s)" in direct_details
    assert "| answer | picky_answer | search | failed: BadInput |" in direct_details
    await record_history(client, replanned.id, RECORDED_REPLAN)
