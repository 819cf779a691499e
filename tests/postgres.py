"""A throwaway PostgreSQL cluster for tests and benchmarks, from the Debian ``postgresql`` package.

``initdb`` in a fresh temporary directory, a free TCP port on 127.0.0.1 and a unix socket in the
same directory, durability off (nothing here outlives the run), stopped and removed by ``stop``.
PostgreSQL refuses to run as root, so when this process is root the cluster runs as the
``postgres`` system user (else ``nobody``) through ``setpriv``, and its directory is handed over
to that user.

Binaries come from PATH or ``/usr/lib/postgresql/<version>/bin`` (the newest). When they are
missing, ``require_binaries`` fails with what to install, unless DOCORCH_TEST_SKIP_POSTGRES=1
(a developer's explicit opt-out; CI installs the package through ``.ci/install-system``).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SKIP_VARIABLE = "DOCORCH_TEST_SKIP_POSTGRES"
"""Set to 1 to skip the PostgreSQL tests when the binaries are missing (developers only)."""
SUPERUSER = "docorch"
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "128MB",
}


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def binaries() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None."""
    on_path = shutil.which("initdb")
    if on_path is not None:
        folder = Path(on_path).resolve().parent
        if (folder / "pg_ctl").exists() and (folder / "postgres").exists():
            return folder
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return versions[-1].parent if versions else None


def require_binaries() -> Path | None:
    """The binaries' directory; None when they are missing and the opt-out is set; else raises
    PostgresMissing saying what to do."""
    found = binaries()
    if found is None and os.environ.get(SKIP_VARIABLE) != "1":
        raise PostgresMissing(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or under "
            "/usr/lib/postgresql/*/bin: install the Debian package `postgresql` "
            f"(.ci/install-system does), or set {SKIP_VARIABLE}=1 to skip these tests"
        )
    return found


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged user to run the server as, when this process is root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresMissing("running as root, and neither a 'postgres' nor a 'nobody' user exists")


@dataclass
class PostgresCluster:
    """A running throwaway cluster: connect by ``url(database)``; ``stop()`` removes it."""

    root: Path
    port: int
    bin_dir: Path
    user: pwd.struct_passwd | None
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def url(self, database: str = "postgres", *, tcp: bool = False) -> str:
        """A URL for ``database``: over the unix socket (the default) or TCP on 127.0.0.1."""
        if tcp:
            return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}&port={self.port}"

    def _command(self, *args: str) -> list[str]:
        if self.user is None:
            return list(args)
        return [
            "setpriv",
            f"--reuid={self.user.pw_uid}",
            f"--regid={self.user.pw_gid}",
            "--init-groups",
            "--",
            *args,
        ]

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            self._command(*args), capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr or done.stdout}"
                f"\n{tail}"
            )

    def start(self) -> None:
        """initdb and start the server; waits until it accepts connections."""
        self._run(
            str(self.bin_dir / "initdb"),
            "--pgdata",
            str(self.root / "data"),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        )
        options = " ".join(f"-c {k}={v}" for k, v in SERVER_SETTINGS.items())
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "--pgdata",
            str(self.root / "data"),
            "--log",
            str(self.root / "server.log"),
            "--options",
            f"-p {self.port} -k {self.socket_dir} {options}",
            "--wait",
            "--timeout",
            "60",
            "start",
        )

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"{prefix}_{next(self._names)}_{os.getpid()}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (immediately: nothing needs saving) and remove its directory."""
        try:
            if (self.root / "data" / "postmaster.pid").exists():
                self._run(
                    str(self.bin_dir / "pg_ctl"),
                    "--pgdata",
                    str(self.root / "data"),
                    "--mode",
                    "immediate",
                    "--wait",
                    "stop",
                )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(bin_dir: Path) -> PostgresCluster:
    """A fresh cluster from the binaries in ``bin_dir``, started; the caller stops it."""
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="docorch-pg-"))
    (root / "socket").mkdir()
    if user is not None:
        for path in (root, root / "socket"):
            os.chown(path, user.pw_uid, user.pw_gid)
    cluster = PostgresCluster(root=root, port=free_port(), bin_dir=bin_dir, user=user)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[PostgresCluster]:
    """A started cluster for the ``with`` block, stopped and removed after it (also on failure).
    Raises PostgresMissing when the binaries are not installed."""
    bin_dir = binaries()
    if bin_dir is None:
        require_binaries()
        raise PostgresMissing("PostgreSQL server binaries not found")
    cluster = start_cluster(bin_dir)
    try:
        yield cluster
    finally:
        cluster.stop()
