"""A Temporal dev server that can be killed with SIGKILL and started again on the same port and
database file, keeping its state: for the restart tests (tests/client/test_reconnect.py) and the
chaos benchmark (bench/chaos.py)."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

from app.runtime.devserver import server_command, ui_port, wait_until_serving
from models.settings import Settings


def free_port() -> int:
    """A port free for the frontend whose UI port (port + 1000) is free too."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + 1000 < 65536:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", ui_port(port))) != 0:
                    return port


class PersistentServer:
    """``temporal server start-dev`` on one port and database file, killed and restarted at
    will: what survives is the database."""

    def __init__(self, settings: Settings, port: int, db_file: Path, log: Path) -> None:
        self.command = server_command(settings, port, db_file=db_file)
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start the server; returns once it listens (its namespace may need a moment more)."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        await wait_until_serving(self.port, self.process)

    def kill(self) -> None:
        """kill -9, and wait until it is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@contextlib.asynccontextmanager
async def persistent_server(root: Path, settings: Settings) -> AsyncIterator[PersistentServer]:
    """A started PersistentServer with its database and log in ``root``; killed on exit."""
    server = PersistentServer(settings, free_port(), root / "temporal.db", root / "server.log")
    await server.start()
    try:
        yield server
    finally:
        server.kill()
