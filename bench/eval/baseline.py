"""A plain BM25 retriever over the same chunks docorch stores: the side-by-side baseline.

Okapi BM25 (k1 = 1.5, b = 0.75), lower-cased word tokens, no stemming or stopwords, over the
chunks of the documents a question is asked about; its answer is the top passage.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from models.documents import Passage

_TOKEN = re.compile(r"\w+", re.UNICODE)
K1 = 1.5
B = 0.75


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def bm25_rank(query: str, passages: Sequence[Passage]) -> list[Passage]:
    """``passages`` ordered by BM25 score for ``query``, best first (ties keep order)."""
    docs = [Counter(tokens(p.text)) for p in passages]
    if not docs:
        return []
    lengths = [sum(d.values()) for d in docs]
    average = sum(lengths) / len(lengths) or 1.0
    frequency: Counter[str] = Counter()
    for doc in docs:
        frequency.update(doc.keys())
    n = len(docs)
    scores: list[float] = []
    for doc, length in zip(docs, lengths, strict=True):
        score = 0.0
        for term in set(tokens(query)):
            tf = doc.get(term, 0)
            if tf:
                idf = math.log(1 + (n - frequency[term] + 0.5) / (frequency[term] + 0.5))
                score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
        scores.append(score)
    order = sorted(range(n), key=lambda i: -scores[i])
    return [passages[i] for i in order]
