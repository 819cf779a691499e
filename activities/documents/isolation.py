"""Parse untrusted documents in child processes that can be stopped.

A document is parsed in a child process, never in a thread of the worker: a thread cannot be
stopped, so a hostile file used to keep one busy long after its activity was cancelled or timed
out, and a handful of them filled the pool every tool runs on. Here:

* each parse has a deadline; past it, and whenever the awaiting task is cancelled (activity
  cancelled, heartbeat or start-to-close timeout, workflow terminated), the child is killed
  with SIGKILL, so a parse never outlives its activity;
* a child's address space is capped (RLIMIT_AS: a document needing more is DocumentTooLarge)
  and its CPU time bounded (RLIMIT_CPU, a backstop should its parent die); it runs at a lower
  priority than the worker, so orchestration stays responsive while hostile files burn CPU;
* the parent waits without a thread (the event loop watches the child's pipe) and at most
  ``processes`` documents are parsed at once; the others wait their turn, holding nothing;
* children are plain ``python -m activities.documents.parse_child`` processes speaking pickled
  messages over their stdin/stdout (no multiprocessing start method re-imports the worker's
  main module in them); they are reused for the next document, one spare is kept warming so a
  killed child's successor is ready, they exit when idle or after JOBS_PER_CHILD documents,
  and they die with the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import weakref
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import structlog

from activities.documents import parse_child
from activities.documents.limits import ParseLimits
from activities.documents.parsed import ParsedDocument
from activities.errors import BadInput, CorruptDocument, DocumentTooComplex, DocumentTooLarge

log = structlog.get_logger(__name__)

JOBS_PER_CHILD = 500
"""A child is replaced after this many documents, so no parser's leak accumulates."""
IDLE_SECONDS = 60.0
"""A child idle this long is not reused (it exits on its own a little later)."""


def _child_environment() -> dict[str, str]:
    """The worker's environment, with its import path (which includes any PYTHONPATH), so the
    child imports the same code."""
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


@dataclass(eq=False)
class _Child:
    """One parse process and the two ends of its pipes the parent holds."""

    process: subprocess.Popen[bytes]
    to_child: Connection
    from_child: Connection
    jobs: int = 0
    idle_since: float = field(default_factory=time.monotonic)

    @classmethod
    def start(cls, memory_mb: int) -> _Child:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                parse_child.__name__,
                str(memory_mb),
                str(IDLE_SECONDS * 2),
                str(os.getpid()),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_child_environment(),
        )
        assert process.stdin is not None and process.stdout is not None
        to_child = Connection(os.dup(process.stdin.fileno()), readable=False)
        from_child = Connection(os.dup(process.stdout.fileno()), writable=False)
        process.stdin.close()
        process.stdout.close()
        return cls(process, to_child, from_child)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def reusable(self) -> bool:
        fresh = time.monotonic() - self.idle_since < IDLE_SECONDS
        return fresh and self.jobs < JOBS_PER_CHILD and self.alive()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait()
        self._close_pipes()

    def close(self) -> None:
        """End an idle child: it leaves at the end of its input; killed if it lingers."""
        self._close_pipes()
        try:
            self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self.kill()

    def _close_pipes(self) -> None:
        self.to_child.close()
        self.from_child.close()


