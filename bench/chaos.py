"""Chaos soak: queries keep running while the worker or the Temporal server is killed with SIGKILL
every 20 s.

A dev server with a persistent database (``--db-filename``: killed and started again on the same
port, it keeps every workflow) and one docorch worker in its own process (built-in tools plus
the test tools, ``tests/worker_process.py``); this process submits the queries through the SDK
(``OrchestratorClient``), 20 in flight (a closed loop), in rotation: a question over two
contracts, a summary of a PDF and a DOCX, a question over a note uploaded for that query (new
bytes: the worker ingests them), a question naming two stored documents by id, and, every second
query, a question whose plan waits on a slow service for ``long_step_s`` between its search and
its answer (the fault tool ``slow``, heartbeating: a stand-in for an LLM or a remote API). Every
``kill_every_s`` the worker (a new one is started at once) or the server (restarted at once on
the same port and database) is killed with SIGKILL, alternately.

First the same queries run without kills (the baseline rate); then the soak. Seconds lost per
kill = (soak wall time - the soak's queries at the baseline rate) / kills. Afterwards every
step's side effects are audited against the Temporal histories (``bench.chaos_audit``).

    python -m bench --only chaos [--quick]     # quick: 40 queries, one kill of each kind
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from temporalio.service import RPCError, RPCStatusCode

from bench.chaos_audit import audit
from bench.chaos_report import report
from bench.chaos_rig import REPLY_WITHIN_S, Rig, WorkerSlot, served
from bench.chaos_rig import rig as rig_of
from bench.paths import SAMPLES
from bench.stats import median
from client.reconnect import is_unreachable
from client.sdk import OrchestratorClient
from models.ids import fresh_query_id
from models.plan import Plan, Step
from models.query import QueryStatus, QueryType
from store import content_id
from tests.postgres import throwaway_cluster

NAME = "chaos"
TITLE = "Chaos soak: worker and server killed with SIGKILL while queries run"
T = TypeVar("T")


@dataclass(frozen=True)
class Shape:
    queries: int
    baseline_queries: int
    in_flight: int
    kill_every_s: float
    kills: int | None
    """None: keep killing until the queries are answered."""
    long_step_s: float


FULL = Shape(
    queries=200, baseline_queries=60, in_flight=20, kill_every_s=20, kills=None, long_step_s=25
)
QUICK = Shape(queries=40, baseline_queries=20, in_flight=20, kill_every_s=8, kills=2, long_step_s=8)

CONTRACTS = ("contract_acme_globex.md", "contract_acme_initech.md")
REPORTS = ("contract_acme_umbrella.pdf", "incident_review_2025-09-22.docx")
STORED = ("q3_operations_report.md", "steering_meeting_notes.txt")
KINDS = ("qa", "long", "summary", "long", "upload", "long", "stored", "long")


@dataclass
class Outcome:
    index: int
    kind: str
    workflow_id: str
    started: float
    ended: float = 0.0
    status: str = ""
    error: str = ""

    @property
    def answered(self) -> bool:
        return self.status == QueryStatus.COMPLETED.value


@dataclass
class Kill:
    target: str
    at: float
    up_s: float = 0.0


@dataclass
class Soak:
    """What one phase recorded: outcomes, kills and unexpected worker exits."""

    outcomes: list[Outcome] = field(default_factory=list)
    kills: list[Kill] = field(default_factory=list)
    worker_deaths: int = 0
    started: float = 0.0
    ended: float = 0.0


# ---- the queries --------------------------------------------------------------------------------


def _long_plan(question: str, key: str, seconds: float) -> Plan:
    steps = (
        Step(
            id="search",
            tool="search_documents",
            params={"query": question, "documents": "$input.documents", "top_k": 5},
            description="Search both contracts",
        ),
        Step(
            id="wait",
            tool="slow",
            params={"key": key, "seconds": seconds, "inputs": ["$search.passages"]},
            description="Wait on a slow service",
        ),
        Step(
            id="answer",
            tool="answer_question",
            params={"question": question, "passages": "$search.passages"},
            depends_on=("wait",),
            description="Answer from the passages found",
        ),
    )
    return Plan(
        query=question,
        query_type=QueryType.QA,
        steps=steps,
        answer_step="answer",
        reasoning="search, a slow call, then the answer",
        source="llm",
    )


async def _until_served(call: Callable[[], Awaitable[T]], what: str) -> T:
    """``call()``, again while the server is unreachable or still starting (its namespace not
    yet served), for up to REPLY_WITHIN_S."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REPLY_WITHIN_S
    while True:
        try:
            return await call()
        except RPCError as error:
            starting = error.status == RPCStatusCode.NOT_FOUND and "amespace" in error.message
            if not (is_unreachable(error) or starting) or loop.time() > deadline:
                raise RuntimeError(f"{what}: {error.status.name} {error}") from error
            await asyncio.sleep(0.5)


