"""Embedded mode: use the configured Temporal server if one answers, else start the dev server;
run an in-process worker for the duration. This is what ``docorch ask``, ``plan``, ``ingest``,
``demo`` and ``api`` use (``api`` runs the worker only when no other polls its task queue)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.worker import Worker

from app.runtime.devserver import dev_server, ui_origins, ui_url
from client.connection import connect, target_host
from models.settings import Settings
from worker import serving_registry, serving_worker


@dataclass(frozen=True)
class Runtime:
    """A connected Temporal client, the server's address, whether docorch started that server,
    and its Web UI (``devserver.ui_url``; None when unknown)."""

    client: Client
    address: str
    embedded_server: bool
    ui_url: str | None
    worker: Worker | None = None
    """The worker running in this process, if any."""
    ui_codec_endpoint: str | None = None
    """The remote codec the Web UI of the dev server docorch started decodes payloads with;
    None when it was given none, or docorch started no server."""
    ui_origins: tuple[str, ...] = ()
    """The browser origins of the Web UI of the dev server docorch started (``devserver
    .ui_origins``); empty when docorch started no server."""


async def try_connect(
    settings: Settings, address: str | None = None, timeout: float = 2.0
) -> Client | None:
    """A client when a server answers within ``timeout`` seconds, else None."""
    try:
        return await asyncio.wait_for(connect(settings, address=address), timeout)
    except Exception:
        return None


async def connect_when_ready(settings: Settings, address: str, timeout: float = 60) -> Client:
    """A client once the server at ``address`` serves its namespace; RuntimeError after
    ``timeout`` seconds."""
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


async def workers_polling(client: Client, task_queue: str) -> bool:
    """Whether a worker polls ``task_queue`` for workflow tasks (the server lists a poller for
    a few minutes after its last poll)."""
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return bool(response.pollers)


@contextlib.asynccontextmanager
async def runtime(
    settings: Settings,
    *,
    with_worker: bool | None = True,
    start_server: bool = True,
    ui_codec_endpoint: str | None = None,
) -> AsyncIterator[Runtime]:
    """A connected client (and, ``with_worker``, a worker in this process) for the block.
    ``with_worker=None``: a worker in this process only when none polls the task queue.

    With ``start_server`` the configured server is used when one answers, else the dev server is
    started (and stopped after the block), its Web UI decoding payloads through
    ``ui_codec_endpoint`` when given; without it, connecting must succeed (its error is
    raised). The UI is ``DOCORCH_UI_URL``, else derived from the address (``ui_url``).
    Unless ``with_worker`` is False the settings' tool extensions (DOCORCH_TOOLS) are loaded
    first: ToolExtensionError (``models.tools``) before anything is started.
    """
    # a broken tool extension stops here, before a server starts
    registry = serving_registry(settings) if with_worker is not False else None
    async with contextlib.AsyncExitStack() as stack:
        address = target_host(settings)
        embedded = False
        if not start_server:
            client = await connect(settings)
        elif (found := await try_connect(settings)) is not None:
            client = found
        else:
            address = await stack.enter_async_context(
                dev_server(settings, codec_endpoint=ui_codec_endpoint)
            )
            client = await connect_when_ready(settings, address)
            embedded = True
        if with_worker is None:
            with_worker = not await workers_polling(client, settings.task_queue)
        worker = None
        if with_worker:
            worker = await stack.enter_async_context(
                await serving_worker(client, settings, registry)
            )
        yield Runtime(
            client=client,
            address=address,
            embedded_server=embedded,
            # a dev server docorch started has its UI where it was put, whatever is configured
            ui_url=ui_url(address, None if embedded else settings),
            worker=worker,
            ui_codec_endpoint=ui_codec_endpoint if embedded else None,
            ui_origins=ui_origins(settings.server_port) if embedded else (),
        )
