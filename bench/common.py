"""What every benchmark shares: one embedded dev server with tuned polling, docorch and bare
workers, a tool of known duration, statistics, history reading and results files.

A benchmark module exposes ``NAME``, ``async def run(quick: bool) -> dict`` and
``def table(results: dict) -> str``; inside ``run`` it calls ``await environment()`` for the
shared server, client and settings (started once per ``python -m bench``).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.registry import ToolRegistry
from activities.tools.catalog import default_registry
from app.runtime.devserver import FAST_DISPATCH, SEARCH_ATTRIBUTES, temporal_binary
from client.sdk import OrchestratorClient
from models.plan import Plan, Step
from models.query import QueryType
from models.settings import Settings
from worker import build_worker

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
SAMPLE_DOCUMENT = SAMPLES / "contract_acme_globex.md"
T = TypeVar("T")


# ---- the shared environment -------------------------------------------------------------------


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
                server_pid=_child_pid(lambda cmd: "start-dev" in cmd and f"--port {port}" in cmd),
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


def _child_pid(matches: Callable[[str], bool]) -> int | None:
    """A direct child of this process whose command line matches (Linux /proc)."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me and matches(cmd):
            return int(entry.name)
    return None


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of a process (this one by default), all threads included."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores (Linux /proc/stat):
    the busy share between two readings says whether the machine was saturated."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


# ---- workers ------------------------------------------------------------------------------------


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


# ---- a tool of known duration -------------------------------------------------------------------


class Slept(BaseModel):
    answer: str
    confidence: float = 1.0
    slept_ms: int


async def sleep_tool(ms: int, inputs: tuple[int, ...] = ()) -> Slept:
    """Sleep for ``ms`` milliseconds and say so: a tool of known duration for benchmarks.

    ``inputs`` carries the dependencies' outputs, so the plan's edges are real data edges.
    """
    await asyncio.sleep(ms / 1000)
    return Slept(answer=f"slept {ms} ms after {len(inputs)} input(s)", slept_ms=ms)


SLEEP_TOOL = "sleep_tool"


def sleep_registry() -> ToolRegistry:
    """A registry with only ``sleep_tool`` (plain typed function, registered like any tool)."""
    registry = ToolRegistry()
    registry.register_function(sleep_tool, name=SLEEP_TOOL, estimated_duration=0.1)
    return registry


@dataclass(frozen=True)
class DagStep:
    id: str
    ms: int
    deps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dag:
    """A DAG of sleep steps in topological order; the last step is the answer."""

    name: str
    steps: tuple[DagStep, ...]

    def finish_ms(self) -> dict[str, int]:
        """Earliest finish of each step with unlimited parallelism."""
        finish: dict[str, int] = {}
        for step in self.steps:
            finish[step.id] = step.ms + max((finish[d] for d in step.deps), default=0)
        return finish

    @property
    def critical_path_ms(self) -> int:
        return max(self.finish_ms().values())

    @property
    def total_ms(self) -> int:
        return sum(s.ms for s in self.steps)

    def levels(self) -> list[list[DagStep]]:
        depth: dict[str, int] = {}
        for step in self.steps:
            depth[step.id] = 1 + max((depth[d] for d in step.deps), default=0)
        grouped: list[list[DagStep]] = [[] for _ in range(max(depth.values()))]
        for step in self.steps:
            grouped[depth[step.id] - 1].append(step)
        return grouped

    @property
    def level_bound_ms(self) -> int:
        """Makespan when each level waits for the previous one to finish entirely."""
        return sum(max(s.ms for s in level) for level in self.levels())

    def plan(self) -> Plan:
        """The DAG as a docorch Plan: one sleep_tool step per node, edges as references."""
        steps = tuple(
            Step(
                id=s.id,
                tool=SLEEP_TOOL,
                params={"ms": s.ms, "inputs": [f"${d}.slept_ms" for d in s.deps]},
                description=f"sleep {s.ms} ms",
            )
            for s in self.steps
        )
        return Plan(
            query=f"benchmark {self.name}",
            query_type=QueryType.QA,
            steps=steps,
            answer_step=self.steps[-1].id,
            reasoning=f"benchmark DAG {self.name}",
            source="llm",
        )


