"""What a worker does when a user's tool misbehaves as it runs (``tests/careless_tools.py``):
the call fails with a typed error and the worker goes on, whatever the tool does."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.registry import ToolRegistry
from activities.tools.catalog import registry_with
from tests import careless_tools


@pytest.fixture(scope="module")
def registry() -> ToolRegistry:
    return registry_with(["tests.careless_tools:register_misbehaving"])


async def _call(registry: ToolRegistry, tool: str) -> Any:
    return await ActivityEnvironment().run(registry.get(tool).activity, {"query": "q"})


@pytest.mark.parametrize(
    ("tool", "said"),
    [
        (
            "says_answer_returns_text",
            "says_answer_returns_text: its result 'q' is not a JSON value of its return type "
            "Answer: ",
        ),
        (
            "returns_anything",
            "returns_anything: its result <object object at",
        ),
    ],
)
async def test_a_result_unlike_its_declared_type_is_invalid_tool_output(
    registry: ToolRegistry, tool: str, said: str
) -> None:
    """A string where the signature says Answer was passed on as the step's output (a
    warning in the worker's log, then an answer step with no answer); an object with no JSON
    form failed in the converter as a retried, untyped error."""
    with pytest.raises(ApplicationError) as raised:
        await _call(registry, tool)
    assert raised.value.type == "InvalidToolOutput" and raised.value.non_retryable
    assert raised.value.message.startswith(said), raised.value.message
    assert "\n" not in raised.value.message


@pytest.mark.parametrize(
    ("tool", "exit_"), [("exits", "SystemExit(2)"), ("exits_async", "KeyboardInterrupt()")]
)
async def test_a_tool_that_exits_fails_its_call_not_the_worker(
    registry: ToolRegistry, tool: str, exit_: str
) -> None:
    """sys.exit in a tool reached the event loop through the call's task and stopped the
    worker (a worker in a test hung the test)."""
    with pytest.raises(ApplicationError) as raised:
        await _call(registry, tool)
    assert raised.value.type == "ToolExited" and not raised.value.non_retryable
    assert f"the tool raised {exit_}" in raised.value.message


@pytest.fixture
def released() -> Iterator[None]:
    careless_tools.STARTED.clear()
    careless_tools.RELEASE.clear()
    try:
        yield
    finally:
        careless_tools.RELEASE.set()  # the thread the tool holds ends with the test


async def _started() -> None:
    while not careless_tools.STARTED.is_set():
        await asyncio.sleep(0.01)


async def test_a_tool_that_never_returns_holds_no_thread_the_worker_needs(
    registry: ToolRegistry, released: None
) -> None:
    """A sync tool ran on the event loop's shared executor: after its timeout the call was
    cancelled but the thread stayed the tool's, and a few such calls left none for what the
    worker runs there (ingest, the LLM ledger, the embedded API's store calls). Here the
    executor has one thread; a call of the stuck tool must not take it. The check runs on an
    event loop of its own: the tests' shared loop keeps its executor."""

    async def on_a_one_thread_executor() -> str:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=1))
        environment = ActivityEnvironment()
        call = asyncio.ensure_future(
            environment.run(registry.get("never_returns").activity, {"query": "q"})
        )
        await asyncio.wait_for(_started(), 30)
        environment.cancel()  # what the start-to-close timeout does
        with pytest.raises(asyncio.CancelledError):
            await call
        assert not careless_tools.RELEASE.is_set()  # the tool's thread is still stuck
        # the executor's only thread is free (a deadlock guard, not a timing assertion)
        return await asyncio.wait_for(asyncio.to_thread(lambda: "free"), 30)

    assert await asyncio.to_thread(asyncio.run, on_a_one_thread_executor()) == "free"
