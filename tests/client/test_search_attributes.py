"""QueryWorkflow upserts QueryType, Confidence and SessionId where the namespace has them, and
its history (the upsert behind its version marker) replays, for docorch's clients (protocol 2)
and for a request that does not say its protocol."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.worker import Replayer

from client.plugin import DocorchPlugin
from client.visibility import has_search_attributes
from models.names import QUERY_WORKFLOW
from models.query import QueryRequest, QueryResult
from models.settings import Settings
from tests.conftest import WorkerFactory
from tests.workflows.recording import version_markers
from worker import WORKFLOWS
from workflows import search_attributes
from workflows.planning import ONE_ACTIVITY_PATCH

DOC = "contract_acme_globex.md"

pytestmark = pytest.mark.integration


async def test_finished_query_is_findable_by_its_search_attributes(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    assert await has_search_attributes(client) and search_attributes.enabled()
    docs = [str(samples / "contract_acme_globex.md")]
    async with run_worker() as sdk:
        handle = await sdk.start("What is the monthly fee?", docs, session_id="sa-test-session")
        result = await handle.result()
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(search_attributes.QUERY_TYPE) == result.query_type.value
    assert attributes.get(search_attributes.CONFIDENCE) == result.confidence_score
    assert attributes.get(search_attributes.SESSION_ID) == "sa-test-session"
    history = await handle.fetch_history()
    replayer = Replayer(workflows=list(WORKFLOWS), plugins=[DocorchPlugin.configured(Settings())])
    await replayer.replay_workflow(history)
    # docorch's clients send protocol 2: planning in one activity needs no version marker; the
    # upsert keeps its own, the history's record that this worker upserted
    assert version_markers(history) == [
        f"marker {search_attributes.PATCH_ID}",
        f"upsert {search_attributes.PATCH_ID}",
    ]


async def test_a_request_without_a_protocol_upserts_behind_the_version_marker(
    run_worker: WorkerFactory, samples: Path, client: Client
) -> None:
    assert search_attributes.enabled()
    request = QueryRequest(query="What is the monthly fee?", documents=(str(samples / DOC),))
    async with run_worker() as sdk:
        handle = await client.start_workflow(
            QUERY_WORKFLOW,
            request,
            id=f"query-{uuid.uuid4()}",
            task_queue=sdk.task_queue,
            result_type=QueryResult,
        )
        result = await handle.result()
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(search_attributes.CONFIDENCE) == result.confidence_score
    history = await handle.fetch_history()
    assert version_markers(history) == [
        f"marker {ONE_ACTIVITY_PATCH}",
        f"upsert {ONE_ACTIVITY_PATCH}",
        f"marker {search_attributes.PATCH_ID}",
        f"upsert {ONE_ACTIVITY_PATCH},{search_attributes.PATCH_ID}",
    ]
    replayer = Replayer(workflows=list(WORKFLOWS), plugins=[DocorchPlugin.configured(Settings())])
    await replayer.replay_workflow(history)
