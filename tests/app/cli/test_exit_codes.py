"""Every ``docorch`` command ends with its own exit code, every time: 0 after an answer (never an
abort at interpreter teardown, temporalio/sdk-python#300), 1 with a one-line message for bad
input, 130 after Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.app.cli.conftest import DOCORCH
from tests.conftest import WorkerFactory

QUESTION = "What is the notice period for termination for convenience?"
RUNS = 30

pytestmark = pytest.mark.integration


def _docorch(
    env: dict[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DOCORCH), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


async def test_ask_json_exits_0_every_time(
    cli_env: dict[str, str], run_worker: WorkerFactory, samples: Path
) -> None:
    document = str(samples / "contract_acme_globex.md")
    codes: Counter[int] = Counter()
    failures: list[str] = []
    async with run_worker(task_queue=cli_env["DOCORCH_TASK_QUEUE"]):
        for _ in range(RUNS):
            done = await asyncio.to_thread(
                _docorch, cli_env, "ask", QUESTION, "--doc", document, "--json"
            )
            codes[done.returncode] += 1
            if done.returncode != 0:
                failures.append(done.stderr[-2000:])
                continue
            assert "90 days" in json.loads(done.stdout)["answer"]
    assert codes == Counter({0: RUNS}), failures[:3]


async def test_bad_input_exits_1_with_a_one_line_message(cli_env: dict[str, str]) -> None:
    done = await asyncio.to_thread(_docorch, cli_env, "watch", f"session-{uuid.uuid4()}")
    assert done.returncode == 1
    message = " ".join(done.stderr.split())
    assert message.startswith("error: 'session-") and "is a session's id" in message
    assert "Traceback" not in done.stderr


async def test_ctrl_c_exits_130(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "DOCORCH_LOG_FORMAT": "json"}
    process = subprocess.Popen([str(DOCORCH), "worker"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = await asyncio.wait_for(asyncio.to_thread(process.stderr.readline), 60)
        assert "worker_started" in line, line
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(asyncio.to_thread(process.wait), 30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert code == 130
