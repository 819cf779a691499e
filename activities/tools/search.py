"""search_documents: BM25 retrieval over the FTS5 index."""

from __future__ import annotations

from activities.context import current
from activities.tools.results import SearchResult
from activities.tools.text import coverage_signal, stems
from models.documents import DocumentRef


def search_documents(
    query: str, documents: list[DocumentRef], top_k: int = 5, broaden: int = 0
) -> SearchResult:
    """Find the passages of the documents most relevant to a query (BM25), with anchors.

    ``broaden`` widens the match when too little is found: 0 exact terms, 1 word prefixes,
    2 also the opening passages of (up to top_k) documents nothing matched in.
    """
    store = current().store
    passages = store.search(query, [d.id for d in documents], top_k=top_k, broaden=broaden)
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
