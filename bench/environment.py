"""The one dev server every benchmark shares (tuned polling, docorch's search attributes), a
client on it and docorch settings private to the run.

A benchmark module exposes ``NAME``, ``async def run(quick: bool) -> dict`` and
``def table(results: dict) -> str``; inside ``run`` it calls ``await environment()`` for the
shared server, client and settings (started once per ``python -m bench``, stopped by ``close()``).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from app.runtime.devserver import FAST_DISPATCH, SEARCH_ATTRIBUTES, temporal_binary
from bench.cpu import child_pid
from bench.paths import SAMPLES
from models.settings import Settings


@dataclass
class BenchEnv:
    """The running dev server, a client on it (pydantic converter) and docorch settings whose
    data directory and allowed roots (``samples/`` and ``docs_dir``) are private to this run."""

    env: WorkflowEnvironment
    settings: Settings
    root: Path
    docs_dir: Path
    server_pid: int | None
    dev_server_args: list[str] = field(default_factory=list)

    @property
    def client(self) -> Client:
        return self.env.client


_env: BenchEnv | None = None
_env_lock = asyncio.Lock()


def dev_server_args() -> list[str]:
    """FAST_DISPATCH (the tuned transfer-queue polling docorch's embedded server uses) plus
    docorch's search attributes."""
    extra = list(FAST_DISPATCH)
    for name, kind in SEARCH_ATTRIBUTES.items():
        extra += ["--search-attribute", f"{name}={kind}"]
    return extra


async def environment() -> BenchEnv:
    """The shared dev server, started on first use and stopped by ``close()``."""
    global _env
    async with _env_lock:
        if _env is None:
            root = Path(tempfile.mkdtemp(prefix="docorch-bench-"))
            docs = root / "docs"
            docs.mkdir()
            settings = Settings(data_dir=root / "data", allowed_roots=(SAMPLES, docs))
            args = dev_server_args()
            env = await WorkflowEnvironment.start_local(
                dev_server_existing_path=str(temporal_binary()),
                dev_server_extra_args=args,
                data_converter=pydantic_data_converter,
            )
            port = env.client.service_client.config.target_host.rsplit(":", 1)[-1]
            _env = BenchEnv(
                env=env,
                settings=settings,
                root=root,
                docs_dir=docs,
                server_pid=child_pid(lambda cmd: "start-dev" in cmd and f"--port {port}" in cmd),
                dev_server_args=args,
            )
        return _env


async def close() -> None:
    """Stop the shared dev server and remove its data directory."""
    global _env
    if _env is not None:
        await _env.env.shutdown()
        shutil.rmtree(_env.root, ignore_errors=True)
        _env = None
