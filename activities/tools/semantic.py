"""The semantic half of retrieval (the ``semantic`` extra): the chunks nearest a question by
embedding, and their ranks fused with BM25's by reciprocal rank fusion. Without the extra every
function here returns nothing and search ranks exactly as before
(``activities.documents.embeddings.semantic_model`` decides, with DOCORCH_SEMANTIC_SEARCH).

Only passages are ranked by meaning, not the sentences an answer quotes: measured on the
evaluation set, the model's sentence-level closeness chose worse sentences than the lexical
ranking (8 answers lost, 1 gained), while passage-level fusion brings the passage that answers
into the candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from activities.context import current
from activities.documents.embeddings import document_vectors, semantic_model
from models.documents import DocumentRef, Passage

RRF_K = 60
"""Reciprocal rank fusion's constant: a passage ranked r-th (from 1) in a list adds 1/(K + r)."""


def similarities(query: str, documents: Sequence[DocumentRef]) -> dict[str, float]:
    """The cosine similarity to ``query`` of every chunk of ``documents`` that has a vector, by
    passage id; empty when the semantic path is off (or no document has vectors)."""
    context = current()
    model = semantic_model(context.settings)
    if model is None:
        return {}
    held = document_vectors(context.store, documents, model)
    if not held:
        return {}
    question = model.query(query)
    return {
        passage_id: float(s)
        for vectors in held
        for passage_id, s in zip(vectors.ids, vectors.matrix @ question, strict=True)
    }


def relative(values: Sequence[float]) -> list[float]:
    """Each value against the others, in [0, 1]: 1 for the highest, 0 for those no higher
    than the median. Embedding similarities sit in a narrow band whose level varies with the
    question, so only their order and spread say something."""
    if not values:
        return []
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    spread = ordered[-1] - median
    if spread <= 0:
        return [0.0] * len(values)
    return [max(0.0, (v - median) / spread) for v in values]


def fuse(rankings: Sequence[Sequence[str]]) -> dict[str, float]:
    """Reciprocal rank fusion of several rankings (ids, best first): per id the sum of
    1/(RRF_K + rank) over the rankings holding it, scaled so the best id scores 1."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, passage_id in enumerate(ranking, start=1):
            fused[passage_id] = fused.get(passage_id, 0.0) + 1.0 / (RRF_K + rank)
    best = max(fused.values(), default=0.0)
    return {i: s / best for i, s in fused.items()} if best else {}


@dataclass(frozen=True)
class SemanticScores:
    """Per passage id: ``fused``, BM25's and the embedding's ranks fused (RRF) in [0, 1], and
    ``closeness``, its similarity to the question relative to the other candidates'."""

    fused: dict[str, float]
    closeness: dict[str, float]


def with_nearest(
    query: str, documents: Sequence[DocumentRef], candidates: list[Passage], limit: int
) -> tuple[list[Passage], SemanticScores | None]:
    """``candidates`` (BM25's, scored) plus the ``limit`` passages nearest ``query`` they lack,
    with their semantic scores; ``(candidates, None)`` without the extra."""
    similarity = similarities(query, documents)
    if not similarity:
        return candidates, None
    nearest = sorted(similarity, key=lambda i: -similarity[i])[:limit]
    store = current().store
    known = {p.id for p in candidates}
    added = [p for i in nearest if i not in known and (p := store.passage(i)) is not None]
    passages = candidates + added
    lexical = [p.id for p in sorted(candidates, key=lambda p: -p.score) if p.score > 0]
    scored = [p.id for p in passages if p.id in similarity]
    close = relative([similarity[i] for i in scored])
    return passages, SemanticScores(
        fused=fuse([lexical, nearest]), closeness=dict(zip(scored, close, strict=True))
    )
