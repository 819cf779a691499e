"""QueryWorkflow upserts QueryType, Confidence and SessionId where the namespace has them, and
its history (patch marker + upsert) replays."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.worker import Replayer

from client.plugin import DocorchPlugin
from client.visibility import has_search_attributes
from models.settings import Settings
from tests.conftest import WorkerFactory
from worker import WORKFLOWS
from workflows import search_attributes

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
