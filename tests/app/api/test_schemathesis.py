"""Schemathesis against the served OpenAPI schema: no generated request may cause a 5xx.

Bounded (a few examples per operation, a time budget) so it stays well under 30 s; it runs the
schemathesis CLI in a subprocess so the server's event loop keeps serving meanwhile."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.app.api.conftest import ApiServer

pytestmark = pytest.mark.integration
MAX_EXAMPLES = 5
TIME_BUDGET_SECONDS = 15


def _schemathesis() -> str | None:
    beside_python = Path(sys.executable).with_name("schemathesis")
    return str(beside_python) if beside_python.exists() else shutil.which("schemathesis")


async def test_generated_requests_never_cause_a_server_error(
    api_server: ApiServer, tmp_path: Path
) -> None:
    command = _schemathesis()
    if command is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[dev]')")
    arguments = [
        *("--checks", "not_a_server_error"),
        *("--max-examples", str(MAX_EXAMPLES)),
        *("--max-time", str(TIME_BUDGET_SECONDS)),
        *("--phases", "coverage,fuzzing"),
        *("--request-timeout", "15"),
        *("--seed", "7"),
        "--no-shrink",
        # one worker: hypothesis describes strategies with ast.parse, not thread-safe on 3.11
        *("--workers", "1"),
        # the SSE endpoints stream until the query ends; test_api.py covers them
        *("--exclude-path-regex", "stream|events"),
    ]
    process = await asyncio.create_subprocess_exec(
        command,
        "run",
        f"{api_server.base_url}/openapi.json",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-6000:]