class Asker:
    """Submits query ``index`` of the rotation and waits for its answer."""

    def __init__(self, sdk: OrchestratorClient, shape: Shape, salt: str) -> None:
        self.sdk, self.shape, self.salt = sdk, shape, salt
        self.stored = [content_id((SAMPLES / n).read_bytes()) for n in STORED]
        self.uploads = 0

    async def _start(self, kind: str, index: int, workflow_id: str) -> None:
        files = [str(SAMPLES / n) for n in CONTRACTS]
        plan = None
        if kind == "qa":
            question, documents = (
                "What is the notice period for termination for convenience?",
                files,
            )
        elif kind == "long":
            question, documents = "What is the monthly fee?", files
            plan = _long_plan(question, f"{self.salt}-{index}", self.shape.long_step_s)
        elif kind == "summary":
            question, documents = "Summarize these documents", [str(SAMPLES / n) for n in REPORTS]
        elif kind == "upload":
            note = (
                f"# Retention note {index}\n\nChaos run {self.salt}, note {index}: records are "
                f"kept for {index % 11 + 1} months, then deleted.\n"
            )
            reference = await self.sdk.upload(note.encode(), name=f"chaos-{self.salt}-{index}.md")
            self.uploads += 1
            question, documents = "How long are records kept?", [reference]
        else:
            question, documents = "What are the main risks?", self.stored

        async def start() -> None:
            await self.sdk.start(
                question, documents, plan=plan, workflow_id=workflow_id, attach_existing=True
            )

        await _until_served(start, f"starting {workflow_id}")

    async def ask(self, index: int, clock: Callable[[], float]) -> Outcome:
        kind = KINDS[index % len(KINDS)]
        outcome = Outcome(index, kind, fresh_query_id(), started=clock())
        try:
            await self._start(kind, index, outcome.workflow_id)
            result = await _until_served(
                lambda: self.sdk.result(outcome.workflow_id), f"waiting for {outcome.workflow_id}"
            )
            outcome.status = result.status.value if result.answer.strip() else "no answer"
        except Exception as error:
            outcome.error = f"{type(error).__name__}: {error}"[:300]
        outcome.ended = clock()
        return outcome


async def _closed_loop(asker: Asker, first: int, count: int, soak: Soak) -> None:
    """``count`` queries from rotation index ``first``, ``in_flight`` at a time."""
    indices = iter(range(first, first + count))
    loop = asyncio.get_running_loop()

    async def client() -> None:
        for index in indices:
            soak.outcomes.append(await asker.ask(index, lambda: loop.time() - soak.started))

    soak.started = loop.time()
    await asyncio.gather(*(client() for _ in range(asker.shape.in_flight)))
    soak.ended = loop.time() - soak.started


async def _chaos(
    shape: Shape, soak: Soak, done: asyncio.Event, workers: WorkerSlot, server: Callable[[], Any]
) -> None:
    """Every ``kill_every_s``: kill the worker or the server (alternately) and replace it."""
    loop = asyncio.get_running_loop()
    for target in itertools.cycle(("worker", "server")):
        if shape.kills is not None and len(soak.kills) >= shape.kills:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), shape.kill_every_s)
        if done.is_set():
            return
        if not workers.alive():
            soak.worker_deaths += 1
        kill = Kill(target, at=loop.time() - soak.started)
        began = loop.time()
        if target == "worker":
            await workers.replace()
        else:
            await server()
        kill.up_s = round(loop.time() - began, 2)
        soak.kills.append(kill)


# ---- the run ------------------------------------------------------------------------------------


async def _phase(rig: Rig, asker: Asker, first: int, count: int, *, chaos: Shape | None) -> Soak:
    soak = Soak()
    done = asyncio.Event()

    async def restart_server() -> None:
        rig.server.kill()
        await served(rig.server, rig.settings)

    killer = None
    if chaos is not None:
        killer = asyncio.create_task(_chaos(chaos, soak, done, rig.workers, restart_server))
    try:
        await _closed_loop(asker, first, count, soak)
    finally:
        done.set()
        if killer is not None:
            await killer
    return soak


def _in_flight_at(soak: Soak, at: float) -> int:
    return sum(1 for o in soak.outcomes if o.started <= at < o.ended)


