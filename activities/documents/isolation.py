"""Parse untrusted documents in child processes that can be stopped.

A document is parsed in a child process, never in a thread of the worker: a thread cannot be
stopped, so a hostile file used to keep one busy long after its activity was cancelled or timed
out, and a handful of them filled the pool every tool runs on. Here:

* each parse has a deadline; past it, and whenever the awaiting task is cancelled (activity
  cancelled, heartbeat or start-to-close timeout, workflow terminated), the child is killed
  with SIGKILL, so a parse never outlives its activity;
* a child's address space is capped (RLIMIT_AS: a document needing more is DocumentTooLarge)
  and its CPU time bounded (RLIMIT_CPU, a backstop should its parent die). It keeps the
  worker's priority: the worker's event loop, mostly asleep, is scheduled promptly anyway, and
  a lower priority made parsing crawl on a busy machine;
* the parent never blocks: documents go out and results come back through the event loop's
  pipes (a thread-free wait, so heartbeats keep flowing), and at most ``processes`` documents
  are parsed at once; the others wait their turn, holding nothing;
* children are plain ``python -m activities.documents.parse_child`` processes (no
  multiprocessing start method re-imports the worker's main module in them); they are reused
  for the next document, a killed child's successor starts warming at once, they exit when idle
  or after JOBS_PER_CHILD documents, and they die with the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import sys
import time
import weakref
from dataclasses import dataclass, field
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


class _ChildDied(Exception):
    """The child's pipes closed mid-job."""


@dataclass(eq=False)
class _Child:
    """One parse process, spoken to through its stdin and stdout."""

    process: asyncio.subprocess.Process
    jobs: int = 0
    idle_since: float = field(default_factory=time.monotonic)

    @classmethod
    async def start(cls, memory_mb: int) -> _Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            parse_child.__name__,
            str(memory_mb),
            str(IDLE_SECONDS * 2),
            str(os.getpid()),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=_child_environment(),
        )
        return cls(process)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.returncode is None

    def reusable(self) -> bool:
        fresh = time.monotonic() - self.idle_since < IDLE_SECONDS
        return fresh and self.jobs < JOBS_PER_CHILD and self.alive()

    async def ask(self, job: parse_child.Job) -> ParsedDocument | BadInput:
        """Send ``job`` and wait for the reply; _ChildDied if the child goes first."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(parse_child.frame(job))
            await self.process.stdin.drain()
            header = await self.process.stdout.readexactly(parse_child.HEADER.size)
            size = parse_child.HEADER.unpack(header)[0]
            reply: ParsedDocument | BadInput = pickle.loads(  # our child's: trusted
                await self.process.stdout.readexactly(size)
            )
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            raise _ChildDied from error
        return reply

    def kill(self) -> None:
        """SIGKILL; the event loop reaps the process."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()


def _crash_error(name: str, returncode: int | None, limits: ParseLimits) -> BadInput:
    """What a child that died mid-parse means for the document."""
    if returncode == -24:  # SIGXCPU: the CPU backstop
        return DocumentTooComplex(
            f"{name}: parsing used over {limits.timeout_seconds:g} s of CPU "
            "(DOCORCH_PARSE_TIMEOUT_SECONDS)"
        )
    if returncode in (-6, -9, -11):  # abort/kill/segfault: how native code dies out of memory
        return DocumentTooLarge(
            f"{name}: the parser died (signal {-returncode}), most likely over the "
            f"{limits.memory_mb} MB allowed for parsing (DOCORCH_PARSE_MEMORY_MB)"
        )
    return CorruptDocument(f"{name}: the parser died (exit code {returncode}) while reading it")


class ParsePool:
    """Parses documents in reusable child processes, at most ``processes`` at once.

    A pool belongs to one event loop: use ``shared_pool`` to get the running loop's. Children
    end on their own when idle, and when the process that owns the pool dies.
    """

    def __init__(self, *, processes: int, memory_mb: int) -> None:
        self._memory_mb = memory_mb
        self._slots = asyncio.Semaphore(processes)
        self._idle: list[_Child] = []
        self._busy: set[_Child] = set()
        self._starting: set[asyncio.Task[None]] = set()

    async def _take(self) -> _Child:
        """A reusable idle child (the oldest: a successor started later may still be warming),
        else a new one."""
        while self._idle:
            child = self._idle.pop(0)
            if child.reusable():
                return child
            child.kill()
        return await _Child.start(self._memory_mb)

    def _give_back(self, child: _Child) -> None:
        child.jobs += 1
        child.idle_since = time.monotonic()
        if child.reusable():
            self._idle.append(child)
        else:
            child.kill()

    async def _discard(self, child: _Child) -> None:
        """Kill ``child`` (gone when this returns) and, when no other is idle, start its
        successor now: it warms up while nothing waits for it."""
        child.kill()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1):
                await child.process.wait()
        if not self._idle and not self._starting:
            task = asyncio.ensure_future(self._start_spare())
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    async def _start_spare(self) -> None:
        with contextlib.suppress(OSError):
            self._idle.append(await _Child.start(self._memory_mb))

    async def parse(
        self, path: Path, data: bytes, *, password: str | None, limits: ParseLimits
    ) -> ParsedDocument:
        """``parse_document`` in a child: the same result or BadInput subclass, plus
        DocumentTooComplex past ``limits.timeout_seconds`` and DocumentTooLarge past
        ``limits.memory_mb``. Cancelling the call kills the child at once."""
        job = parse_child.Job(path=path, data=data, password=password, limits=limits)
        async with self._slots:
            child = await self._take()
            self._busy.add(child)
            done = False
            try:
                async with asyncio.timeout(limits.timeout_seconds):
                    reply = await child.ask(job)
                done = True
            except TimeoutError:
                raise DocumentTooComplex(
                    f"{path.name}: parsing took over {limits.timeout_seconds:g} s "
                    "(DOCORCH_PARSE_TIMEOUT_SECONDS); stopped"
                ) from None
            except _ChildDied:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1):
                        await child.process.wait()  # its exit status says why
                raise _crash_error(path.name, child.process.returncode, limits) from None
            finally:
                self._busy.discard(child)
                if done:
                    self._give_back(child)
                else:  # cancelled, timed out, or dead: it cannot be trusted again
                    await self._discard(child)
                    log.info("parse_child_killed", document=path.name, pid=child.pid)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def children(self) -> list[int]:
        """Process ids of the live children, busy and idle (for tests and diagnostics)."""
        return [c.pid for c in (*self._busy, *self._idle) if c.alive()]

    def busy(self) -> list[int]:
        """Process ids of the children parsing now."""
        return [c.pid for c in self._busy]

    async def close(self) -> None:
        """Kill every child, busy or idle, and wait until they are gone."""
        await asyncio.gather(*self._starting, return_exceptions=True)
        children = (*self._busy, *self._idle)
        for child in children:
            child.kill()
        await asyncio.gather(*(c.process.wait() for c in children))
        self._busy.clear()
        self._idle.clear()


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
