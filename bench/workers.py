"""Workers for benchmarks: docorch's own and a bare SDK worker in this process on fresh task
queues, and docorch's default worker in a child process whose CPU time can be read apart."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from temporalio.worker import Worker

from activities.registry import ToolRegistry
from activities.tools.catalog import default_registry
from bench.environment import environment
from bench.paths import REPO
from client.sdk import OrchestratorClient
from models.settings import Settings
from worker import build_worker, worker_activities


def new_task_queue(prefix: str) -> str:
    return f"bench-{prefix}-{uuid.uuid4().hex[:8]}"


@contextlib.asynccontextmanager
async def docorch_worker(
    registry: ToolRegistry | None = None,
    *,
    max_concurrent_activities: int | None = None,
    task_queue: str | None = None,
) -> AsyncIterator[OrchestratorClient]:
    """docorch's own worker (``worker.build_worker``) on a fresh task queue; yields an SDK client
    bound to that queue."""
    bench = await environment()
    queue = task_queue or new_task_queue("docorch")
    worker = build_worker(
        bench.client,
        bench.settings,
        registry=registry or default_registry(),
        task_queue=queue,
        max_concurrent_activities=max_concurrent_activities,
    )
    async with worker:
        yield OrchestratorClient(bench.client, task_queue=queue)


@contextlib.asynccontextmanager
async def bare_worker(
    workflows: Sequence[type],
    activities: Sequence[Callable[..., Any]],
    *,
    max_concurrent_activities: int | None = None,
    task_queue: str | None = None,
) -> AsyncIterator[str]:
    """A plain Temporal worker with SDK defaults (sandboxed runner, default restrictions);
    yields its task queue."""
    bench = await environment()
    queue = task_queue or new_task_queue("bare")
    worker = Worker(
        bench.client,
        task_queue=queue,
        workflows=list(workflows),
        activities=list(activities),
        max_concurrent_activities=max_concurrent_activities,
    )
    async with worker:
        yield queue


async def serve_worker(address: str, task_queue: str, data_dir: str, roots: list[str]) -> None:
    """Body of the worker process: docorch's own worker until stdin closes."""
    from client.connection import connect

    settings = _child_settings(data_dir, roots)
    client = await connect(settings, address=address)
    await _serve(build_worker(client, settings, task_queue=task_queue))


async def serve_bare_worker(
    address: str, task_queue: str, data_dir: str, roots: list[str], calls: str
) -> None:
    """Body of the bare worker process: BareCallsWorkflow (the calls loaded from ``calls``)
    and docorch's activities on a plain SDK worker (sandboxed workflows, the pydantic
    converter, docorch's default activity slots) until stdin closes."""
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

    from bench import bare_calls
    from bench.bare_calls_workflow import BareCallsWorkflow

    settings = _child_settings(data_dir, roots)
    bare_calls.load(Path(calls))
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    restrictions = SandboxRestrictions.default.with_passthrough_modules("bench.bare_calls")
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[BareCallsWorkflow],
        activities=worker_activities(default_registry(), settings),
        workflow_runner=SandboxedWorkflowRunner(restrictions=restrictions),
        max_concurrent_activities=settings.max_concurrent_activities,
    )
    await _serve(worker)


def _child_settings(data_dir: str, roots: list[str]) -> Settings:
    import logging

    from client.logs import configure_logging

    configure_logging("console", level=logging.WARNING)
    return Settings(data_dir=Path(data_dir), allowed_roots=tuple(Path(r) for r in roots))


async def _serve(worker: Worker) -> None:
    import sys

    async with worker:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.read)


@contextlib.asynccontextmanager
async def worker_process(task_queue: str) -> AsyncIterator[int]:
    """docorch's default worker (built-in tools) in a child process, so its CPU time can be
    read on its own; yields the process id."""
    async with _child("serve_worker", task_queue) as pid:
        yield pid


@contextlib.asynccontextmanager
async def bare_worker_process(task_queue: str, calls: Path) -> AsyncIterator[int]:
    """A bare SDK worker running BareCallsWorkflow over ``calls`` (``bench.bare_calls.save``)
    with docorch's activities, in a child process; yields the process id."""
    async with _child("serve_bare_worker", task_queue, str(calls)) as pid:
        yield pid


@contextlib.asynccontextmanager
async def _child(function: str, task_queue: str, *extra: str) -> AsyncIterator[int]:
    """``bench.workers.<function>(address, task_queue, data_dir, roots, *extra)`` in a child
    process, until the block ends; yields its process id once it is ready."""
    import sys

    bench = await environment()
    code = (
        f"import asyncio, sys; from bench.workers import {function}; "
        f"asyncio.run({function}(sys.argv[1], sys.argv[2], sys.argv[3], "
        f"sys.argv[5:5 + int(sys.argv[4])], *sys.argv[5 + int(sys.argv[4]):]))"
    )
    roots = [str(r) for r in bench.settings.allowed_roots]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        bench.client.service_client.config.target_host,
        task_queue,
        str(bench.settings.data_dir),
        str(len(roots)),
        *roots,
        *extra,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    async with serving_child(process, "the worker process") as pid:
        yield pid


@contextlib.asynccontextmanager
async def serving_child(process: asyncio.subprocess.Process, what: str) -> AsyncIterator[int]:
    """A worker child started with piped stdin/stdout: its process id once it has printed
    ``ready``; at the end of the block its stdin is closed (its cue to stop) and it is waited
    for, killed after 15 s."""
    assert process.stdout is not None and process.stdin is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"{what} did not start (said {line!r})")
        yield process.pid
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()