async def run_in_process(dag: Dag) -> float:
    """The floor: the DAG with plain asyncio tasks calling the tool directly; makespan in ms."""
    started = time.perf_counter()
    tasks: dict[str, asyncio.Task[Slept]] = {}

    async def one(step: DagStep) -> Slept:
        inputs = tuple([(await tasks[d]).slept_ms for d in step.deps])
        return await sleep_tool(step.ms, inputs)

    for step in dag.steps:
        tasks[step.id] = asyncio.create_task(one(step))
    await asyncio.gather(*tasks.values())
    return (time.perf_counter() - started) * 1000


# ---- reading histories --------------------------------------------------------------------------


def _event_ms(event: Any) -> float:
    return float(event.event_time.ToNanoseconds()) / 1e6


def step_window_ms(history: WorkflowHistory, step_ids: Iterable[str]) -> float:
    """From the first step's ActivityTaskScheduled to WorkflowExecutionCompleted (server time)."""
    wanted = set(step_ids)
    first: float | None = None
    end: float | None = None
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_id in wanted and first is None:
                first = _event_ms(event)
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            end = _event_ms(event)
    if first is None or end is None:
        raise ValueError("history has no scheduled step or did not complete")
    return end - first


def latency_phases(history: WorkflowHistory, step_ms: dict[str, int]) -> dict[str, float]:
    """Where time goes between steps, medians in ms over the step part of a history:
    ``activity_extra`` (an activity's started -> completed beyond the step's own duration),
    ``task_dispatch`` (a workflow task's scheduled -> started) and ``task_run`` (started ->
    completed: the worker's processing plus its completion round trip)."""
    scheduled: dict[int, str] = {}
    started: dict[int, float] = {}
    wft_scheduled: dict[int, float] = {}
    wft_started: dict[int, float] = {}
    extra: list[float] = []
    dispatch: list[float] = []
    run: list[float] = []
    in_steps = False
    for event in history.events:
        kind, at = event.event_type, _event_ms(event)
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            activity_id = event.activity_task_scheduled_event_attributes.activity_id
            if activity_id in step_ms:
                scheduled[event.event_id] = activity_id
                in_steps = True
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started[event.activity_task_started_event_attributes.scheduled_event_id] = at
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            of = event.activity_task_completed_event_attributes.scheduled_event_id
            if of in scheduled and of in started:
                extra.append(at - started[of] - step_ms[scheduled[of]])
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            wft_scheduled[event.event_id] = at
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            wft_started[event.event_id] = at
            of = event.workflow_task_started_event_attributes.scheduled_event_id
            if in_steps and of in wft_scheduled:
                dispatch.append(at - wft_scheduled[of])
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            of = event.workflow_task_completed_event_attributes.started_event_id
            if in_steps and of in wft_started:
                run.append(at - wft_started[of])
    return {
        "activity_extra": median(extra) if extra else 0.0,
        "task_dispatch": median(dispatch) if dispatch else 0.0,
        "task_run": median(run) if run else 0.0,
        "tasks": float(len(run)),
    }


def _payload_sizes(message: Any) -> Iterable[int]:
    """Serialized sizes of every temporal.api.common.v1.Payload inside ``message``."""
    descriptor = message.DESCRIPTOR
    if descriptor.full_name == "temporal.api.common.v1.Payload":
        yield message.ByteSize()
        return
    for fd, value in message.ListFields():
        if fd.message_type is None:
            continue
        if fd.message_type.GetOptions().map_entry:
            for item in value.values():
                if hasattr(item, "DESCRIPTOR"):
                    yield from _payload_sizes(item)
        elif fd.is_repeated:
            for item in value:
                yield from _payload_sizes(item)
        else:
            yield from _payload_sizes(value)


@dataclass(frozen=True)
class HistorySizes:
    events: int
    history_bytes: int
    max_payload_bytes: int
    max_payload_event: str
    max_event_bytes: int
    max_event: str
    activities: int = 0
    """Activity tasks scheduled (attempts not counted)."""
    largest_events: tuple[tuple[str, int], ...] = ()
    """The five largest events, biggest first: (name, serialized bytes)."""


