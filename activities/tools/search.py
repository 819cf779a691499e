"""search_documents: BM25 retrieval over the FTS5 index (fused with semantic retrieval when the
``semantic`` extra is installed), re-ranked by what the question asks.

The store's BM25 proposes candidates (several times ``top_k``); short documents are read whole;
when the words as written match too little, the search is asked again with the forms the words
take in text ('rebuilt' for 'rebuild', '155' for 'EIP-155'). The candidates are then ranked by
their best answer unit (``activities.tools.ranking``: a row of the right table, a field named
like the question, a sentence holding a date when a date is asked for), blended with BM25 — or,
with the semantic extra, with BM25's and the embedding's ranks fused (``activities.tools.semantic``:
the chunks nearest the question join the candidates).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from activities.context import current
from activities.tools.answer_support import document_titles, table_headers
from activities.tools.question import read_question
from activities.tools.ranking import name_words, rank_units
from activities.tools.results import SearchResult
from activities.tools.semantic import SemanticScores, with_nearest
from activities.tools.text import coverage_signal, stem, stems, terms
from activities.tools.units import passage_units
from models.documents import DocumentRef, Passage

CANDIDATES_PER_RESULT = 4
MIN_CANDIDATES = 20
WHOLE_DOCUMENT_CHUNKS = 3
"""A document of at most this many chunks is read whole: nothing it says can be missed."""
WHOLE_READ_BUDGET = 24
"""...as long as the documents searched hold at most this many chunks in all."""
UNIT_WEIGHT = 0.7
FUSED_UNIT_WEIGHT = 0.8
"""With the semantic extra the retrieval share is the fused rank (RRF), flatter than BM25 scaled
to the best (the top 20 of a list lie within about 0.75-1 of the best), so it weighs less."""
SEMANTIC_WEIGHT = 0.3
"""With the semantic extra, a passage's closeness to the question (0-1, relative to the other
candidates) adds this much to its score."""


def _focused(query: str, leave_out: frozenset[str] | set[str] = frozenset()) -> str:
    """The query as the index should see it: its content words only (no 'how many', no
    German, French or Italian function words), plus the words its form implies ('age' for
    'how old'), less ``leave_out`` (stems)."""
    intent = read_question(query)
    wanted = intent.content - leave_out
    words = [w for w in terms(query) if stem(w) in wanted]
    implied = sorted(wanted - {stem(w) for w in words})
    return " ".join(dict.fromkeys([*words, *implied]))


def _naming_words(query: str, document: DocumentRef) -> set[str]:
    """The query's words that name ``document`` (its file name or title): within it they
    match nearly every passage, so a second match leaves them out."""
    named = name_words(document.name) | stems(document.title or "")
    return set(read_question(query).content) & named


def _relaxed(query: str) -> str:
    """The query plus the split and base forms of its words, for a second, broader match."""
    words = terms(query)
    forms = [w for w in words if w.replace(".", "").isalnum()] + sorted(stems(query))
    return " ".join(dict.fromkeys(forms))


def _candidates(
    query: str, documents: list[DocumentRef], top_k: int, broaden: int
) -> list[Passage]:
    store = current().store
    ids = [d.id for d in documents]
    wanted = max(top_k * CANDIDATES_PER_RESULT, MIN_CANDIDATES)
    found = store.search(_focused(query) or query, ids, top_k=wanted, broaden=broaden)
    if len(documents) == 1 and (naming := _naming_words(query, documents[0])):
        focus = _focused(query, naming)
        if focus:
            found += store.search(focus, ids, top_k=wanted, broaden=broaden)
    if len(found) < top_k:
        found += store.search(_relaxed(query), ids, top_k=wanted, broaden=max(1, broaden))
    if sum(d.chunks for d in documents) <= WHOLE_READ_BUDGET:
        for document in documents:
            if 0 < document.chunks <= WHOLE_DOCUMENT_CHUNKS:
                found += store.passages(document.id)
    best: dict[str, Passage] = {}
    for passage in found:
        if passage.id not in best or passage.score > best[passage.id].score:
            best[passage.id] = passage
    return list(best.values())


def rerank(
    query: str,
    passages: list[Passage],
    top_k: int,
    *,
    keep_unmatched: bool = False,
    semantic: SemanticScores | None = None,
) -> list[Passage]:
    """The ``top_k`` passages whose best unit answers ``query`` best, blended with BM25 scaled
    to the best — or, with ``semantic`` scores, with the fused ranks and the passage's
    closeness to the question; each carries its blended score. Passages scoring 0 are left out
    unless ``keep_unmatched``."""
    top_bm25 = max((p.score for p in passages), default=0.0) or 1.0
    retrieval = {p.id: max(0.0, p.score) / top_bm25 for p in passages}
    unit_weight = UNIT_WEIGHT
    close: dict[str, float] = {}
    if semantic is not None:
        retrieval = {p.id: semantic.fused.get(p.id, 0.0) for p in passages}
        unit_weight = FUSED_UNIT_WEIGHT
        close = {p.id: SEMANTIC_WEIGHT * semantic.closeness.get(p.id, 0.0) for p in passages}
    lookup = table_headers()
    units = [u for p in passages for u in passage_units(p, lookup)]
    unit_best: dict[str, float] = {}
    titles = document_titles({p.document_id for p in passages})
    for ranked in rank_units(read_question(query), units, titles=titles):
        unit_best.setdefault(ranked.unit.passage.id, ranked.score)
    scored = [
        (
            unit_weight * unit_best.get(p.id, 0.0)
            + (1 - unit_weight) * retrieval[p.id]
            + close.get(p.id, 0.0),
            p,
        )
        for p in passages
    ]
    scored.sort(key=lambda pair: (-pair[0], pair[1].document_id, pair[1].anchor.char_start))
    kept = [(s, p) for s, p in scored if s > 0 or keep_unmatched]
    return [p.model_copy(update={"score": round(s, 6)}) for s, p in kept[:top_k]]


MAX_TOP_K = 1000
"""Passages one search may return: fewer than one is no search, and a huge top_k overflowed
the store's query (a plan's bound is checked before it runs: it is in the tool's schema)."""


def search_documents(
    query: str,
    documents: list[DocumentRef],
    top_k: Annotated[int, Field(ge=1, le=MAX_TOP_K)] = 5,
    broaden: int = 0,
) -> SearchResult:
    """Find the passages of the documents most relevant to a query (BM25), with anchors.

    ``broaden`` widens the match when too little is found: 0 exact terms, 1 word prefixes,
    2 also the opening passages of (up to top_k) documents nothing matched in.
    """
    candidates = _candidates(query, documents, top_k, broaden)
    limit = max(top_k * CANDIDATES_PER_RESULT, MIN_CANDIDATES)
    candidates, fused = with_nearest(query, documents, candidates, limit)
    passages = rerank(query, candidates, top_k, keep_unmatched=broaden >= 2, semantic=fused)
    wanted = stems(query)
    found: set[str] = set()
    for passage in passages:
        found |= wanted & stems(passage.text)
    term_coverage = coverage_signal(len(found), len(wanted)) if wanted else 1.0
    available = sum(d.chunks for d in documents) or top_k
    return SearchResult(
        passages=passages,
        count=len(passages),
        documents_covered=len({p.document_id for p in passages}),
        sufficient=len(passages) >= min(2, top_k, available),
        confidence=round(term_coverage, 4) if passages else 0.0,
    )
