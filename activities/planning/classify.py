"""Rule-based query classification: which kind of question is this?"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.query import QueryType

# Ordered: the first kind whose patterns score highest wins; QA is the default.
_PATTERNS: dict[QueryType, tuple[str, ...]] = {
    QueryType.COMPARISON: (
        r"\bcompar\w*",
        r"\bdiffer\w*",
        r"\bversus\b",
        r"\bvs\.?\b",
        r"\bcontrast\w*",
        r"\bsimilarit\w*",
        r"\bbetween\b.+\band\b",
        r"\bwhich (?:one|contract|document) is\b",
    ),
    QueryType.SUMMARY: (
        r"\bsummar\w*",
        r"\boverview\b",
        r"\bgist\b",
        r"\btl;?dr\b",
        r"\bkey points\b",
        r"\bmain points\b",
        r"\bbrief\b",
        r"\brecap\b",
        r"\bwhat (?:is|are) (?:this|these) about\b",
    ),
    QueryType.EXTRACTION: (
        r"\bextract\w*",
        r"\blist (?:all|every|the)\b",
        r"\bevery\b",
        r"\ball (?:the )?(?:dates|amounts|names|parties|emails|people|organi[sz]ations"
        r"|tables|figures)\b",
        r"\btables?\b",
        r"\bentit\w*",
        r"\bamounts?\b",
        r"\bdeadlines\b",
        r"\bdates\b",
    ),
    QueryType.ANALYSIS: (
        r"\banaly[sz]\w*",
        r"\brisks?\b",
        r"\bassess\w*",
        r"\bevaluat\w*",
        r"\btrends?\b",
        r"\bimplications?\b",
        r"\bstrengths?\b",
        r"\bweakness\w*",
        r"\bwhy\b",
        r"\bimpact\b",
        r"\binsights?\b",
    ),
    QueryType.SEARCH: (
        r"^\s*(?:search|find|locate|look for)\b",
        r"\bwhere (?:is|are|does|do)\b",
        r"\bwhich (?:documents?|files?|sections?|pages?)\b",
        r"\bmentions?\b",
    ),
}


@dataclass(frozen=True)
class Classification:
    query_type: QueryType
    confidence: float
    matched: tuple[str, ...]


def classify_query(query: str) -> Classification:
    """The query's type, how sure the rules are (0-1), and the phrases that decided it."""
    text = query.lower()
    best: tuple[int, QueryType, tuple[str, ...]] = (0, QueryType.QA, ())
    for query_type, patterns in _PATTERNS.items():
        hits = tuple(m.group(0) for p in patterns if (m := re.search(p, text)))
        if len(hits) > best[0]:
            best = (len(hits), query_type, hits)
    count, query_type, matched = best
    if count == 0:
        is_question = bool(
            re.search(r"\?\s*$|^\s*(what|when|who|how|which|is|are|does|do|can)\b", text)
        )
        return Classification(QueryType.QA, 0.8 if is_question else 0.5, ())
    return Classification(query_type, min(0.95, 0.6 + 0.15 * count), matched)
