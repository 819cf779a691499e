"""The command line against the session's dev server: ``ingest`` and ``plan`` go through their
workflows on a worker (the CLI runs one in-process when a server answers), never in the CLI."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client
from typer.testing import CliRunner

from app.cli import app
from models.settings import Settings

pytestmark = pytest.mark.integration

QUESTION = "What is the notice period for termination for convenience?"


@pytest.fixture
def task_queue(
    monkeypatch: pytest.MonkeyPatch, client: Client, settings: Settings, samples: Path
) -> str:
    """The CLI's environment: the session's server, data directory and samples, and a fresh
    task queue (whose workflows the test then looks up)."""
    queue = f"cli-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("TEMPORAL_ADDRESS", client.service_client.config.target_host)
    monkeypatch.setenv("DOCORCH_TASK_QUEUE", queue)
    monkeypatch.setenv("DOCORCH_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOCORCH_ALLOWED_ROOTS", str(samples))
    return queue


def _flat(text: str) -> str:
    """The output without white space: rich folds long lines (paths) at the console width."""
    return "".join(text.split())


def _closed_workflows(client: Client, workflow_type: str, task_queue: str) -> list[str]:
    """Ids of the closed ``workflow_type`` runs on ``task_queue``, once visibility lists any."""
    query = (
        f"WorkflowType = '{workflow_type}' AND TaskQueue = '{task_queue}' "
        "AND ExecutionStatus != 'Running'"
    )

    async def listed() -> list[str]:
        for _ in range(50):  # visibility is eventually consistent
            found = [w.id async for w in client.list_workflows(query)]
            if found:
                return found
            await asyncio.sleep(0.1)
        return []

    return asyncio.run(listed())


def test_ingest_goes_through_the_ingest_workflow(
    task_queue: str, client: Client, samples: Path
) -> None:
    globex = str(samples / "contract_acme_globex.md")
    missing = str(samples / "no_such_file.md")
    result = CliRunner().invoke(app, ["ingest", globex, missing])
    assert result.exit_code == 1, result.output
    assert "ingestedcontract_acme_globex.md" in _flat(result.stdout)
    assert "DocumentNotFound" in result.stderr and "no_such_file.md" in _flat(result.stderr)
    as_json = CliRunner().invoke(app, ["ingest", "--json", globex])
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    assert [d["name"] for d in report["documents"]] == ["contract_acme_globex.md"]
    assert len(_closed_workflows(client, "IngestWorkflow", task_queue)) == 2


def test_plan_previews_through_the_planning_activity(
    task_queue: str, client: Client, samples: Path
) -> None:
    docs = [
        "-d",
        str(samples / "contract_acme_globex.md"),
        "-d",
        str(samples / "contract_acme_initech.md"),
    ]
    shown = CliRunner().invoke(app, ["plan", QUESTION, *docs])
    assert shown.exit_code == 0, shown.output
    assert "level 1" in shown.stdout and "valid" in shown.stdout
    as_json = CliRunner().invoke(app, ["plan", "--json", QUESTION, *docs])
    assert as_json.exit_code == 0, as_json.output
    preview = json.loads(as_json.stdout)
    assert preview["plan"]["plan"]["query_type"] == "qa" and preview["plan"]["levels"]
    assert len(_closed_workflows(client, "PlanPreviewWorkflow", task_queue)) == 2


def test_plan_without_a_usable_document_fails_with_the_reason(
    task_queue: str, samples: Path
) -> None:
    result = CliRunner().invoke(app, ["plan", QUESTION, "-d", str(samples / "no_such_file.md")])
    assert result.exit_code == 1
    assert "nousabledocuments" in _flat(result.stderr) and "no_such_file.md" in _flat(result.stderr)
