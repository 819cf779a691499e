"""The SDK's claim check: files and bytes into the store, references out."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.client import Client

from client.sdk import OrchestratorClient
from models.documents import StoredContent, parse_document_source
from models.settings import Settings
from store import ContentTooLarge, content_id


@pytest.fixture
def sdk(client: Client, tmp_path: Path) -> OrchestratorClient:
    settings = Settings(data_dir=tmp_path / "store", max_document_bytes=1_000)
    return OrchestratorClient(client, task_queue="uploads-unused", settings=settings)


async def test_same_bytes_give_the_same_reference_under_their_own_name(
    sdk: OrchestratorClient, tmp_path: Path
) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nThe notice period is 90 days.\n")
    ref = await sdk.upload(path)
    source = parse_document_source(ref)
    assert isinstance(source, StoredContent) and source.name == "notes.md"
    assert await sdk.upload(path.read_bytes(), name="copy.md") == ref.replace("notes.md", "copy.md")
    assert sdk.store.documents.read_content(source.content_id) == path.read_bytes()


async def test_bytes_need_a_name_and_an_upload_over_the_limit_is_refused(
    sdk: OrchestratorClient, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="name="):
        await sdk.upload(b"text")
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 5_000)
    with pytest.raises(ContentTooLarge):
        await sdk.upload(big)
    with pytest.raises(FileNotFoundError):
        await sdk.upload(tmp_path / "missing.txt")


async def test_invalid_input_uploads_nothing(sdk: OrchestratorClient, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("never uploaded")
    with pytest.raises(ValidationError):
        await sdk.start("   ", files=[path])
    assert sdk.store.documents.read_content(content_id(path.read_bytes())) is None