async def _readable(connection: Connection) -> None:
    """Wait, without a thread, until ``connection`` has data (or its other end is gone)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    descriptor = connection.fileno()

    def signal() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(descriptor, signal)
    try:
        await ready
    finally:
        loop.remove_reader(descriptor)


def _crash_error(name: str, exitcode: int | None, limits: ParseLimits) -> BadInput:
    """What a child that died mid-parse means for the document."""
    if exitcode == -24:  # SIGXCPU: the CPU backstop
        return DocumentTooComplex(
            f"{name}: parsing used over {limits.timeout_seconds:g} s of CPU "
            "(DOCORCH_PARSE_TIMEOUT_SECONDS)"
        )
    if exitcode in (-6, -9, -11):  # abort/kill/segfault: how native code dies out of memory
        return DocumentTooLarge(
            f"{name}: the parser died (signal {-exitcode}), most likely over the "
            f"{limits.memory_mb} MB allowed for parsing (DOCORCH_PARSE_MEMORY_MB)"
        )
    return CorruptDocument(f"{name}: the parser died (exit code {exitcode}) while reading it")


class ParsePool:
    """Parses documents in reusable child processes, at most ``processes`` at once.

    A pool belongs to one event loop: use ``shared_pool`` to get the running loop's. ``close()``
    ends its children; they also end on their own when idle and when the process that owns the
    pool dies.
    """

    def __init__(self, *, processes: int, memory_mb: int) -> None:
        self._processes = processes
        self._memory_mb = memory_mb
        self._slots = asyncio.Semaphore(processes)
        self._idle: list[_Child] = []
        self._busy: set[_Child] = set()

    def _take(self) -> _Child:
        """A reusable idle child (the oldest: a spare started later may still be warming), else
        a new one."""
        while self._idle:
            child = self._idle.pop(0)
            if child.reusable():
                return child
            child.close()
        return _Child.start(self._memory_mb)

    def _discard(self, child: _Child) -> None:
        """Kill ``child`` and, when no other is idle, start its successor now: it warms up
        while nothing waits for it."""
        child.kill()
        if not self._idle:
            self._idle.append(_Child.start(self._memory_mb))

    def _give_back(self, child: _Child) -> None:
        child.jobs += 1
        child.idle_since = time.monotonic()
        if child.reusable():
            self._idle.append(child)
        else:
            child.close()

    async def parse(
        self, path: Path, data: bytes, *, password: str | None, limits: ParseLimits
    ) -> ParsedDocument:
        """``parse_document`` in a child: the same result or BadInput subclass, plus
        DocumentTooComplex past ``limits.timeout_seconds`` and DocumentTooLarge past
        ``limits.memory_mb``. Cancelling the call kills the child at once."""
        async with self._slots:
            child = self._take()
            self._busy.add(child)
            outcome = "killed"
            try:
                reply = await self._run(child, path, data, password, limits)
                outcome = "done"
            finally:
                self._busy.discard(child)
                if outcome == "done":
                    self._give_back(child)
                else:  # cancelled, timed out, or the child died: it cannot be trusted again
                    self._discard(child)
                    log.info("parse_child_killed", document=path.name, pid=child.pid)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    async def _run(
        self, child: _Child, path: Path, data: bytes, password: str | None, limits: ParseLimits
    ) -> ParsedDocument | BadInput:
        job = parse_child.Job(path=path, data=data, password=password, limits=limits)
        try:
            child.to_child.send(job)
            async with asyncio.timeout(limits.timeout_seconds):
                await _readable(child.from_child)
            reply: ParsedDocument | BadInput = child.from_child.recv()
        except TimeoutError:
            raise DocumentTooComplex(
                f"{path.name}: parsing took over {limits.timeout_seconds:g} s "
                "(DOCORCH_PARSE_TIMEOUT_SECONDS); stopped"
            ) from None
        except (EOFError, OSError):
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=1)
            raise _crash_error(path.name, child.process.returncode, limits) from None
        return reply

    def children(self) -> list[int]:
        """Process ids of the live children, busy and idle (for tests and diagnostics)."""
        return [c.pid for c in (*self._busy, *self._idle) if c.alive()]

    def busy(self) -> list[int]:
        """Process ids of the children parsing now."""
        return [c.pid for c in self._busy]

    def close(self) -> None:
        """End every child; busy ones are killed."""
        for child in self._busy:
            child.kill()
        for child in self._idle:
            child.close()
        self._busy.clear()
        self._idle.clear()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


_POOLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[int, int], ParsePool]]
_POOLS = weakref.WeakKeyDictionary()


def shared_pool(*, processes: int, memory_mb: int) -> ParsePool:
    """The running event loop's pool for these settings: every worker of the process that runs
    on this loop parses in the same children, so they stay warm across workers."""
    pools = _POOLS.setdefault(asyncio.get_running_loop(), {})
    key = (processes, memory_mb)
    if key not in pools:
        pools[key] = ParsePool(processes=processes, memory_mb=memory_mb)
    return pools[key]
