"""PlanPreviewWorkflow on the real dev server: the plan a query would run (validated) and the
documents it would read; no tool runs. (An LLM plan previewed: test_llm_workflow.py.)"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from client.sdk import query_request
from models.names import RESOLVE_AND_PLAN_ACTIVITY
from tests.conftest import WorkerFactory
from tests.workflows.recording import record_history
from tests.workflows.test_resolve_and_plan import activity_calls
from workflows.preview import PlanPreviewWorkflow

pytestmark = pytest.mark.integration

QUESTION = "What is the notice period for termination for convenience?"


def _contracts(samples: Path) -> list[str]:
    return [str(samples / "contract_acme_globex.md"), str(samples / "contract_acme_initech.md")]


def _failure_type(error: WorkflowFailureError) -> str | None:
    assert isinstance(error.cause, ApplicationError)
    return error.cause.type


async def test_preview_plans_without_running_a_step(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    documents = [*_contracts(samples), str(samples / "no_such_file.md")]
    workflow_id = f"plan-preview-test-{uuid.uuid4()}"
    async with run_worker() as sdk:
        await sdk.ingest(_contracts(samples))  # stored: planned in the first workflow task
        preview = await client.execute_workflow(
            PlanPreviewWorkflow.run,
            query_request(QUESTION, documents),
            id=workflow_id,
            task_queue=sdk.task_queue,
        )
    plan = preview.plan.plan
    assert plan.source == "template" and plan.query_type.value == "qa"
    assert sorted(s for level in preview.plan.levels for s in level) == sorted(
        s.id for s in plan.steps
    )
    assert [d.name for d in preview.documents.documents] == [
        "contract_acme_globex.md",
        "contract_acme_initech.md",
    ]
    assert [f.error_type for f in preview.documents.failures] == ["DocumentNotFound"]
    assert await activity_calls(client, workflow_id) == [
        ("local", RESOLVE_AND_PLAN_ACTIVITY, "plan")
    ]
    await record_history(client, workflow_id, "plan_preview_protocol2")


async def test_preview_fails_with_a_type_when_nothing_can_be_planned(
    run_worker: WorkerFactory, samples: Path
) -> None:
    unknown_tool: dict[str, Any] = {
        "query": QUESTION,
        "reasoning": "a tool that does not exist",
        "query_type": "qa",
        "steps": [{"id": "s", "tool": "no_such_tool", "params": {}}],
        "answer_step": "s",
    }
    async with run_worker() as sdk:
        with pytest.raises(WorkflowFailureError) as no_documents:
            await sdk.preview_plan(QUESTION, [str(samples / "no_such_file.md")])
        with pytest.raises(WorkflowFailureError) as invalid_plan:
            await sdk.preview_plan(QUESTION, _contracts(samples), plan=unknown_tool)
    assert _failure_type(no_documents.value) == "NoUsableDocuments"
    assert _failure_type(invalid_plan.value) == "InvalidPlan"
    assert "no_such_tool" in str(invalid_plan.value.cause)
