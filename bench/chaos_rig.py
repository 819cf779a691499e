"""The chaos soak's processes: a Temporal dev server with a persistent database (killed with
SIGKILL and started again on the same port, it keeps every workflow) and one docorch worker
process (``tests/worker_process.py``) that is replaced when killed; a client and an SDK on them."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client

from app.runtime.embedded import connect_when_ready
from bench.paths import SAMPLES
from client.sdk import OrchestratorClient
from models.settings import Settings
from tests.persistent_server import PersistentServer, free_port
from tests.worker_process import spawn

REPLY_WITHIN_S = 180.0
"""How long a query's caller keeps trying while the server is away (the SDK's reconnect)."""


def _drain(process: subprocess.Popen[str]) -> None:
    """Read the worker's stdout (its logs) so that a full pipe never blocks it."""
    stream = process.stdout
    if stream is not None:
        threading.Thread(target=stream.read, daemon=True).start()


class WorkerSlot:
    """The one worker process; ``replace`` kills it with SIGKILL and starts another."""

    def __init__(self, address: str, queue: str, settings: Settings, calls: Path) -> None:
        self.address, self.queue, self.settings, self.calls = address, queue, settings, calls
        self.stack = AsyncExitStack()
        self.process: subprocess.Popen[str] | None = None

    async def start(self) -> None:
        self.process = await self.stack.enter_async_context(
            spawn(
                self.address,
                self.queue,
                data_dir=self.settings.data_dir,
                allowed_roots=self.settings.allowed_roots,
                calls=self.calls,
                store_url=self.settings.store_url,
            )
        )
        _drain(self.process)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            await asyncio.to_thread(self.process.wait)
        await self.stack.aclose()
        self.stack = AsyncExitStack()

    async def replace(self) -> None:
        await self.kill()
        await self.start()


async def served(server: PersistentServer, settings: Settings) -> None:
    """Start the server and wait until it serves its namespace."""
    await server.start()
    await connect_when_ready(settings, server.address)


@dataclass
class Rig:
    """The server, the worker slot, and a client and an SDK on them."""

    settings: Settings
    server: PersistentServer
    workers: WorkerSlot
    sdk: OrchestratorClient
    client: Client


@contextlib.asynccontextmanager
async def rig(root: Path, store_url: str | None) -> AsyncIterator[Rig]:
    """A started server and worker process with settings under ``root`` (and ``store_url``)."""
    docs = root / "docs"
    docs.mkdir()
    settings = Settings(data_dir=root / "data", allowed_roots=(SAMPLES, docs), store_url=store_url)
    server = PersistentServer(settings, free_port(), root / "temporal.db", root / "server.log")
    await server.start()
    try:
        client = await connect_when_ready(settings, server.address)
        queue = f"chaos-{uuid.uuid4().hex[:8]}"
        workers = WorkerSlot(server.address, queue, settings, root / "calls.jsonl")
        await workers.start()
        try:
            sdk = OrchestratorClient(
                client, task_queue=queue, settings=settings, reconnect_seconds=REPLY_WITHIN_S
            )
            yield Rig(settings, server, workers, sdk, client)
        finally:
            await workers.kill()
    finally:
        server.kill()
