"""The installed ``docorch`` command against the session's dev server: ``ingest`` and ``plan`` go
through their workflows on a worker (the CLI runs one in-process when a server answers).

Each command runs in a process of its own, as a user runs it (the CLI configures logging and
the tool context process-wide)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client

from app.runtime.devserver import ui_url
from models.settings import Settings
from tests.app.cli.conftest import DOCORCH
from tests.visibility import closed_runs

pytestmark = pytest.mark.integration

QUESTION = "What is the notice period for termination for convenience?"


def docorch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``docorch`` command."""
    return subprocess.run(
        [str(DOCORCH), *args], env=env, capture_output=True, text=True, timeout=120
    )


def _flat(text: str) -> str:
    """The output without white space: rich folds long lines (paths) at the console width."""
    return "".join(text.split())


def _closed_workflows(client: Client, workflow_type: str, task_queue: str, count: int) -> int:
    """``tests.visibility.closed_runs`` from this synchronous test."""
    return asyncio.run(closed_runs(client, workflow_type, task_queue, count))


def test_ingest_goes_through_the_ingest_workflow(
    cli_env: dict[str, str], client: Client, samples: Path
) -> None:
    globex = str(samples / "contract_acme_globex.md")
    missing = str(samples / "no_such_file.md")
    result = docorch(cli_env, "ingest", globex, missing)
    assert result.returncode == 1, result.stderr
    assert "ingestedcontract_acme_globex.md" in _flat(result.stdout)
    assert "DocumentNotFound" in result.stderr and "no_such_file.md" in _flat(result.stderr)
    as_json = docorch(cli_env, "ingest", "--json", globex)
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert [d["name"] for d in report["documents"]] == ["contract_acme_globex.md"]
    assert _closed_workflows(client, "IngestWorkflow", cli_env["DOCORCH_TASK_QUEUE"], 2) == 2


def test_plan_previews_through_the_planning_activity(
    cli_env: dict[str, str], client: Client, samples: Path
) -> None:
    docs = [
        "-d",
        str(samples / "contract_acme_globex.md"),
        "-d",
        str(samples / "contract_acme_initech.md"),
    ]
    shown = docorch(cli_env, "plan", QUESTION, *docs)
    assert shown.returncode == 0, shown.stderr
    assert "level 1" in shown.stdout and "valid" in shown.stdout
    as_json = docorch(cli_env, "plan", "--json", QUESTION, *docs)
    assert as_json.returncode == 0, as_json.stderr
    preview = json.loads(as_json.stdout)
    assert preview["plan"]["plan"]["query_type"] == "qa" and preview["plan"]["levels"]
    assert _closed_workflows(client, "PlanPreviewWorkflow", cli_env["DOCORCH_TASK_QUEUE"], 2) == 2


def test_plan_without_a_usable_document_fails_with_the_reason(
    cli_env: dict[str, str], samples: Path
) -> None:
    result = docorch(cli_env, "plan", QUESTION, "-d", str(samples / "no_such_file.md"))
    assert result.returncode == 1
    assert "nousabledocuments" in _flat(result.stderr) and "no_such_file.md" in _flat(result.stderr)


def test_ask_links_the_query_in_the_ui_of_the_server_it_ran_on(
    cli_env: dict[str, str], client: Client, samples: Path
) -> None:
    """The trace link follows the server's address (a dev server's UI is on port + 1000), or
    DOCORCH_UI_URL when set; never a fixed 8233."""
    doc = ["-d", str(samples / "contract_acme_globex.md")]
    host_port = cli_env["TEMPORAL_ADDRESS"]
    port = int(host_port.rpartition(":")[2])
    asked = docorch(cli_env, "ask", QUESTION, *doc)
    assert asked.returncode == 0, asked.stderr
    output = _flat(asked.stdout)
    assert f"trace:http://127.0.0.1:{port + 1000}/namespaces/default/workflows/query-" in output
    configured = docorch(
        {**cli_env, "DOCORCH_UI_URL": "https://ui.example.com/"}, "ask", QUESTION, *doc
    )
    assert configured.returncode == 0, configured.stderr
    assert "trace:https://ui.example.com/namespaces/default/workflows/query-" in _flat(
        configured.stdout
    )


def test_the_ui_address_is_configured_or_derived_from_the_server_address() -> None:
    assert ui_url("localhost:7300") == "http://127.0.0.1:8300"
    assert ui_url("temporal.internal:7233") == "http://temporal.internal:8233"
    configured = Settings(ui_url="https://cloud.temporal.io/")
    assert ui_url("ns.tmprl.cloud:7233", configured) == "https://cloud.temporal.io"


def test_ask_uploads_a_file_the_worker_cannot_read(
    cli_env: dict[str, str], samples: Path, tmp_path: Path
) -> None:
    """The claim check: the caller's file goes into the store; the worker, allowed to read only
    an empty directory, answers from the uploaded bytes."""
    here = tmp_path / "caller"
    here.mkdir()
    contract = here / "my contract.md"
    unique = f"\n\nCopy {uuid.uuid4()}.\n".encode()  # bytes of its own: a name of its own
    contract.write_bytes((samples / "contract_acme_globex.md").read_bytes() + unique)
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    env = {**cli_env, "DOCORCH_ALLOWED_ROOTS": str(nowhere)}
    refused = docorch(env, "ask", "--json", QUESTION, "--doc", f"file:{contract}")
    assert refused.returncode == 1 and "outside" in _flat(refused.stderr).lower(), refused.stderr
    result = subprocess.run(
        [str(DOCORCH), "ask", "--json", QUESTION, "--doc", contract.name],
        env=env,
        cwd=here,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert "90 days" in answer["answer"]
    assert {c["document_name"] for c in answer["citations"]} == {"my contract.md"}


def test_an_unreachable_store_is_a_one_line_error_without_the_password(
    cli_env: dict[str, str], samples: Path
) -> None:
    env = {**cli_env, "DOCORCH_STORE_URL": "postgresql://docorch:s3cret@127.0.0.1:9/nowhere"}
    result = docorch(env, "ingest", str(samples / "contract_acme_globex.md"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr
    assert result.stderr.startswith("error: store:") and "127.0.0.1:9" in result.stderr
