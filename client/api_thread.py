"""The API served from a thread of its own (own event loop) on a free loopback port: what the
API tests and the streaming benchmark run against, beside their own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

Setup = Callable[[contextlib.AsyncExitStack], Awaitable[FastAPI]]


class BackgroundApiServer:
    """``setup`` runs in the server's loop, enters what must stay open (a client, a worker) on
    the exit stack it is given, and returns the app. ``base_url`` is set once serving."""

    def __init__(self, setup: Setup, *, name: str = "api-server") -> None:
        self._setup = setup
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def start(self, timeout: float = 60) -> None:
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            raise RuntimeError(f"the API server did not start: {self._error!r}")

    def stop(self, timeout: float = 20) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> BackgroundApiServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to start()
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        async with contextlib.AsyncExitStack() as stack:
            app = await self._setup(stack)
            config = uvicorn.Config(
                app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"
            )
            self._server = uvicorn.Server(config)
            serving = asyncio.create_task(self._server.serve())
            while not self._server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.02)
            port = self._server.servers[0].sockets[0].getsockname()[1]
            self.base_url = f"http://127.0.0.1:{port}"
            self._ready.set()
            await serving
