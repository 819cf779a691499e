"""A docorch worker with the fault tools, in its own process, for the crash test.

    python -m tests.worker_process --address 127.0.0.1:7233 --task-queue Q \\
        --data-dir D --allowed-root R --calls calls.jsonl

It prints ``ready`` once it polls, then runs until killed. With ``--on-cue`` it connects and
prints ``connected``, then waits for a line on stdin before it starts polling: a test starts it
early and cues it when the worker it replaces has been killed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from client.connection import connect
from models.settings import Settings
from tests import fault_tools
from worker import build_worker


async def main(args: argparse.Namespace) -> None:
    settings = Settings(
        data_dir=Path(args.data_dir), allowed_roots=tuple(Path(r) for r in args.allowed_root)
    )
    fault_tools.configure(Path(args.calls))
    client = await connect(settings, address=args.address)
    if args.on_cue:
        print("connected", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
    worker = build_worker(
        client, settings, registry=fault_tools.fault_registry(), task_queue=args.task_queue
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
    asyncio.run(main(parser.parse_args()))
