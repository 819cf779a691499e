"""Rule-based query classification: which kind of question is this?

The question's form decides first — an imperative ("Summarize ...", "Compare ...", "List
...", "Find ..."), or the shape of a question ("Why ...?", "What are the risks ...?", "How
does A differ from B?", "Which documents mention ...?") — and a factoid question (who, what,
when, where, which, how much, how many, yes/no) is a question to answer, whatever words it
holds: "Which table column records the frequency?" or "What is listed for every quarter?" ask
for one fact, not for every table or a list. Only a query whose form says nothing (a bare
phrase such as "termination clauses") falls back to keywords.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.query import QueryType

_LEAD = r"^\s*(?:please\s+|(?:can|could|would) you\s+|i (?:want|need|would like) (?:you )?to\s+|"
_LEAD += r"let'?s\s+|now\s+|also\s+|and\s+)*"

_FORMS: tuple[tuple[QueryType, str], ...] = (
    # imperatives: the verb at the start says what to do
    (
        QueryType.SUMMARY,
        r"(?:summari[sz]e|sum up|give (?:me )?(?:an? )?(?:overview|summary|recap|brief)|recap|"
        r"outline|tl;?dr|brief me|fasse? .{0,40}zusammen|zusammenfassung|résume|resume|"
        r"riassumi)\b",
    ),
    (QueryType.COMPARISON, r"(?:compare|contrast|diff)\b|vergleiche|compare[rz]?\b|confronta"),
    (
        QueryType.EXTRACTION,
        r"(?:extract|list|enumerate|pull out|collect|tabulate|itemi[sz]e|"
        r"show (?:me )?(?:all|every|each|the list)|give (?:me )?(?:all|every|a list|the list)|"
        r"get (?:me )?(?:all|every))\b|liste? |extrai[st]|elenca",
    ),
    (
        QueryType.ANALYSIS,
        r"(?:analy[sz]e|assess|evaluate|critique|examine|review the risks|identify the "
        r"(?:risks|issues|gaps|weaknesses|strengths))\b|analysiere|analyse[rz]?\b|analizza",
    ),
    (
        QueryType.SEARCH,
        r"(?:find|search|locate|look (?:for|up)|point me to|show me where)\b|suche|cherche|cerca",
    ),
    # question shapes that ask for more than one fact
    (
        QueryType.COMPARISON,
        r"(?:what (?:are|is) the (?:main |key )?differences?\b(?=.*\b(?:between|and|from)\b)|"
        r"how (?:does|do|did) .+ differ|"
        r"in what ways? (?:does|do) .+ differ|what (?:distinguishes|separates)|"
        r"(?:which|what) .{0,30}\b(?:better|worse|cheaper|longer|shorter|stricter|higher|lower|"
        r"larger|smaller)\b.{0,60}\bor\b)",
    ),
    (
        QueryType.SUMMARY,
        r"(?:what (?:is|are) (?:this|these|the) (?:documents?|files?|reports?|contracts?) about|"
        r"what (?:does|do) (?:this|these) (?:documents?|files?) (?:say|cover)|"
        r"what are the (?:main|key) (?:points|takeaways|topics))\b",
    ),
    (
        QueryType.ANALYSIS,
        r"(?:why\b|warum\b|pourquoi\b|perché\b|what (?:are|is) the (?:main |key |biggest |major )?"
        r"(?:risks?|implications?|strengths?|weaknesses|trends?|issues|impact|consequences)\b(?!-)|"
        r"how (?:risky|significant|serious)\b)",
    ),
    (
        QueryType.SEARCH,
        r"(?:(?:which|what) (?:documents?|files?|sections?|pages?|parts?) (?:mentions?|contains?|"
        r"discuss(?:es)?|refers? to|talks? about|says?|covers?)|where (?:is|are|does|do) .+ "
        r"(?:mentioned|discussed|referenced|described|covered|defined)\b|"
        r"(?:does|do) (?:any|either|the) (?:of the )?(?:documents?|files?) (?:mention|contain|"
        r"discuss|refer))",
    ),
    (
        QueryType.EXTRACTION,
        r"(?:what|which) (?:are )?all (?:the )?\w+|(?:what|which) (?:dates|amounts|deadlines|"
        r"parties|names|people|organi[sz]ations|emails|tables|figures) (?:are|appear|occur)\b",
    ),
)
_FORM_PATTERNS = tuple(
    (kind, re.compile(f"{_LEAD}(?:{pattern})", re.IGNORECASE)) for kind, pattern in _FORMS
)

_FACTOID = re.compile(
    _LEAD + r"(?:who|whom|whose|what|when|where|which|how|is|are|was|were|does|do|did|can|could|"
    r"may|might|must|shall|should|will|would|has|have|had|in which|on which|at which|from which|"
    r"for how|within how|after how|below how|above how|up to what|by when|under which|"
    r"wer|was|wann|wo|wie|welche[rsmn]?|warum|ist|sind|gibt|qui|que|quoi|quand|où|comment|"
    r"combien|quel(?:le)?s?|est-ce|sous quelle|chi|che|cosa|quando|dove|come|quanto|quant[ie]|"
    r"quale|da quale)\b",
    re.IGNORECASE,
)
_FACTOID_IMPERATIVE = re.compile(
    _LEAD + r"(?:tell me|give me|show me|what's|whats)\b(?! (?:all|every|a list|an overview))",
    re.IGNORECASE,
)

# Keywords, second: for a query whose form says nothing ("termination clauses in both").
_KEYWORDS: dict[QueryType, tuple[str, ...]] = {
    QueryType.COMPARISON: (
        r"\bcompar\w*",
        r"\bdiffer\w*",
        r"\bversus\b",
        r"\bvs\.?\b",
        r"\bcontrast\w*",
        r"\bsimilarit\w*",
    ),
    QueryType.SUMMARY: (
        r"\bsummar\w*",
        r"\boverview\b",
        r"\bgist\b",
        r"\btl;?dr\b",
        r"\bkey points\b",
        r"\bmain points\b",
        r"\brecap\b",
    ),
    QueryType.EXTRACTION: (
        r"\bextract\w*",
        r"\blist of\b",
        r"\ball (?:the )?(?:dates|amounts|names|parties|emails|people|organi[sz]ations"
        r"|tables|figures)\b",
        r"\btables\b",
        r"\bentities\b",
        r"\bdeadlines\b",
    ),
    QueryType.ANALYSIS: (
        r"\banaly[sz]\w*",
        r"\brisks?\b",
        r"\bassessment\b",
        r"\btrends?\b",
        r"\bimplications?\b",
        r"\bstrengths?\b",
        r"\bweakness\w*",
        r"\bimpact\b",
        r"\binsights?\b",
    ),
    QueryType.SEARCH: (r"\bmentions?\b", r"\bmentioned\b", r"\breferences? to\b"),
}

FORM_CONFIDENCE = 0.9
FACTOID_CONFIDENCE = 0.85


@dataclass(frozen=True)
class Classification:
    query_type: QueryType
    confidence: float
    matched: tuple[str, ...]


def classify_query(query: str) -> Classification:
    """The query's type, how sure the rules are (0-1), and the phrases that decided it.

    The form first (an imperative, a question shape that asks for more than one fact, else a
    factoid question → QA), keywords only for a query with no recognisable form.
    """
    text = " ".join(query.split())
    for query_type, pattern in _FORM_PATTERNS:
        match = pattern.search(text)
        if match:
            return Classification(query_type, FORM_CONFIDENCE, (match.group(0).strip(),))
    factoid = _FACTOID.search(text) or _FACTOID_IMPERATIVE.search(text)
    if factoid:
        return Classification(QueryType.QA, FACTOID_CONFIDENCE, (factoid.group(0).strip(),))
    lowered = text.lower()
    best: tuple[int, QueryType, tuple[str, ...]] = (0, QueryType.QA, ())
    for query_type, patterns in _KEYWORDS.items():
        hits = tuple(m.group(0) for p in patterns if (m := re.search(p, lowered)))
        if len(hits) > best[0]:
            best = (len(hits), query_type, hits)
    count, query_type, matched = best
    if count == 0:
        return Classification(QueryType.QA, 0.8 if text.endswith("?") else 0.5, ())
    return Classification(query_type, min(0.95, 0.6 + 0.15 * count), matched)
