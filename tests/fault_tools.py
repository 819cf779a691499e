"""Test-only tools that fail, stall or count on purpose, registered like any other tool.

They are plain typed functions (no temporalio): the registry turns them into activities. Every
call is written to the invocation log (``LOG``), in memory and, when a file is configured, as
one JSON line per call, so a test can count invocations and see when each ran, also for a
worker running in another process.

    log = fault_tools.configure(tmp_path / "calls.jsonl")
    registry = fault_tools.fault_registry()
    ...
    assert log.count("note", key="step_1") == 1
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from activities.errors import BadInput, RateLimited
from activities.registry import ToolRegistry
from activities.tools.answer import answer_question
from activities.tools.catalog import register_builtin_tools
from activities.tools.search import search_documents

F = TypeVar("F", bound=Callable[..., Any])


class ToolBroken(RuntimeError):
    """A failure a retry may fix (or not): the registry makes it a retryable error."""


class Note(BaseModel):
    """What the test tools return: an answer-shaped record of the call."""

    key: str
    answer: str
    confidence: float = 1.0
    count: int = 1
    items: list[str] = Field(default_factory=list)


# ---- the invocation log --------------------------------------------------------------------


class InvocationLog:
    """Every tool call: tool, key, start and end (epoch seconds) and how it ended."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: list[dict[str, Any]] = []
        self._started: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def _write(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.entries.append(entry)
            if entry["event"] == "start":
                self._started[entry["tool"], entry["key"]] += 1
            if self.path is not None:
                with self.path.open("a") as file:
                    file.write(json.dumps(entry) + "\n")

    @contextlib.contextmanager
    def call(self, tool: str, key: str = "") -> Iterator[int]:
        """Record one call; yields how many calls of ``tool`` with ``key`` came before it (in
        any process writing the same file)."""
        if self.path is not None:
            before = self.count(tool, key=key)
        else:
            with self._lock:
                before = self._started[tool, key]
        self._write({"tool": tool, "key": key, "event": "start", "at": time.time()})
        outcome = "ok"
        try:
            yield before
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except BaseException as error:
            outcome = type(error).__name__
            raise
        finally:
            self._write(
                {"tool": tool, "key": key, "event": "end", "at": time.time(), "outcome": outcome}
            )

    def read(self) -> list[dict[str, Any]]:
        """All entries: from the file when there is one (other processes write it too)."""
        if self.path is None:
            with self._lock:
                return list(self.entries)
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]

    def count(self, tool: str | None = None, *, key: str | None = None) -> int:
        """Calls started, optionally of one tool and key."""
        return sum(
            1
            for e in self.read()
            if e["event"] == "start" and tool in (None, e["tool"]) and key in (None, e["key"])
        )

    def spans(self, tool: str | None = None) -> list[tuple[str, float, float]]:
        """(key, start, end) of each finished call, in start order."""
        starts: dict[tuple[str, str], list[float]] = {}
        spans: list[tuple[str, float, float]] = []
        for e in self.read():
            if tool not in (None, e["tool"]):
                continue
            ident = (e["tool"], e["key"])
            if e["event"] == "start":
                starts.setdefault(ident, []).append(e["at"])
            elif starts.get(ident):
                spans.append((e["key"], starts[ident].pop(0), e["at"]))
        return sorted(spans, key=lambda s: s[1])

    def outcomes(self, tool: str, key: str) -> list[str]:
        return [
            e["outcome"]
            for e in self.read()
            if e["event"] == "end" and e["tool"] == tool and e["key"] == key
        ]


LOG = InvocationLog()


def configure(path: Path | None = None) -> InvocationLog:
    """Start a fresh invocation log (written to ``path`` when given) and return it."""
    global LOG
    LOG = InvocationLog(path)
    return LOG


def max_overlap(spans: list[tuple[str, float, float]]) -> int:
    """The most calls that were running at the same moment."""
    edges = sorted([(s, 1) for _, s, _ in spans] + [(e, -1) for _, _, e in spans])
    running = peak = 0
    for _, delta in edges:
        running += delta
        peak = max(peak, running)
    return peak


