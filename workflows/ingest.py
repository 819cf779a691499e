"""IngestWorkflow: the one ingest path. Documents are parsed and indexed only on a worker, by the
resolve_documents activity (batched by ``workflows.planning.resolve_documents``, as every
workflow needing documents does); the CLI's ``docorch ingest`` and the HTTP API's upload reach
it through ``OrchestratorClient.ingest``."""

from __future__ import annotations

from temporalio import workflow

from models.names import INGEST_WORKFLOW
from models.query import ResolveReport, ResolveRequest
from workflows.planning import resolve_documents


@workflow.defn(name=INGEST_WORKFLOW)
class IngestWorkflow:
    """Ingests documents into the store. Input ResolveRequest, output ResolveReport: the
    documents ready to query (same bytes, same id) and, for each source that could not be
    used, why."""

    @workflow.run
    async def run(self, request: ResolveRequest) -> ResolveReport:
        """Resolve (ingesting what is new) every source of the request."""
        return await resolve_documents(request.sources)
