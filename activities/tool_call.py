"""How the registry calls a tool's own code: a plain function on a daemon thread of its own, a
coroutine function as a task, and neither may end the worker.

A sync tool does not run on the event loop's shared executor (``asyncio.to_thread``): a tool
that never returns would hold one of its few threads for good after its activity timed out
(threads cannot be stopped), and enough such calls would stall everything else the worker runs
there (ingest, the LLM ledger, the embedded API), and keep the process from exiting. A tool
that exits (``sys.exit``, ``KeyboardInterrupt``) fails its call instead of the worker: the
event loop would stop on such an exception from a task.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any


class ToolExited(RuntimeError):
    """The tool raised SystemExit or KeyboardInterrupt: its call fails (retried like any
    error), the worker goes on."""


def _contained(error: BaseException) -> BaseException:
    if isinstance(error, Exception | asyncio.CancelledError):
        return error
    return ToolExited(
        f"the tool raised {type(error).__name__}({error}): a tool must raise an exception, "
        "not exit the process"
    )


def call_tool(func: Callable[..., Any], kwargs: dict[str, Any]) -> asyncio.Future[Any]:
    """Start ``func(**kwargs)`` and return the future of its result, with the caller's context
    (contextvars) carried over; a coroutine function runs as a task, a plain function on a
    daemon thread of its own. Cancelling the future cancels a task; a thread runs on (it
    cannot be stopped) but holds nothing the worker needs, and its result is dropped."""
    if inspect.iscoroutinefunction(func):
        return asyncio.ensure_future(_awaited(func(**kwargs)))
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():  # cancelled meanwhile: nobody waits for it
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        try:
            result, error = context.run(func, **kwargs), None
        except BaseException as raised:  # the tool's code: whatever it raises is its failure
            result, error = None, _contained(raised)
        # the loop may have closed while the tool ran: then nobody waits for it
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, error)

    name = getattr(func, "__name__", "tool")
    threading.Thread(target=run, name=f"tool-{name}", daemon=True).start()
    return future


async def _awaited(call: Awaitable[Any]) -> Any:
    try:
        return await call
    except BaseException as error:
        contained = _contained(error)
        if contained is error:
            raise
        raise contained from None
