"""Embedded mode: use the configured Temporal server if one answers, else start the dev server;
run an in-process worker for the duration. This is what ``docorch ask`` and ``demo`` use."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from client.connection import connect, target_host
from client.devserver import dev_server
from client.visibility import enable_search_attributes
from models.settings import Settings


@dataclass(frozen=True)
class Runtime:
    client: Client
    address: str
    embedded_server: bool

    @property
    def ui_url(self) -> str:
        host, _, port = self.address.rpartition(":")
        if self.embedded_server and port.isdigit():
            return f"http://{host}:{int(port) + 1000}"
        return f"http://{host}:8233"


async def try_connect(
    settings: Settings, address: str | None = None, timeout: float = 2.0
) -> Client | None:
    try:
        return await asyncio.wait_for(connect(settings, address=address), timeout)
    except Exception:
        return None


async def connect_when_ready(settings: Settings, address: str, timeout: float = 60) -> Client:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        client = await try_connect(settings, address)
        if client is not None:
            try:
                await client.workflow_service.describe_namespace(
                    DescribeNamespaceRequest(namespace=client.namespace)
                )
                return client
            except Exception:
                pass
        if loop.time() > deadline:
            raise RuntimeError(f"Temporal at {address} did not become ready in {timeout:.0f}s")
        await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def runtime(settings: Settings, *, with_worker: bool = True) -> AsyncIterator[Runtime]:
    """A connected client (and worker); starts and stops the dev server if none answers."""
    from worker import build_worker

    async with contextlib.AsyncExitStack() as stack:
        client = await try_connect(settings)
        embedded = False
        address = target_host(settings)
        if client is None:
            address = await stack.enter_async_context(dev_server(settings))
            client = await connect_when_ready(settings, address)
            embedded = True
        if with_worker:
            await enable_search_attributes(client)
            worker = build_worker(client, settings)
            await stack.enter_async_context(worker)
        yield Runtime(client=client, address=address, embedded_server=embedded)
