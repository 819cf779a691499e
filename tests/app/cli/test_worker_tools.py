"""``docorch worker --tools`` as a user runs it: the installed command, in a process of its own,
with a tool extension of the user's; the catalogue a client gets from the workers lists the
tool, and a plan that uses it answers. An extension that cannot be loaded stops the worker with
one line naming it, before it connects anywhere."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client

from client.sdk import OrchestratorClient
from tests.app.cli.conftest import DOCORCH

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def worker_env(cli_env: dict[str, str]) -> dict[str, str]:
    """The CLI's environment, with the repository importable (the extension lives in tests/)."""
    return {**cli_env, "PYTHONPATH": str(REPO)}


@pytest.fixture
def extended_worker(worker_env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [str(DOCORCH), "worker", "--tools", "tests.extension_tools:register"],
        env=worker_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def test_a_workers_own_tool_is_listed_and_runs(
    extended_worker: subprocess.Popen[str],
    worker_env: dict[str, str],
    client: Client,
    samples: Path,
) -> None:
    sdk = OrchestratorClient(client, task_queue=worker_env["DOCORCH_TASK_QUEUE"])
    catalog = await sdk.tools(timeout_seconds=60)  # waits for the worker to poll
    assert "count_words" in catalog.names() and "search_documents" in catalog.names()
    document = str(samples / "contract_acme_globex.md")
    plan = {
        "query": "How long is the contract?",
        "query_type": "qa",
        "steps": [
            {"id": "count", "tool": "count_words", "params": {"documents": "$input.documents"}}
        ],
        "answer_step": "count",
    }
    result = await sdk.run("How long is the contract?", [document], plan=plan)
    words = len(Path(document).read_text(encoding="utf-8").split())
    (line,) = result.answer.splitlines()
    name, _, counted = line.partition(": ")
    assert name == "contract_acme_globex.md" and counted.endswith(" words")
    # the stored text, not the raw file: close to the file's own count
    assert abs(int(counted.split()[0]) - words) <= words // 10
    assert extended_worker.poll() is None


def test_an_extension_that_cannot_load_stops_the_worker_in_one_line(
    worker_env: dict[str, str],
) -> None:
    env = {**worker_env, "TEMPORAL_ADDRESS": "127.0.0.1:9"}  # nothing listens: never reached
    result = subprocess.run(
        [str(DOCORCH), "worker", "--tools", "tests.extension_tools:broken"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "docorch worker: tool extension tests.extension_tools:broken failed: RuntimeError: "
        "the licence server for these tools is unreachable"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("command", "tools", "said"),
    [
        (
            ["worker", "--tools", "my tools:register"],
            "",
            "error: 'my tools:register': name a tool extension as 'module:function', e.g. "
            "mytools:register",
        ),
        (
            ["worker"],
            "tests.extension_tools:register, my tools:register",
            "error: 'my tools:register': name a tool extension as 'module:function', e.g. "
            "mytools:register",
        ),
        (
            ["worker", "--tools", " tests.extension_tools:broken "],
            "",
            "docorch worker: tool extension tests.extension_tools:broken failed: RuntimeError: "
            "the licence server for these tools is unreachable",
        ),
        (
            ["ask", "How long is the contract?", "--doc", "contract_acme_globex.md"],
            "tests.careless_import:register",
            "error: tool extension tests.careless_import:register: cannot import "
            "tests.careless_import: RuntimeError: MYTOOLS_ENDPOINT is not set",
        ),
    ],
)
def test_a_bad_tool_extension_setting_stops_the_command_in_one_line(
    worker_env: dict[str, str], command: list[str], tools: str, said: str
) -> None:
    """A malformed ``--tools`` or DOCORCH_TOOLS ended ``docorch worker`` with pydantic's
    traceback, and spaces around a ``--tools`` value (which DOCORCH_TOOLS forgives) made it
    malformed; ``docorch ask`` found a broken DOCORCH_TOOLS only after it had started a dev
    server, and printed its traceback. Nothing here reaches a server."""
    env = {
        **worker_env,
        "TEMPORAL_ADDRESS": "127.0.0.1:9",  # nothing listens: never reached
        "DOCORCH_TOOLS": tools,
        "COLUMNS": "500",  # the message on one line
    }
    result = subprocess.run(
        [str(DOCORCH), *command], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == said, result.stderr
    assert "Traceback" not in result.stderr
