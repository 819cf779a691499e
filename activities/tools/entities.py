"""extract_entities: people, organisations, dates, amounts, percentages and emails, each cited.

The query, when given, picks the kinds ("amounts and dates" -> amounts, dates) and a date
filter ("after March", "before 1 June 2025", "in 2025"). Under a date filter an amount is kept
only when its sentence holds a date that passes the filter ("amounts due after March").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from activities.llm.grounded import rewrite_answer_sync
from activities.tools.anchoring import DocumentText
from activities.tools.entity_patterns import (
    MONTH,
    EntityKind,
    Found,
    find_dates,
    find_entities,
    month_number,
)
from activities.tools.results import Entity, Extraction
from models.documents import DocumentRef

MAX_ENTITIES = 200
"""Mentions kept in a result (it travels through workflow history); beyond this the result says
it was truncated."""
SHOWN_PER_KIND = 8
"""Distinct values per kind written into the answer (and cited)."""

_KIND_WORDS: dict[EntityKind, str] = {
    EntityKind.AMOUNT: r"amounts?|fees?|prices?|costs?|payments?|pay|paid|money|sums?|budgets?|"
    r"invoices?|spend\w*|euros?|dollars?|currenc\w*|monetary|financial|figures?|€|\$|£",
    EntityKind.DATE: rf"dates?|deadlines?|when|due|days?|schedules?|timeline|months?|years?|"
    rf"{MONTH}|\d{{4}}",
    EntityKind.PERCENTAGE: r"percent\w*|%|rates?|availability|ratios?|shares?",
    EntityKind.EMAIL: r"e-?mails?|contacts?|addresses",
    EntityKind.PERSON: r"people|persons?|who|names?|attendees?|staff|owners?|individuals?|"
    r"signator\w*|employees?",
    EntityKind.ORGANIZATION: r"organi[sz]ations?|compan\w*|part(?:y|ies)|vendors?|suppliers?|"
    r"clients?|customers?|firms?|providers?",
}
_ALL_WORDS = re.compile(r"\b(?:entit\w*|everything|all kinds)\b", re.IGNORECASE)
_DEFAULT_ORDER = (
    EntityKind.ORGANIZATION,
    EntityKind.PERSON,
    EntityKind.DATE,
    EntityKind.AMOUNT,
    EntityKind.PERCENTAGE,
    EntityKind.EMAIL,
)
_PLURAL = {
    EntityKind.ORGANIZATION: "Organisations",
    EntityKind.PERSON: "People",
    EntityKind.DATE: "Dates",
    EntityKind.AMOUNT: "Amounts",
    EntityKind.PERCENTAGE: "Percentages",
    EntityKind.EMAIL: "Emails",
}
_DATE_TERM = (
    rf"(?:\d{{4}}-\d{{2}}-\d{{2}}"  # 2025-03-01
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}\.?(?:,?\s+\d{{4}})?"  # 1 March [2025]
    rf"|{MONTH}\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+\d{{4}})?"  # March [1][, 2025]
    r"|\d{4})"  # 2025
)
_FILTER = re.compile(
    r"\b(?P<op>after|since|from|later than|before|until|till|by|prior to|earlier than|in|during)"
    r"\s+"
    rf"(?:the\s+end\s+of\s+)?(?P<when>{_DATE_TERM})(?!\w)",
    re.IGNORECASE,
)
_BETWEEN = re.compile(
    rf"\bbetween\s+(?P<a>{_DATE_TERM})\s+and\s+(?P<b>{_DATE_TERM})(?!\w)", re.IGNORECASE
)


# ---- reading the query ------------------------------------------------------------------------


def requested_kinds(query: str | None) -> tuple[list[EntityKind], bool]:
    """The kinds a query asks for, in the order it names them, and whether it named any."""
    if not query or _ALL_WORDS.search(query):
        return list(_DEFAULT_ORDER), False
    positions: list[tuple[int, EntityKind]] = []
    for kind, words in _KIND_WORDS.items():
        match = re.search(rf"(?<!\w)(?:{words})(?!\w)", query, re.IGNORECASE)
        if match:
            positions.append((match.start(), kind))
    if not positions:
        return list(_DEFAULT_ORDER), False
    return [kind for _, kind in sorted(positions)], True


@dataclass(frozen=True)
class Period:
    """A date, month or year named in a query; a month without a year matches every year."""

    text: str
    first: date | None
    last: date | None
    month: int | None = None

    def before(self, day: date) -> bool:
        """True when ``day`` lies entirely before this period."""
        if self.month is not None and self.first is None:
            return day.month < self.month
        return self.first is not None and day < self.first

    def after(self, day: date) -> bool:
        if self.month is not None and self.first is None:
            return day.month > self.month
        return self.last is not None and day > self.last


def _period(text: str) -> Period | None:
    clean = text.strip()
    if re.fullmatch(r"\d{4}", clean):
        year = int(clean)
        return Period(clean, date(year, 1, 1), date(year, 12, 31))
    dates = find_dates(clean)
    if dates and dates[0].first_day and dates[0].text.strip() == clean:
        return Period(clean, dates[0].first_day, dates[0].last_day)
    month = re.fullmatch(rf"({MONTH})\.?", clean)
    if month:
        return Period(clean, None, None, month=month_number(month.group(1)))
    return None


def date_filter(query: str | None) -> tuple[Callable[[Found], bool] | None, str | None]:
    """A predicate over dates read from the query, and how it reads ('dates after March')."""
    if not query:
        return None, None
    between = _BETWEEN.search(query)
    if between:
        low, high = _period(between.group("a")), _period(between.group("b"))
        if low and high:
            return (
                lambda f: (
                    f.first_day is not None
                    and not low.before(f.first_day)
                    and not high.after(f.first_day)
                ),
                f"dates between {low.text} and {high.text}",
            )
    match = _FILTER.search(query)
    if not match:
        return None, None
    period = _period(match.group("when"))
    if period is None:
        return None, None
    op = match.group("op").lower()
    if op in ("after", "later than"):
        return (
            lambda f: f.first_day is not None and period.after(f.first_day)
        ), f"dates after {period.text}"
    if op in ("since", "from"):
        return (
            lambda f: f.first_day is not None and not period.before(f.first_day),
            f"dates from {period.text} on",
        )
    if op in ("before", "until", "till", "by", "prior to", "earlier than"):
        return (
            lambda f: f.last_day is not None and period.before(f.last_day)
        ), f"dates before {period.text}"
    return (
        lambda f: (
            f.first_day is not None
            and not period.before(f.first_day)
            and not period.after(f.first_day)
        ),
        f"dates in {period.text}",
    )


# ---- the tool ---------------------------------------------------------------------------------


def _sentence_span(doc: DocumentText, found: Found) -> tuple[int, int]:
    sentence = doc.sentence_at(found.start)
    if sentence is not None:
        return sentence.start, sentence.end
    return doc.line_around(found.start, found.end)


def _entities(
    doc: DocumentText, kinds: list[EntityKind], keep_date: Callable[[Found], bool] | None
) -> tuple[list[Entity], int]:
    """Cited entities of ``kinds`` (filtered), and how many amounts the date filter left out."""
    found = [f for f in find_entities(doc.text) if f.kind in kinds]
    dates = [f for f in found if f.kind is EntityKind.DATE] or [f for f in find_dates(doc.text)]
    entities: list[Entity] = []
    dropped = 0
    for item in found:
        related: Found | None = None
        if item.kind is EntityKind.AMOUNT:
            start, end = _sentence_span(doc, item)
            in_sentence = [d for d in dates if start <= d.start < end]
            passing = [d for d in in_sentence if keep_date is None or keep_date(d)]
            if keep_date is not None and not passing:
                dropped += 1
                continue
            nearby = passing or in_sentence
            related = nearby[0] if nearby else None
        elif item.kind is EntityKind.DATE and keep_date is not None and not keep_date(item):
            continue
        citation = doc.citation(item.start, item.end)
        if citation is None:
            continue
        entities.append(
            Entity(
                kind=item.kind,
                text=item.text,
                value=item.value,
                confidence=item.confidence,
                amount=item.amount,
                currency=item.currency,
                related_date=related.value if related else None,
                citation=citation,
            )
        )
    return entities, dropped


def _answer_lines(
    entities: list[Entity], kinds: list[EntityKind]
) -> tuple[list[str], list[Entity]]:
    lines: list[str] = []
    shown: list[Entity] = []
    for kind in kinds:
        distinct: dict[str, list[Entity]] = {}
        for entity in entities:
            if entity.kind is kind:
                distinct.setdefault(entity.value, []).append(entity)
        if not distinct:
            continue
        items = []
        for mentions in list(distinct.values())[:SHOWN_PER_KIND]:
            first = mentions[0]
            shown.append(first)
            label = first.text if kind is not EntityKind.DATE else f"{first.value} ({first.text})"
            if first.related_date:
                label += f", dated {first.related_date}"
            if len(mentions) > 1:
                label += f" ×{len(mentions)}"
            items.append(f"{label} ({first.citation.anchor.label()})")
        more = len(distinct) - SHOWN_PER_KIND
        tail = f"; and {more} more" if more > 0 else ""
        lines.append(f"{_PLURAL[kind]} ({len(distinct)}): " + "; ".join(items) + tail + ".")
    return lines, shown


def _confidence(shown: list[Entity], kinds: list[EntityKind], named: bool) -> float:
    if not shown:
        return 0.3  # a thorough scan found nothing: plausible, but unconfirmed
    mean = sum(e.confidence for e in shown) / len(shown)
    coverage = len({e.kind for e in shown}) / len(kinds) if named else 1.0
    return round(mean * (0.5 + 0.5 * coverage), 4)


def extract_entities(document: DocumentRef, query: str | None = None) -> Extraction:
    """Extract people, organisations, dates (ISO), amounts (with currency), percentages and emails
    from one document, each with its anchor; a query picks kinds and date filters.

    Example queries: "amounts due after March", "who attended", "all dates in 2025". The
    confidence is the mean confidence of the entities reported, lowered when a kind the query
    asked for was not found.
    """
    doc = DocumentText.load(document)
    kinds, named = requested_kinds(query)
    keep_date, filter_text = date_filter(query)
    entities, dropped = _entities(doc, kinds, keep_date)
    truncated = len(entities) > MAX_ENTITIES
    lines, shown = _answer_lines(entities, kinds)
    wanted = " and ".join(_PLURAL[k].lower() for k in kinds) if named else "entities"
    if not lines:
        lines = [f"No {wanted}{f' ({filter_text})' if filter_text else ''} found."]
    filters = [filter_text] if filter_text else []
    if filter_text and dropped:
        lines.append(f"Filter: {filter_text}; {dropped} amount(s) without such a date left out.")
    elif filter_text:
        lines.append(f"Filter: {filter_text}.")
    passages = {
        c.passage_id: doc.passage_at(c.anchor.char_start) for c in (e.citation for e in shown)
    }
    extraction = Extraction(
        document=document,
        label=document.name,
        answer="\n".join(lines),
        citations=[e.citation for e in shown],
        confidence=_confidence(shown, kinds, named),
        passages=[p for p in passages.values() if p is not None][:10],
        kinds=kinds,
        filters=filters,
        entities=entities[:MAX_ENTITIES],
        truncated=truncated,
    )
    # with an LLM configured it writes the answer from the passages the entities stand in
    task = query or f"List the {wanted} in {document.name}"
    return rewrite_answer_sync(extraction, task, extraction.passages, purpose="extract")