# ---- tools -----------------------------------------------------------------------------------


def note(key: str, inputs: list[Any] = [], confidence: float = 1.0) -> Note:  # noqa: B006
    """Record a call and return a note naming ``key`` and how many inputs it received."""
    with LOG.call("note", key) as before:
        return Note(
            key=key,
            answer=f"note {key} ({len(inputs)} inputs)",
            confidence=confidence,
            count=before + 1,
        )


def strict_note(key: str, inputs: list[Any] = []) -> Note:  # noqa: B006
    """Like note, but registered as a tool that cannot run with an input missing."""
    with LOG.call("strict_note", key):
        return Note(key=key, answer=f"strict note {key} ({len(inputs)} inputs)")


def flaky(key: str, fail_first: int = 0, failure_rate: float = 0.0, seed: int = 0) -> Note:
    """Fail the first ``fail_first`` calls for ``key``, then each call with ``failure_rate``.

    Deterministic: the n-th call for a key draws from a generator seeded by (seed, key, n).
    """
    with LOG.call("flaky", key) as before:
        if before < fail_first:
            raise ToolBroken(f"flaky {key}: call {before + 1} of {fail_first} planned failures")
        if random.Random(f"{seed}:{key}:{before}").random() < failure_rate:
            raise ToolBroken(f"flaky {key}: call {before + 1} failed (rate {failure_rate})")
        return Note(key=key, answer=f"flaky {key} succeeded on call {before + 1}", count=before + 1)


def always_fail(key: str, inputs: list[Any] = []) -> Note:  # noqa: B006
    """Fail on every call, the way a tool whose backend is down does."""
    with LOG.call("always_fail", key):
        raise ToolBroken(f"always_fail {key}: the backend is down")


def rate_limited(key: str, retry_after: float = 1.0) -> Note:
    """Ask to be called again after ``retry_after`` seconds on the first call for ``key``."""
    with LOG.call("rate_limited", key) as before:
        if before == 0:
            raise RateLimited(f"rate_limited {key}: slow down", retry_after=retry_after)
        return Note(key=key, answer=f"rate_limited {key} served on call {before + 1}")


def reject(key: str) -> Note:
    """Refuse the input: a bad-input error that is never retried."""
    with LOG.call("reject", key):
        raise BadInput(f"reject {key}: this input can never be processed")


async def slow(key: str, seconds: float, inputs: list[Any] = []) -> Note:  # noqa: B006
    """Sleep ``seconds`` (cancellably), then return a note."""
    with LOG.call("slow", key):
        await asyncio.sleep(seconds)
        return Note(key=key, answer=f"slow {key} after {seconds:.2f}s ({len(inputs)} inputs)")


async def stall_once(key: str, seconds: float) -> Note:
    """On the first call for ``key``, finish only after ``seconds`` (past the step's timeout:
    Temporal has given up on the call and runs the step again, as when a worker is cut off
    from the server) and succeed anyway; later calls return at once."""
    with LOG.call("stall_once", key) as before:
        if before == 0:
            await asyncio.sleep(seconds)
        return Note(key=key, answer=f"stall_once {key} on call {before + 1}", count=before + 1)


async def hang(key: str) -> Note:
    """Never finish on its own: only the step's timeout (or a cancellation) ends it."""
    with LOG.call("hang", key):
        await asyncio.sleep(3600)
        return Note(key=key, answer="unreachable")


def count_up(key: str, iteration: int = 0) -> Note:
    """Return ``count = iteration + 1``: a tool for repeat_until tests."""
    with LOG.call("count_up", key):
        return Note(key=key, answer=f"count {iteration + 1}", count=iteration + 1)


def list_items(key: str, n: int) -> Note:
    """Return ``n`` items named ``<key>-<i>``: a list for for_each tests."""
    with LOG.call("list_items", key):
        items = [f"{key}-{i}" for i in range(n)]
        return Note(key=key, answer=", ".join(items), count=n, items=items)


