"""A parse process (see ``isolation``): limits itself, then parses jobs until its input ends
or it has been idle too long.

    python -m activities.documents.parse_child MEMORY_MB IDLE_SECONDS PARENT_PID

Jobs arrive on stdin and replies leave on stdout as frames: an 8-byte big-endian length, then
that many bytes of pickle (anything a library prints goes to stderr instead). The parser
libraries are imported at start, while the child waits as a spare.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import pickle
import resource
import select
import signal
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from activities.documents.limits import ParseLimits
from activities.documents.parsed import ParsedDocument
from activities.documents.parsers import parse_document
from activities.errors import BadInput, DocumentTooLarge

# the libraries the parsers import on first use: loaded at start, not on the first document
_WARM = (
    "bs4",
    "bs4.builder._htmlparser",
    "docx",
    "lxml.etree",
    "pdfplumber",
    "pypdf",
    "pypdfium2",
    "docutils.core",
    "charset_normalizer",
)

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Job:
    """One document to parse."""

    path: Path
    data: bytes
    password: str | None
    limits: ParseLimits


def _die_with_parent(parent: int) -> None:
    """Linux: be killed when the parent goes, even mid-parse (kill -9 of the worker). Strictly,
    when the parent's thread that started this process ends: the thread of the event loop the
    pool belongs to, which lives as long as the pool can be used."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent is already gone
        os._exit(0)


def _cap_memory(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _cap_cpu(seconds: float) -> None:
    """SIGXCPU once this job has used ``seconds`` (+ slack) of CPU: a backstop for the parent's
    deadline, which applies only while the parent lives."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(used + seconds) + 5
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


HEADER = struct.Struct("!Q")
"""A frame's length prefix."""


def frame(message: object) -> bytes:
    """``message`` pickled behind its length."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(payload)) + payload


def _read_exactly(descriptor: int, size: int) -> bytes | None:
    """``size`` bytes from ``descriptor``; None at the end of input."""
    chunks: list[bytes] = []
    while size:
        chunk = os.read(descriptor, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _next_job(descriptor: int, idle_seconds: float) -> Job | None:
    """The next job; None at the end of input or after ``idle_seconds`` without one."""
    if not select.select([descriptor], [], [], idle_seconds)[0]:
        return None
    header = _read_exactly(descriptor, HEADER.size)
    if header is None:
        return None
    payload = _read_exactly(descriptor, HEADER.unpack(header)[0])
    return None if payload is None else pickle.loads(payload)  # from our parent: trusted


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _parse(job: Job) -> ParsedDocument | BadInput:
    try:
        return parse_document(job.path, job.data, password=job.password, limits=job.limits)
    except BadInput as error:
        return error


def serve(jobs: int, replies: int, idle_seconds: float) -> None:
    """Answer each Job read from descriptor ``jobs`` on descriptor ``replies``: a
    ParsedDocument or the BadInput its parse raised."""
    while (job := _next_job(jobs, idle_seconds)) is not None:
        _cap_cpu(job.limits.timeout_seconds)
        try:
            reply = frame(_parse(job))
        except MemoryError:
            reply = frame(DocumentTooLarge(f"{job.path.name}: its text is too large to hand back"))
        _write_all(replies, reply)


def main(memory_mb: int, idle_seconds: float, parent: int) -> None:
    """Limit this process, keep stdout for replies (stray prints go to stderr), serve."""
    _die_with_parent(parent)
    for module in _WARM:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    _cap_memory(memory_mb)
    replies = os.dup(1)
    os.dup2(2, 1)
    serve(0, replies, idle_seconds)


if __name__ == "__main__":
    # run the importable module, so pickled Jobs and this code share one set of classes
    from activities.documents import parse_child

    parse_child.main(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))
