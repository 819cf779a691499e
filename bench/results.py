"""Results files and what they record: one JSON document per benchmark, the machine it ran on,
markdown tables.

A full run writes ``bench/results/`` (committed, the source of BENCHMARKS.md); a quick run
writes the scratch folder ``bench/results/quick/`` (git-ignored), so ``make bench-quick`` never
overwrites committed figures.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import subprocess
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.runtime.devserver import temporal_binary
from bench.paths import REPO

RESULTS_DIR = REPO / "bench" / "results"
QUICK_RESULTS_DIR = RESULTS_DIR / "quick"


def results_dir(*, quick: bool) -> Path:
    """Where a run's results go: the committed folder for a full run, scratch for a quick one."""
    return QUICK_RESULTS_DIR if quick else RESULTS_DIR


def write_result(name: str, document: dict[str, Any], *, quick: bool) -> Path:
    """Write ``<name>.json`` (atomically) into the run's results folder; returns its path."""
    folder = results_dir(quick=quick)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)
    return path


def write_report(
    name: str, results: Any, *, machine: Any, command: str, started: float, rendered: str
) -> int:
    """Write a full-run result of a benchmark run by its own command (``python -m bench.NAME
    ...``, which ``python -m bench`` shows but does not run), print ``rendered`` and where the
    result went; the command's exit status."""
    document = {
        "name": name,
        "quick": False,
        "machine": machine,
        "command": command,
        "results": results,
        "duration_s": round(time.perf_counter() - started, 1),
    }
    path = write_result(name, document, quick=False)
    print(rendered)
    print(f"[bench] {name}: -> {path.relative_to(REPO)}")
    return 0


def read_result(name: str, *, quick: bool) -> dict[str, Any] | None:
    """The last result of benchmark ``name`` in the full or quick results folder, if any."""
    path = results_dir(quick=quick) / f"{name}.json"
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


def measured_on() -> dict[str, Any]:
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
