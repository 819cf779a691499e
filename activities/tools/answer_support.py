"""What the extractive answer needs beside ranking: which ranked units to quote, how confident
to be, and the header of a table that began in an earlier chunk."""

from __future__ import annotations

from collections.abc import Sequence

from activities.context import installed
from activities.documents.parsed import Table
from activities.tools.ranking import Ranked
from activities.tools.units import HeaderLookup
from models.documents import Passage

TYPED_RATIO = 0.85
UNTYPED_RATIO = 0.7
SEVERAL_RATIO = 0.35
"""Units beyond the best are quoted while they score this share of it: a question asking for a
value gets its value (and a near tie), an open question the few sentences that support it."""
CLOSE_CALL = 0.97
TYPED_FLOOR = 0.3
"""A unit holding the kind of value asked for starts from this confidence."""
LONG_UNIT_CHARS = 400
LONG_UNIT_CAP = 0.6
GUESS_CONFIDENCE = 0.3


def choose(
    ranked: Sequence[Ranked], limit: int, *, typed: bool, several: bool = False
) -> list[Ranked]:
    """The best unit, then close runners-up (distinct text, not overlapping), up to ``limit``;
    a question asking for several things takes less close ones too."""
    if not ranked:
        return []
    best = ranked[0]
    ratio = SEVERAL_RATIO if several else TYPED_RATIO if typed else UNTYPED_RATIO
    chosen = [best]
    for candidate in ranked[1:]:
        if len(chosen) >= limit or candidate.score < ratio * best.score:
            break
        unit = candidate.unit
        if any(
            unit.text == c.unit.text
            or (
                unit.passage.document_id == c.unit.passage.document_id
                and unit.start < c.unit.end
                and c.unit.start < unit.end
            )
            for c in chosen
        ):
            continue
        chosen.append(candidate)
    return chosen


def answer_confidence(ranked: Sequence[Ranked]) -> float:
    """How likely the best unit answers the question, in [0, 1].

    From its support — the share of the question's words it (or its key, header, section)
    holds, ``1 - (1 - share)^2`` — raised when it holds the kind of value asked for, lowered
    when it lacks that kind, lacks the values the question names, is a long sentence the
    answer may only be buried in, when only a value of the right kind (no shared word) chose
    it, and when a different unit of the same document scores as well (a close call between
    two answers; the same clause found in two contracts is not one).
    """
    if not ranked:
        return 0.0
    best = ranked[0]
    if best.coverage == 0 and best.key_match == 0:
        return GUESS_CONFIDENCE if best.typed else 0.0
    support = max(best.coverage, 0.5 * best.coverage + 0.5 * best.key_match)
    confidence = 1 - (1 - support) ** 2
    if best.typed is True:
        confidence = TYPED_FLOOR + (1 - TYPED_FLOOR) * confidence
    elif best.typed is False:
        confidence *= 0.6
    if best.value_match:
        confidence = min(1.0, confidence + 0.05)
    if best.missed_values:
        confidence *= 0.85  # "in Q2", "NumPy 2.0": the question's own values are not there
    if len(best.unit.text) > LONG_UNIT_CHARS:
        confidence = min(confidence, LONG_UNIT_CAP)  # an answer buried in a long sentence
    rival = next(
        (
            r
            for r in ranked[1:]
            if r.unit.text != best.unit.text
            and r.unit.passage.document_id == best.unit.passage.document_id
        ),
        None,
    )
    if rival is not None and rival.score >= CLOSE_CALL * best.score:
        confidence *= 0.85  # two places in one document answer equally well: a close call
    return round(max(0.0, min(1.0, confidence)), 4)


def document_titles(document_ids: set[str]) -> dict[str, str]:
    """The titles the store knows for these documents (none outside a worker)."""
    context = installed()
    if context is None:
        return {}
    refs = (context.store.get(document_id) for document_id in document_ids)
    return {ref.id: ref.title for ref in refs if ref is not None and ref.title}


def table_headers() -> HeaderLookup | None:
    """A lookup of table headers in the store's tables, when a store is installed (in a worker;
    tools called directly in tests have none, and rows then go without a header)."""
    context = installed()
    if context is None:
        return None
    store = context.store
    cache: dict[str, list[Table]] = {}

    def header_for(passage: Passage, offset: int) -> list[str] | None:
        tables = cache.get(passage.document_id)
        if tables is None:
            tables = cache[passage.document_id] = store.tables(passage.document_id)
        for table in tables:
            start, end = table.start, table.end
            if start is not None and end is not None and table.rows and start <= offset < end:
                return list(table.rows[0])
        return None

    return header_for
