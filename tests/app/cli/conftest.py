"""What the CLI tests share: the installed ``docorch`` command and its environment."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client

from models.settings import Settings

DOCORCH = Path(sys.executable).with_name("docorch")


@pytest.fixture
def cli_env(client: Client, settings: Settings, samples: Path) -> dict[str, str]:
    """The CLI's environment: the session's server, data directory and samples, and a fresh
    task queue (whose workflows the test then looks up)."""
    return {
        **os.environ,
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "DOCORCH_TASK_QUEUE": f"cli-{uuid.uuid4().hex[:8]}",
        "DOCORCH_DATA_DIR": str(settings.data_dir),
        "DOCORCH_ALLOWED_ROOTS": str(samples),
    }
