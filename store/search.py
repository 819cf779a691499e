"""What a search means, whatever the backend: the words of a query, how ``broaden`` widens
the match, and which documents get their opening passage when nothing matched in them.

Backends turn ``match_terms`` into their own query language (an FTS5 MATCH expression, a
``tsquery``) and rank with BM25 or the nearest they have; the contract tests hold every backend
to the project's retrieval cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

OVERFETCH = 8
"""A backend may rank this many times top_k over the whole index before filtering to the
documents asked for (exact whenever top_k survive the filter)."""
PREFIX_LENGTH = 5
"""At ``broaden >= 1`` a term longer than this also matches words starting with its first
PREFIX_LENGTH characters ("renewal" -> "renew*")."""
OPENING_PASSAGES_AT = 2
"""At ``broaden >=`` this, documents nothing matched in contribute their opening passage."""

_WORD = re.compile(r"[\w][\w'\-]*", re.UNICODE)

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "do",
        "does",
        "did",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "there",
        "these",
        "this",
        "those",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "should",
        "could",
        "can",
        "all",
        "any",
        "each",
        "every",
        "about",
        "after",
        "before",
        "between",
        "into",
        "over",
        "under",
        "than",
        "then",
        "so",
        "such",
        "not",
        "no",
        "yes",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "list",
        "show",
        "tell",
        "give",
        "find",
        "please",
        "compare",
        "summarize",
        "summarise",
        "describe",
        "explain",
        "document",
        "documents",
    ]
)


@dataclass(frozen=True)
class MatchTerm:
    """One term to match: the word itself, or (``prefix``) any word starting with it."""

    text: str
    prefix: bool = False


def query_terms(query: str) -> list[str]:
    """Lower-cased content words of a query, stopwords removed, order kept, no duplicates."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        word = word.strip("'-")
        if len(word) > 1 and word not in STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)


def match_terms(query: str, broaden: int) -> list[MatchTerm]:
    """What ``query`` matches at ``broaden``, any one term sufficing: its terms, and at
    ``broaden >= 1`` also the prefixes of the longer ones. Empty when the query has no content
    word (then nothing matches)."""
    matched: list[MatchTerm] = []
    for term in query_terms(query):
        clean = term.replace('"', "")
        matched.append(MatchTerm(clean))
        if broaden >= 1 and len(clean) > PREFIX_LENGTH - 1:
            matched.append(MatchTerm(clean[:PREFIX_LENGTH], prefix=True))
    return matched


def uncovered_documents(
    found_in: Iterable[str], doc_ids: Sequence[str], *, top_k: int, broaden: int
) -> list[str]:
    """The documents (at most ``top_k``, in the order asked) whose opening passage a search at
    ``broaden`` adds because none of ``found_in`` is theirs; none below OPENING_PASSAGES_AT."""
    if broaden < OPENING_PASSAGES_AT:
        return []
    covered = set(found_in)
    return [d for d in doc_ids if d not in covered][:top_k]