def _phase_figures(soak: Soak) -> dict[str, Any]:
    answered = [o for o in soak.outcomes if o.answered]
    latency = {
        kind: round(median([o.ended - o.started for o in answered if o.kind == kind]), 2)
        for kind in dict.fromkeys(KINDS)
        if any(o.kind == kind for o in answered)
    }
    return {
        "queries": len(soak.outcomes),
        "answered": len(answered),
        "statuses": dict(
            sorted(
                {
                    s: sum(1 for o in soak.outcomes if (o.status or "error") == s)
                    for s in {o.status or "error" for o in soak.outcomes}
                }.items()
            )
        ),
        "errors": sorted({o.error for o in soak.outcomes if o.error})[:5],
        "wall_s": round(soak.ended, 1),
        "median_latency_s": latency,
    }


def _kill_figures(soak: Soak) -> list[dict[str, Any]]:
    rows = []
    for kill in soak.kills:
        up = kill.at + kill.up_s
        later = sorted(o.ended for o in soak.outcomes if o.ended > up)
        rows.append(
            {
                "target": kill.target,
                "at_s": round(kill.at, 1),
                "in_flight": _in_flight_at(soak, kill.at),
                "replaced_s": kill.up_s,
                "next_answer_s": round(later[0] - kill.at, 2) if later else None,
            }
        )
    return rows


def _expected_wall(baseline: Soak, soak: Soak, in_flight: int) -> float:
    """How long the soak's queries take without kills: each at its kind's mean baseline
    latency, ``in_flight`` at a time."""
    means: dict[str, float] = {}
    for kind in set(KINDS):
        latencies = [o.ended - o.started for o in baseline.outcomes if o.kind == kind]
        means[kind] = sum(latencies) / len(latencies) if latencies else 0.0
    return sum(means[o.kind] for o in soak.outcomes) / in_flight


async def _soak(shape: Shape, store_url: str | None) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="docorch-chaos-"))
    try:
        async with rig_of(root, store_url) as rig:
            asker = Asker(rig.sdk, shape, uuid.uuid4().hex[:8])
            await rig.sdk.ingest([str(SAMPLES / n) for n in STORED])  # named by id below
            warm = await _phase(rig, asker, 0, len(KINDS), chaos=None)
            baseline = await _phase(rig, asker, len(KINDS), shape.baseline_queries, chaos=None)
            first = len(KINDS) + shape.baseline_queries
            soak = await _phase(rig, asker, first, shape.queries, chaos=shape)
            samples = len({*CONTRACTS, *REPORTS, *STORED})
            quiet = {o.workflow_id for o in warm.outcomes + baseline.outcomes}
            audited = await audit(
                rig.client, rig.settings, uploads=asker.uploads, samples=samples, quiet=quiet
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    kills = len(soak.kills)
    expected = _expected_wall(baseline, soak, shape.in_flight)
    return {
        "store": "postgresql" if store_url else "embedded",
        "shape": shape.__dict__,
        "baseline": _phase_figures(baseline),
        "soak": _phase_figures(soak),
        "kills": _kill_figures(soak),
        "worker_deaths": soak.worker_deaths,
        "expected_wall_s": round(expected, 1),
        "seconds_lost_per_kill": round((soak.ended - expected) / kills, 1) if kills else None,
        "audit": audited,
    }


async def run(quick: bool) -> dict[str, Any]:
    rounds = [await _soak(QUICK if quick else FULL, None)]
    if not quick:  # the same audit on the PostgreSQL store, a short soak
        with throwaway_cluster() as cluster:
            rounds.append(await _soak(QUICK, cluster.create_database("chaos")))
    main = rounds[0]["soak"]
    duplicated = sum(r["audit"]["duplicated"] for r in rounds)
    stores = " and ".join(r["store"] for r in rounds)
    return {
        "rounds": rounds,
        "goals": [
            {
                "goal": f"chaos soak: {main['queries']}/{main['queries']} answered",
                "measured": f"{main['answered']}/{main['queries']}"
                + "".join(f", {r['soak']['answered']}/{r['soak']['queries']}" for r in rounds[1:]),
                "met": all(r["soak"]["answered"] == r["soak"]["queries"] for r in rounds),
            },
            {
                "goal": "chaos soak: no step's side effect recorded twice",
                "measured": f"{duplicated} recorded twice ({stores} store)",
                "met": duplicated == 0,
            },
        ],
    }


def table(results: dict[str, Any]) -> str:
    return report(results)