def history_sizes(history: WorkflowHistory) -> HistorySizes:
    """Event count, serialized history size and the largest payload / event (with which one)."""
    max_payload, max_payload_event, max_event, max_event_name, total = 0, "", 0, "", 0
    activities: dict[int, str] = {}
    sized: list[tuple[str, int]] = []
    for event in history.events:
        size = event.ByteSize()
        total += size
        name = event_name(event, activities)
        sized.append((name, size))
        if size > max_event:
            max_event, max_event_name = size, name
        for payload in _payload_sizes(event):
            if payload > max_payload:
                max_payload, max_payload_event = payload, name
    return HistorySizes(
        events=len(history.events),
        history_bytes=total,
        max_payload_bytes=max_payload,
        max_payload_event=max_payload_event,
        max_event_bytes=max_event,
        max_event=max_event_name,
        activities=len(activities),
        largest_events=tuple(sorted(sized, key=lambda e: -e[1])[:5]),
    )


def event_name(event: Any, activities: dict[int, str]) -> str:
    """``#41 ACTIVITY_TASK_COMPLETED (search_documents, id search_1)``; ``activities`` maps
    scheduled event ids to that label and is filled as the history is read in order."""
    kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
    label = f"#{event.event_id} {kind}"
    if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        a = event.activity_task_scheduled_event_attributes
        activities[event.event_id] = f"{a.activity_type.name}, id {a.activity_id}"
        return f"{label} ({activities[event.event_id]})"
    for attributes in (
        "activity_task_started_event_attributes",
        "activity_task_completed_event_attributes",
        "activity_task_failed_event_attributes",
    ):
        if event.HasField(attributes):
            of = getattr(event, attributes).scheduled_event_id
            return f"{label} ({activities.get(of, f'of #{of}')})"
    return label


# ---- statistics ---------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank-interpolated percentile, ``p`` in [0, 100]."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, p10/p90, min, max and count of a sample."""
    return {
        "median": round(median(values), 3),
        "p10": round(percentile(values, 10), 3),
        "p90": round(percentile(values, 90), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "n": len(values),
    }


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """Median of per-round ratios: each round measured side by side, so drift cancels."""
    return round(median([n / d for n, d in zip(numerators, denominators, strict=True)]), 4)


async def timed(awaitable: Awaitable[T]) -> tuple[T, float]:
    """The awaitable's result and its wall time in ms."""
    started = time.perf_counter()
    result = await awaitable
    return result, (time.perf_counter() - started) * 1000


# ---- results and reporting ----------------------------------------------------------------------


def write_result(name: str, document: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)
    return path


def read_result(name: str) -> dict[str, Any] | None:
    path = RESULTS_DIR / f"{name}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A markdown table; floats are shown with up to 3 significant decimals."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return out + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "-"


def _temporal_cli_version() -> str:
    try:
        out = subprocess.run(
            [str(temporal_binary()), "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
        return out.removeprefix("temporal version ")
    except Exception:
        return "-"


def machine() -> dict[str, Any]:
    """Where and with what the figures were measured."""
    load = os.getloadavg()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "temporalio": _version("temporalio"),
        "temporal_cli": _temporal_cli_version(),
        "pydantic": _version("pydantic"),
        "docorch": _version("docorch"),
        "git": _git_commit(),
        "load_average_at_start": [round(x, 2) for x in load],
    }


# ---- a docorch worker in its own process ---------------------------------------------------------


async def serve_worker(address: str, task_queue: str, data_dir: str, roots: list[str]) -> None:
    """Body of the worker process: docorch's own worker until stdin closes."""
    import logging
    import sys

    from client.connection import connect
    from client.logs import configure_logging

    configure_logging("console", level=logging.WARNING)
    settings = Settings(data_dir=Path(data_dir), allowed_roots=tuple(Path(r) for r in roots))
    client = await connect(settings, address=address)
    async with build_worker(client, settings, task_queue=task_queue):
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.read)


@contextlib.asynccontextmanager
async def worker_process(task_queue: str) -> AsyncIterator[int]:
    """docorch's default worker (built-in tools) in a child process, so its CPU time can be
    read on its own; yields the process id."""
    import sys

    bench = await environment()
    code = (
        "import asyncio, sys; from bench.common import serve_worker; "
        "asyncio.run(serve_worker(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        bench.client.service_client.config.target_host,
        task_queue,
        str(bench.settings.data_dir),
        *(str(r) for r in bench.settings.allowed_roots),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"the worker process did not start (said {line!r})")
        yield process.pid
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()
