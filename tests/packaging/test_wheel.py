"""The wheel is what users run: build it from the checkout's files, install it in a fresh venv
outside the repository, and from another directory start ``docorch worker`` and answer a question
with the installed ``docorch`` against the session's Temporal server.

This is how a missing package in the wheel shows (``activities/llm`` once was:
``ModuleNotFoundError`` at worker start). The venv gets its dependencies from the package index
(pip's cache makes that quick after ``make install``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.client import Client

from models.query import QueryResult, QueryStatus

INSTALL_TIMEOUT = 600
"""Seconds for building the wheel or installing it (generous: the index may be slow)."""
RUN_TIMEOUT = 180
"""Seconds for the worker to start and for one question to be answered."""

# the module's fixture builds and installs once; its time counts towards the first test
pytestmark = [
    pytest.mark.integration,
    pytest.mark.packaging,
    pytest.mark.timeout(3 * INSTALL_TIMEOUT + RUN_TIMEOUT),
]

REPO = Path(__file__).resolve().parents[2]
NOT_SHIPPED = ("tests", "bench", "samples", "deploy")
"""Top-level folders of the checkout that stay out of the wheel; every other .py file ships."""
DOCUMENT = "contract_acme_globex.md"
QUESTION = "What is the notice period for termination for convenience?"


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    source_files: frozenset[str]
    """Paths of the checkout's files (tracked or new, not ignored) the wheel was built from."""

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the test venv or the repository on the path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME") and not k.startswith("DOCORCH_")
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return {**env, **extra}


def _run(command: list[str | Path], *, cwd: Path, timeout: float) -> str:
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _checkout_files() -> list[str]:
    """The files a clean clone would have, plus new files not yet committed (not ignored ones)."""
    listed = _run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        timeout=60,
    )
    return [name for name in listed.split("\0") if name and (REPO / name).is_file()]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel built from a copy of the checkout's files, installed in a fresh venv."""
    root = tmp_path_factory.mktemp("packaging")
    source = root / "source"
    files = _checkout_files()
    for name in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    dist = root / "dist"
    pip_wheel: list[str | Path] = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--quiet",
        "-w",
        dist,
        source,
    ]
    _run(pip_wheel, cwd=root, timeout=INSTALL_TIMEOUT)
    (wheel,) = dist.glob("docorch-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=root, timeout=INSTALL_TIMEOUT)
    _run(
        [venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel],
        cwd=root,
        timeout=INSTALL_TIMEOUT,
    )
    return Installed(wheel=wheel, venv=venv, source_files=frozenset(files))


def test_wheel_ships_every_module_outside_tests_bench_and_samples(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    shipped = {n for n in names if n.endswith(".py")}
    expected = {
        name
        for name in installed.source_files
        if name.endswith(".py") and name.split("/", 1)[0] not in NOT_SHIPPED
    }
    assert "activities/llm/__init__.py" in expected
    assert shipped == expected, (
        f"missing from the wheel: {sorted(expected - shipped)}; "
        f"unexpected: {sorted(shipped - expected)}"
    )
    page_files = {n for n in installed.source_files if n.startswith("app/web/static/")}
    assert "app/web/static/index.html" in page_files
    assert page_files <= names, f"the web page's files missing: {sorted(page_files - names)}"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    with zipfile.ZipFile(installed.wheel) as wheel:
        assert "License-Expression: Apache-2.0" in wheel.read(metadata).decode()


def test_installed_modules_come_from_the_venv_not_the_checkout(
    installed: Installed, tmp_path: Path
) -> None:
    code = "import activities.llm, client, models, worker, workflows; print(worker.__file__)"
    where = _run([installed.bin("python"), "-c", code], cwd=tmp_path, timeout=RUN_TIMEOUT)
    assert Path(where.strip()).is_relative_to(installed.venv)


def test_the_installed_api_serves_the_web_page_from_the_package(
    installed: Installed, tmp_path: Path
) -> None:
    code = (
        "from fastapi.testclient import TestClient; from app.api.main import create_app; "
        "from models.settings import Settings; "
        "page = TestClient(create_app(Settings())).get('/static/app.js'); "
        "print(page.status_code, page.headers['content-type'])"
    )
    served = _run([installed.bin("python"), "-c", code], cwd=tmp_path, timeout=RUN_TIMEOUT)
    assert served.split() == ["200", "text/javascript;", "charset=utf-8"]


@pytest.fixture
def outside(tmp_path: Path) -> tuple[Path, Path]:
    """A working directory and a documents directory, both outside the repository."""
    cwd, docs = tmp_path / "elsewhere", tmp_path / "documents"
    cwd.mkdir()
    docs.mkdir()
    shutil.copy2(REPO / "samples" / DOCUMENT, docs / DOCUMENT)
    assert not cwd.is_relative_to(REPO)
    return cwd, docs


@pytest.fixture
def docorch_env(client: Client, outside: tuple[Path, Path]) -> dict[str, str]:
    """What an operator would set: the server, a data directory, the allowed documents root."""
    cwd, docs = outside
    return _clean_env(
        TEMPORAL_ADDRESS=client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=client.namespace,
        DOCORCH_DATA_DIR=str(cwd / "data"),
        DOCORCH_ALLOWED_ROOTS=str(docs),
        DOCORCH_TASK_QUEUE=f"packaging-{uuid.uuid4().hex[:8]}",
        DOCORCH_LOG_FORMAT="json",
    )


@pytest.fixture
def worker(
    installed: Installed, outside: tuple[Path, Path], docorch_env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    """``docorch worker`` from the venv, started from the outside directory, once it polls;
    stopped with SIGINT (killed if it lingers)."""
    cwd, _ = outside
    log = cwd / "worker.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(installed.bin("docorch")), "worker"],
            cwd=cwd,
            env=docorch_env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + RUN_TIMEOUT
        while b'"worker_started"' not in log.read_bytes():
            assert process.poll() is None, f"docorch worker exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"docorch worker not started:\n{log.read_text()}"
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_installed_docorch_answers_a_question_with_citations(
    installed: Installed,
    outside: tuple[Path, Path],
    docorch_env: dict[str, str],
    worker: subprocess.Popen[bytes],
) -> None:
    cwd, docs = outside
    done = subprocess.run(
        [str(installed.bin("docorch")), "ask", QUESTION, "--doc", str(docs / DOCUMENT), "--json"],
        cwd=cwd,
        env=docorch_env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert done.returncode == 0, f"docorch ask failed:\n{done.stdout}\n{done.stderr}"
    result = QueryResult.model_validate_json(done.stdout)
    assert result.status is QueryStatus.COMPLETED
    assert "90 days" in result.answer
    original = (docs / DOCUMENT).read_text()
    assert result.citations
    for citation in result.citations:
        assert citation.document_name == DOCUMENT
        assert original[citation.anchor.char_start : citation.anchor.char_end] == citation.quote
    assert any("90 days" in citation.quote for citation in result.citations)
    assert worker.poll() is None, "the worker died while the question was answered"
