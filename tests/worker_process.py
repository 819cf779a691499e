"""A docorch worker with the fault tools, in its own process, for the crash test.

    python -m tests.worker_process --address 127.0.0.1:7233 --task-queue Q \\
        --data-dir D --allowed-root R --calls calls.jsonl [--store-url URL] [--max-activities N]

It prints ``ready`` once it polls, then runs until killed. With ``--on-cue`` it connects and
prints ``connected``, then waits for a line on stdin before it starts polling: a test starts it
early and cues it when the worker it replaces has been killed. ``spawn`` starts one from a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from client.connection import connect
from models.settings import Settings
from tests import fault_tools
from worker import build_worker

REPO = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def spawn(
    address: str,
    task_queue: str,
    *,
    data_dir: Path,
    allowed_roots: Sequence[Path],
    calls: Path,
    store_url: str | None = None,
    max_activities: int | None = None,
    on_cue: bool = False,
) -> AsyncIterator[subprocess.Popen[str]]:
    """A docorch worker with the fault tools in a subprocess, connected (and polling unless
    ``on_cue``: then it polls once ``cue`` is called); killed on exit. Its identity is the
    SDK's default, ``<pid>@<host>``."""
    command = [sys.executable, "-m", "tests.worker_process", "--address", address]
    command += ["--task-queue", task_queue, "--data-dir", str(data_dir), "--calls", str(calls)]
    for root in allowed_roots:
        command += ["--allowed-root", str(root)]
    if store_url:
        command += ["--store-url", store_url]
    if max_activities:
        command += ["--max-activities", str(max_activities)]
    if on_cue:
        command.append("--on-cue")
    process = subprocess.Popen(
        command,
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DOCORCH_LOG_FORMAT": "json"},
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 60)
        expected = "connected" if on_cue else "ready"
        assert line.strip() == expected, f"worker process did not start: {line!r}"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


async def cue(process: subprocess.Popen[str]) -> None:
    """Let a worker started ``on_cue`` poll; returns once it does."""
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("go\n")
    process.stdin.flush()
    line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 10)
    assert line.strip() == "ready", line


async def main(args: argparse.Namespace) -> None:
    settings = Settings(
        data_dir=Path(args.data_dir),
        allowed_roots=tuple(Path(r) for r in args.allowed_root),
        store_url=args.store_url,
    )
    fault_tools.configure(Path(args.calls))
    client = await connect(settings, address=args.address)
    if args.on_cue:
        print("connected", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
    worker = build_worker(
        client,
        settings,
        registry=fault_tools.fault_registry(),
        task_queue=args.task_queue,
        max_concurrent_activities=args.max_activities,
    )
    async with worker:
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--allowed-root", action="append", default=[])
    parser.add_argument("--calls", required=True, help="JSONL file of tool invocations")
    parser.add_argument("--on-cue", action="store_true", help="poll once stdin has a line")
    parser.add_argument("--store-url", default=None, help="DOCORCH_STORE_URL (embedded if unset)")
    parser.add_argument("--max-activities", type=int, default=None, help="activity slots")
    asyncio.run(main(parser.parse_args()))
