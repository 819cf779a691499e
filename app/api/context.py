"""What every route shares: the ApiContext (built by the app's lifespan, one per app) and the
``Ctx`` dependency that hands it to a route. Routes import this module, never the app module."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from app.api.errors import ApiError
from app.api.metrics import ApiMetrics
from client.sdk import OrchestratorClient
from models.documents import InvalidDocumentReference, parse_document_source
from models.settings import Settings
from models.tools import ToolCatalog
from store import DocumentStore, open_store

CATALOG_SECONDS = 30.0


@dataclass
class ApiContext:
    """What every route needs; one per app, on ``app.state.ctx`` while the app runs."""

    sdk: OrchestratorClient
    settings: Settings
    address: str
    metrics: ApiMetrics
    ui_url: str | None = None
    temporal_metrics_url: str | None = None
    started: float = field(default_factory=time.monotonic)
    _catalog: tuple[float, ToolCatalog] | None = None
    _asking: asyncio.Task[ToolCatalog] | None = None

    async def tools(self) -> ToolCatalog:
        """The tools the workers run, as one of them told (``OrchestratorClient.tools``), kept
        for CATALOG_SECONDS: they change when workers are deployed, not per request. Requests
        arriving while the workers are asked share that one question (one ToolCatalogWorkflow,
        not one per request) and its answer or error; a request that goes away does not
        cancel it for the others."""
        if self._catalog is not None and time.monotonic() - self._catalog[0] <= CATALOG_SECONDS:
            return self._catalog[1]
        if self._asking is None:
            self._asking = asyncio.create_task(self._ask_workers())
            self._asking.add_done_callback(_retrieved)
        return await asyncio.shield(self._asking)

    async def _ask_workers(self) -> ToolCatalog:
        try:
            catalog = await self.sdk.tools()
            self._catalog = (time.monotonic(), catalog)
            return catalog
        finally:
            self._asking = None

    def document_store(self) -> DocumentStore:
        """The document store of the settings (DOCORCH_STORE_URL; opened on first use)."""
        return open_store(self.settings).documents

    def check_documents(self, documents: list[str]) -> None:
        """Refuse a malformed reference (a 422 ApiError, InvalidDocumentReference) before a
        query starts. What a well-formed one names is the workers' to judge: a ``file:`` path
        is read under *their* DOCORCH_ALLOWED_ROOTS (this API may run on another host, with
        other roots), stored content and ingested documents are found in the store; the query
        reports each document it cannot use, and fails with NoUsableDocuments when none is."""
        for source in documents:
            try:
                parse_document_source(source)
            except InvalidDocumentReference as error:
                raise ApiError(422, str(error), error_type="InvalidDocumentReference") from None


def _retrieved(task: asyncio.Task[ToolCatalog]) -> None:
    """Mark the error of a question every asker left as seen (each asker gets it raised)."""
    if not task.cancelled():
        task.exception()


def context(request: Request) -> ApiContext:
    """The app's ApiContext (a FastAPI dependency: use ``Ctx``)."""
    ctx: ApiContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ApiContext, Depends(context)]
