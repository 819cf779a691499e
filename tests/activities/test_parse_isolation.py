"""Parsing in child processes: typed errors come back, a deadline or a cancellation kills the
child, its memory is capped, it dies with its parent, and it is reused when all went well."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from activities.documents.isolation import ParsePool
from activities.documents.limits import ParseLimits
from activities.errors import (
    BadInput,
    DecompressionBomb,
    DocumentTooComplex,
    DocumentTooLarge,
    EmptyDocument,
)
from tests.hostile_documents import docx_bomb, pdf_bomb, slow_html

REPO = Path(__file__).resolve().parents[2]
MEMORY_MB = 512
PATIENT = ParseLimits(timeout_seconds=120)
UNCHECKED = ParseLimits(max_inflated_bytes=1 << 40, max_compression_ratio=1e12, timeout_seconds=120)
"""No inflation checks: only the child's memory cap stands between a bomb and the machine."""


@pytest_asyncio.fixture
async def pool() -> AsyncIterator[ParsePool]:
    pool = ParsePool(processes=2, memory_mb=MEMORY_MB)
    yield pool
    await pool.close()


def dead(pid: int) -> bool:
    """Gone, or a zombie nobody has reaped yet (a container's init may not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


async def busy_child(pool: ParsePool) -> int:
    while not pool.busy():
        await asyncio.sleep(0.02)
    return pool.busy()[0]


async def test_documents_parse_in_a_reused_child(pool: ParsePool) -> None:
    first = await pool.parse(Path("a.md"), b"# Alpha\n\nOne.", password=None, limits=PATIENT)
    children = pool.children()
    second = await pool.parse(Path("b.md"), b"# Beta\n\nTwo.", password=None, limits=PATIENT)
    assert (first.title, second.title) == ("Alpha", "Beta")
    assert len(children) == 1 and os.getpid() not in children
    assert pool.children() == children


async def test_bad_input_comes_back_typed_and_the_child_serves_on(pool: ParsePool) -> None:
    with pytest.raises(DecompressionBomb, match=r"bomb\.docx"):
        await pool.parse(Path("bomb.docx"), docx_bomb(300_000), password=None, limits=PATIENT)
    with pytest.raises(EmptyDocument, match=r"blank\.md"):
        await pool.parse(Path("blank.md"), b"  \n", password=None, limits=PATIENT)
    children = pool.children()
    parsed = await pool.parse(Path("c.md"), b"# Gamma\n\nThree.", password=None, limits=PATIENT)
    assert parsed.title == "Gamma" and pool.children() == children


async def test_a_parse_past_its_deadline_is_killed_with_a_typed_error(pool: ParsePool) -> None:
    task = asyncio.create_task(
        pool.parse(
            Path("slow.html"),
            slow_html(1_000_000),
            password=None,
            limits=ParseLimits(timeout_seconds=1),
        )
    )
    child = await busy_child(pool)
    with pytest.raises(DocumentTooComplex, match=r"slow\.html: parsing took over 1 s"):
        await task
    assert dead(child) and not pool.busy()
    parsed = await pool.parse(Path("d.md"), b"# Delta\n\nFour.", password=None, limits=PATIENT)
    assert parsed.title == "Delta"  # a successor took over


async def test_cancelling_a_parse_kills_its_child(pool: ParsePool) -> None:
    task = asyncio.create_task(
        pool.parse(Path("slow.html"), slow_html(1_000_000), password=None, limits=PATIENT)
    )
    child = await busy_child(pool)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert dead(child) and not pool.busy()


async def test_a_child_that_dies_mid_parse_is_a_typed_error(pool: ParsePool) -> None:
    task = asyncio.create_task(
        pool.parse(Path("slow.html"), slow_html(1_000_000), password=None, limits=PATIENT)
    )
    os.kill(await busy_child(pool), signal.SIGKILL)  # what the kernel's OOM killer does
    with pytest.raises(DocumentTooLarge, match=r"slow\.html: the parser died \(signal 9\)"):
        await task


async def test_a_docx_bomb_past_the_checks_meets_the_memory_cap(pool: ParsePool) -> None:
    with pytest.raises(DocumentTooLarge, match=r"bomb\.docx: the XML parser ran out of"):
        await pool.parse(Path("bomb.docx"), docx_bomb(1_000_000), password=None, limits=UNCHECKED)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kb < MEMORY_MB * 1024  # no child this process waited for ever grew past the cap


async def test_a_pdf_bomb_past_the_checks_meets_the_memory_cap(pool: ParsePool) -> None:
    # which error depends on how the PDF library reports the MemoryError; it is bad input
    with pytest.raises(BadInput, match=r"bomb\.pdf"):
        await pool.parse(Path("bomb.pdf"), pdf_bomb(1 << 30), password=None, limits=UNCHECKED)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kb < MEMORY_MB * 1024


async def test_a_parse_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        from pathlib import Path
        from activities.documents.isolation import ParsePool
        from activities.documents.limits import ParseLimits
        from tests.hostile_documents import slow_html

        async def main():
            pool = ParsePool(processes=1, memory_mb=512)
            task = asyncio.create_task(pool.parse(
                Path("slow.html"), slow_html(1_000_000), password=None,
                limits=ParseLimits(timeout_seconds=600)))
            while not pool.busy():
                await asyncio.sleep(0.02)
            print(pool.busy()[0], flush=True)
            await task

        asyncio.run(main())
        """
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert owner.stdout is not None
    child = int(await asyncio.wait_for(asyncio.to_thread(owner.stdout.readline), 60))
    assert not dead(child)
    owner.kill()  # kill -9 of a worker mid-parse
    owner.wait()
    while not dead(child):  # the pytest timeout bounds this wait
        await asyncio.sleep(0.05)
