"""POST /documents (upload one file, size-limited while it streams in, and ingest it) and
GET /documents (what the store holds).

Two ways to send the file:

* a multipart form with the file in the ``file`` field (what an HTML form sends), e.g.
  ``curl -F file=@report.pdf .../documents``;
* the file itself as the body, ``Content-Type: application/octet-stream``, named by the
  ``filename`` parameter: ``curl -H 'Content-Type: application/octet-stream' --data-binary
  @report.pdf '.../documents?filename=report.pdf'``.

Other content types are refused before the route runs (``app.api.guard``): a cross-site
``text/plain`` POST cannot plant a document. The bytes stream through a private scratch file
(mode 0600, counted against DOCORCH_MAX_DOCUMENT_BYTES as they come) into the document store
(the claim check: ``content:<id>/<name>``, the same store the workers use, so no worker needs
this machine's disk) and are ingested by a worker through IngestWorkflow like any document; ask
about them by the returned id. The scratch file is always removed; an upload that cannot be
ingested returns the reason (413 or 422 with its error type).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, BinaryIO

from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile
from temporalio.client import WorkflowFailureError

from app.api.context import ApiContext, Ctx
from app.api.errors import ApiError
from app.api.exposure import MULTIPART, media_type
from app.api.guard import UPLOAD_PATH
from app.api.schemas import ErrorBody, StoredDocuments
from models.documents import DocumentRef
from models.settings import Settings
from workflows.failures import application_cause

router = APIRouter(prefix=UPLOAD_PATH, tags=["documents"])
_FILENAME_PATTERN = r"^[^/\\\x00]{1,255}$"
_CHUNK = 256 * 1024
FILE_MODE = 0o600
DIR_MODE = 0o700

_RAW_BODY = {
    "requestBody": {
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    }
}


def _safe_name(filename: str) -> str:
    """The file's own name (any folders a client sent dropped), or a 422."""
    name = re.split(r"[/\\]", filename.strip())[-1].strip()
    if not re.fullmatch(_FILENAME_PATTERN, name) or name in (".", "..") or name.startswith("."):
        raise HTTPException(422, detail=f"{filename!r} is not a usable file name")
    return name


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        413, detail=f"the upload is over the limit of {limit} bytes (DOCORCH_MAX_DOCUMENT_BYTES)"
    )


def _open_private(path: Path) -> BinaryIO:
    """A new file at ``path``, mode 0600, for writing."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb")


TOO_LARGE = frozenset({"DocumentTooLarge", "DecompressionBomb"})
"""The error types (as the workers report them) of a document over a limit of size: 413."""
SCRATCH = "uploads"


def scratch_dir(settings: Settings) -> Path:
    """Where uploads stream through private scratch files on their way into the store:
    ``<data dir>/uploads`` on the API's host (no worker reads it)."""
    return settings.data_dir.expanduser().resolve() / SCRATCH


async def _write(chunks: AsyncIterator[bytes], target: Path, limit: int) -> str:
    """Write ``chunks`` to ``target``, counting as they come; returns their sha256. 413 once
    past ``limit``, 422 when there is nothing."""
    digest = hashlib.sha256()
    size = 0
    with _open_private(target) as out:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            digest.update(chunk)
            await asyncio.to_thread(out.write, chunk)
    if size == 0:
        raise HTTPException(422, detail="the upload is empty")
    return digest.hexdigest()


async def _file_chunks(file: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await file.read(_CHUNK):
        yield chunk


async def _store(chunks: AsyncIterator[bytes], ctx: ApiContext, name: str) -> str:
    """The upload, streamed through a private scratch file into the document store; its
    reference (``content:<id>/<name>``). The scratch file is removed whatever happens."""
    scratch = scratch_dir(ctx.settings)
    scratch.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    partial = scratch / f".partial-{uuid.uuid4().hex}"
    try:
        await _write(chunks, partial, ctx.settings.max_document_bytes)
        return await ctx.sdk.upload(partial, name=name)
    finally:
        partial.unlink(missing_ok=True)


async def _ingest(ctx: ApiContext, reference: str, name: str) -> DocumentRef:
    """Ingest the stored upload on a worker; the reason raised when it cannot be used (413 for
    a document over a limit of size, 422 for one that cannot be used, 502 otherwise)."""
    try:
        report = await ctx.sdk.ingest([reference])
    except WorkflowFailureError as error:
        cause = application_cause(error)
        if cause is not None and cause.type:
            raise ApiError(422, cause.message, error_type=cause.type) from None
        raise ApiError(502, f"ingesting {name} failed: {error.cause or error}") from None
    if report.failures:
        failure = report.failures[0]
        status = 413 if failure.error_type in TOO_LARGE else 422
        raise ApiError(status, failure.message, error_type=failure.error_type)
    return report.documents[0]


@router.post(
    "",
    status_code=201,
    response_model=DocumentRef,
    openapi_extra=_RAW_BODY,
    responses={
        413: {"model": ErrorBody},
        415: {"model": ErrorBody},
        422: {"model": ErrorBody},
        502: {"model": ErrorBody},
    },
    summary="Upload a document and ingest it",
)
async def upload(
    request: Request,
    ctx: Ctx,
    filename: Annotated[
        str | None,
        Query(
            pattern=_FILENAME_PATTERN,
            description="The file's name, with its extension: required for a raw body, "
            "overrides a form's file name.",
        ),
    ] = None,
    file: Annotated[UploadFile | None, File(description="The file (multipart form).")] = None,
) -> DocumentRef:
    limit = ctx.settings.max_document_bytes
    if media_type(request.headers.get("content-type", "")) == MULTIPART:
        if file is None:
            raise HTTPException(422, detail="the form has no 'file' field")
        name = _safe_name(filename or file.filename or "")
        if file.size is not None and file.size > limit:
            raise _too_large(limit)
        reference = await _store(_file_chunks(file), ctx, name)
    else:
        if filename is None:
            raise HTTPException(422, detail="a raw upload needs the 'filename' parameter")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        name = _safe_name(filename)
        reference = await _store(request.stream(), ctx, name)
    return await _ingest(ctx, reference, name)


@router.get("", response_model=StoredDocuments, summary="The documents in the store")
async def documents(ctx: Ctx) -> StoredDocuments:
    store = ctx.document_store()
    refs, stats = await asyncio.gather(
        asyncio.to_thread(store.list_documents), asyncio.to_thread(store.stats)
    )
    return StoredDocuments(documents=refs, stats=stats)
