"""CPU readings from Linux /proc: a process's CPU seconds, the whole machine's busy
share, and a child process found by its command line."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def child_pid(matches: Callable[[str], bool]) -> int | None:
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
