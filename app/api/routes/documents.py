"""POST /documents (upload one file, size-limited while it streams in, and ingest it) and
GET /documents (what the store holds).

The body is the file itself (any content type; ``application/octet-stream`` is typical) and
``filename`` names it, e.g. ``curl --data-binary @report.pdf '.../documents?filename=report.pdf'``.
Uploads are written under ``<data dir>/uploads/<content id>/`` (never a caller-chosen path) and
ingested by a worker, through IngestWorkflow like any document; ask about them by the returned id.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from activities.documents.paths import upload_dir
from activities.errors import DocumentTooLarge
from app.api.context import ApiContext, Ctx
from app.api.errors import ApiError
from app.api.guard import UPLOAD_PATH
from app.api.schemas import ErrorBody, StoredDocuments
from models.documents import DocumentRef

router = APIRouter(prefix=UPLOAD_PATH, tags=["documents"])
_FILENAME_PATTERN = r"^[^/\\\x00]{1,255}$"

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _safe_name(filename: str) -> str:
    name = os.path.basename(filename.strip())
    if name in ("", ".", "..") or name.startswith("."):
        raise HTTPException(422, detail=f"{filename!r} is not a usable file name")
    return name


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        413, detail=f"the upload is over the limit of {limit} bytes (DOCORCH_MAX_DOCUMENT_BYTES)"
    )


async def _receive(request: Request, target: Path, limit: int) -> str:
    """Write the body to ``target``, counting as it streams; returns its sha256."""
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            digest.update(chunk)
            await asyncio.to_thread(out.write, chunk)
    if size == 0:
        raise HTTPException(422, detail="the upload is empty")
    return digest.hexdigest()


async def _save(request: Request, ctx: ApiContext, name: str) -> Path:
    """The upload, written to ``<uploads>/<sha256 prefix>/<name>``."""
    limit = ctx.settings.max_document_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    uploads = upload_dir(ctx.settings)
    uploads.mkdir(parents=True, exist_ok=True)
    partial = uploads / f".partial-{uuid.uuid4().hex}"
    try:
        digest = await _receive(request, partial, limit)
        folder = uploads / digest[:16]
        folder.mkdir(exist_ok=True)
        final = folder / name
        partial.replace(final)
    finally:
        partial.unlink(missing_ok=True)
    return final


@router.post(
    "",
    status_code=201,
    response_model=DocumentRef,
    openapi_extra=_UPLOAD_BODY,
    responses={413: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    summary="Upload a document and ingest it",
)
async def upload(
    request: Request,
    ctx: Ctx,
    filename: Annotated[
        str, Query(pattern=_FILENAME_PATTERN, description="The file's name, with its extension.")
    ],
) -> DocumentRef:
    saved = await _save(request, ctx, _safe_name(filename))
    report = await ctx.sdk.ingest([str(saved)])
    if report.failures:
        failure = report.failures[0]
        saved.unlink(missing_ok=True)
        status = 413 if failure.error_type == DocumentTooLarge.error_type else 422
        raise ApiError(status, failure.message, error_type=failure.error_type)
    return report.documents[0]


@router.get("", response_model=StoredDocuments, summary="The documents in the store")
async def documents(ctx: Ctx) -> StoredDocuments:
    store = ctx.document_store()
    refs, stats = await asyncio.gather(
        asyncio.to_thread(store.list_documents), asyncio.to_thread(store.stats)
    )
    return StoredDocuments(documents=refs, stats=stats)
