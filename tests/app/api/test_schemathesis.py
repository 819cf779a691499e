"""Schemathesis against the served OpenAPI schema: no generated request may cause a 5xx.

Deterministic and complete: a fixed seed and a fixed number of examples per operation (no time
budget), no example database, and every phase: the schema's examples, coverage, fuzzing and the
stateful phase, which follows the schema's OpenAPI links (create a session → ask in it → its
turns and the turn's execution). It runs the schemathesis CLI in a subprocess so the server's
event loop keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.app.api.conftest import ApiServer

pytestmark = pytest.mark.integration
MAX_EXAMPLES = 5
SEED = 7
PHASES = "examples,coverage,fuzzing,stateful"


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
        *("--phases", PHASES),
        *("--max-examples", str(MAX_EXAMPLES)),
        *("--seed", str(SEED)),
        *("--generation-database", "none"),
        *("--request-timeout", "20"),
        "--no-shrink",
        # one worker: hypothesis describes strategies with ast.parse, not thread-safe on 3.11
        *("--workers", "1"),
        # the SSE endpoints stream until the query ends; test_api.py covers them
        *("--exclude-path-regex", "stream|events"),
        *("--report", "ndjson"),
        *("--report-ndjson-path", str(tmp_path / "events.ndjson")),
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
    output, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-6000:]
    events = [json.loads(line) for line in (tmp_path / "events.ndjson").read_text().splitlines()]
    stateful = [
        e["PhaseStarted"]["payload"]
        for e in events
        if e.get("PhaseStarted", {}).get("phase", {}).get("name") == "stateful"
    ]
    assert stateful and stateful[0]["transitions_selected"] >= 6, stateful  # the session links
    scenarios = [
        e["ScenarioFinished"]["status"]
        for e in events
        if e.get("ScenarioFinished", {}).get("phase") == "stateful"
    ]
    assert scenarios.count("success") >= 1, scenarios