def _wrap(tool: F, *, name: str, fails: Callable[[], str | None], logged: bool = True) -> F:
    """``tool`` (same signature, docstring and sync/async kind) with each call logged under
    ``name`` (when ``logged``); a call fails with ToolBroken when ``fails()`` gives a reason."""

    @contextlib.contextmanager
    def attempt(kwargs: dict[str, Any]) -> Iterator[None]:
        with LOG.call(name, _key(kwargs)) if logged else contextlib.nullcontext():
            reason = fails()
            if reason:
                raise ToolBroken(f"{name}: {reason}")
            yield

    if inspect.iscoroutinefunction(tool):

        @functools.wraps(tool)
        async def async_wrapper(**kwargs: Any) -> Any:
            with attempt(kwargs):
                return await tool(**kwargs)

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(tool)
    def sync_wrapper(**kwargs: Any) -> Any:
        with attempt(kwargs):
            return tool(**kwargs)

    return sync_wrapper  # type: ignore[return-value]


def _key(kwargs: dict[str, Any]) -> str:
    return str(kwargs.get("query") or kwargs.get("question") or "")


def broken(tool: F, *, name: str) -> F:
    """A tool with ``tool``'s signature and docstring that always fails."""
    return _wrap(tool, name=name, fails=lambda: "the backend is down")


def counted(tool: F, *, name: str) -> F:
    """``tool`` itself, with every call written to the invocation log."""
    return _wrap(tool, name=name, fails=lambda: None)


def transient(tool: F, *, name: str, failure_rate: float, rng: random.Random) -> F:
    """``tool`` failing each call with ``failure_rate`` (drawn from ``rng``), else itself.
    Not logged: benchmarks make thousands of calls."""
    lock = threading.Lock()

    def fails() -> str | None:
        with lock:
            return "transient failure" if rng.random() < failure_rate else None

    return _wrap(tool, name=name, fails=fails, logged=False)


def fault_registry(*, heartbeat: float = 1.0) -> ToolRegistry:
    """The built-in tools plus every fault tool. Slow tools heartbeat every ``heartbeat`` / 2 s
    with a ``heartbeat`` s timeout, so a dead worker's call is retried quickly."""
    registry = register_builtin_tools(ToolRegistry())
    registry.register_function(note, estimated_duration=0.05, accepts_missing_inputs=True)
    registry.register_function(strict_note, estimated_duration=0.05)
    registry.register_function(flaky, estimated_duration=0.05)
    registry.register_function(always_fail, estimated_duration=0.05)
    registry.register_function(reject, estimated_duration=0.05)
    registry.register_function(rate_limited, estimated_duration=0.05)
    registry.register_function(slow, estimated_duration=1.0, timeout=30, heartbeat=heartbeat)
    # a 1 s start-to-close timeout and no heartbeat: nothing tells the stalled call it is late
    registry.register_function(stall_once, estimated_duration=0.05, timeout=1.0)
    # not idempotent: one attempt, so its timeout ends the step at once
    registry.register_function(hang, idempotent=False, estimated_duration=0.1, timeout=0.5)
    registry.register_function(count_up, estimated_duration=0.05)
    registry.register_function(list_items, estimated_duration=0.05)
    # a search whose backend is down, saved by its registered alternative
    registry.register_function(
        broken(search_documents, name="broken_search"),
        name="broken_search",
        alternatives=("search_documents",),
        estimated_duration=0.1,
    )
    # the same, with no alternative
    registry.register_function(
        broken(search_documents, name="down_search"), name="down_search", estimated_duration=0.1
    )
    # an answer tool that is down and has no alternative: only a replan can save its step
    registry.register_function(
        broken(answer_question, name="broken_answer"),
        name="broken_answer",
        estimated_duration=0.1,
    )
    # the real search and answer, counted
    registry.register_function(
        counted(search_documents, name="counted_search"),
        name="counted_search",
        estimated_duration=0.1,
    )
    registry.register_function(
        counted(answer_question, name="counted_answer"),
        name="counted_answer",
        estimated_duration=0.1,
    )
    return registry
