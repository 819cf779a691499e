"""The API served from a thread of its own (own event loop) on a free loopback port: what the
API tests and the streaming benchmark run against, beside their own event loop. The app's
lifespan runs in that thread's loop, so the Temporal client and worker it opens live there."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import uvicorn
from fastapi import FastAPI


class BackgroundApiServer:
    """Serves ``app`` (lifespan on) until stopped; ``base_url`` is set once serving."""

    def __init__(self, app: FastAPI, *, name: str = "api-server") -> None:
        self._app = app
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def start(self, timeout: float = 60) -> None:
        """Start serving; RuntimeError when the server (or the app's lifespan) fails to start."""
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            raise RuntimeError(f"the API server did not start: {self._error!r}")

    def stop(self, timeout: float = 20) -> None:
        """Stop serving (the app's lifespan closes what it opened) and join the thread."""
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
        config = uvicorn.Config(
            self._app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        serving = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if serving.done():
                serving.result()
                raise RuntimeError("the API stopped before serving: its lifespan failed")
            await asyncio.sleep(0.02)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._ready.set()
        await serving
