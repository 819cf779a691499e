"""Typed values in text — dates, amounts, percentages, durations, versions, numbers, people,
emails, web addresses — found with offsets and compared as values, not as strings.

Built on ``entity_patterns`` (dates, amounts, percentages, emails, people) with what answering
needs besides: durations ("thirty (30) days", "1.5-2 hours"), versions kept whole ("3.12.14",
"v 2.0"), plain numbers, obfuscated emails, and German, French and Italian month names.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

from activities.tools.entity_patterns import (
    find_amounts,
    find_dates,
    find_emails,
    find_people,
    find_percentages,
    parse_number,
)

VALUES_CACHE = 8_192
"""Texts whose values are remembered: a unit is read once per search and once per answer."""


class ValueKind(StrEnum):
    DATE = "date"
    AMOUNT = "amount"
    PERCENT = "percent"
    DURATION = "duration"
    VERSION = "version"
    NUMBER = "number"
    PERSON = "person"
    EMAIL = "email"
    URL = "url"


@dataclass(frozen=True)
class Value:
    """A value mention: its kind, exact offsets and text, and a comparable key (ISO date,
    number, version tuple as text, lower-cased address)."""

    kind: ValueKind
    start: int
    end: int
    text: str
    key: str


_FOREIGN_MONTHS = (
    "januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember|"
    "janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|"
    "gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|dicembre"
)
_FOREIGN_DATE = re.compile(
    rf"\b(?P<d>\d{{1,2}})\.?\s+(?P<mon>{_FOREIGN_MONTHS})\s+(?P<y>\d{{4}})\b", re.IGNORECASE
)
_DASHED_DATE = re.compile(
    r"\b\d{1,2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*-(?:19|20)\d{2}\b",
    re.IGNORECASE,
)
_YEAR_MONTH = re.compile(r"\b(?P<y>(?:19|20)\d{2})-(?P<m>0[1-9]|1[0-2])\b(?!-\d)")
_BARE_YEAR = re.compile(r"(?<![\w.,-])(?:19|20)\d{2}(?![\w.,%-])")
_SPELLED = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    "twenty-four|thirty|forty|forty-five|fifty|sixty|ninety|hundred"
)
_UNIT = (
    r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|business days?|weeks?|months?|years?|"
    r"Sekunden|Minuten|Stunden|Tagen?|Wochen|Monaten?|Jahren?|"
    r"secondes?|heures?|jours?|semaines?|mois|ans|années?|"
    r"secondi|minuti|ore|giorni|settimane|mesi|anni)"
)
_DURATION = re.compile(
    rf"(?<![\w.])(?:(?:{_SPELLED})\s*\(\d+\)|\d+(?:[.,]\d+)?(?:\s*[-–]\s*\d+(?:[.,]\d+)?)?"
    rf"|{_SPELLED})[\s-]*{_UNIT}\b",
    re.IGNORECASE,
)
_VERSION = re.compile(
    r"(?<![\w.])\d+\.\d+(?:\.\d+){0,3} (?:or|and) (?:newer|later|above|higher)\b"
    r"|(?<![\w.])(?:v(?:ersion)?\s?)?\d+\.\d+(?:\.\d+){0,3}(?:[-+][0-9A-Za-z.]+|\+)?(?![\w])"
    r"|(?<![\w])v\s?\d+(?:\.\d+)*\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?![\d])|(?<![\w.])\d+(?:\.\d+)?(?![\w])")
_OBFUSCATED_EMAIL = re.compile(
    r"\b[\w.+-]+\s?[(\[]at[)\]]\s?[\w-]+(?:\s?[(\[]dot[)\]]\s?[\w-]+)+", re.IGNORECASE
)
_URL = re.compile(r"https?://[^\s<>()\]]+|\b(?:[a-z0-9-]+\.)+(?:com|org|net|gov|io|dev)\b/?\S*")
_WEEKDAY = re.compile(
    r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Montag|Dienstag|Mittwoch|"
    r"Donnerstag|Freitag|Samstag|Sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b"
)
_SURNAME_INITIAL = re.compile(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?, (?:[A-Z]\.\s?){1,3}(?=[\s;,]|$)")
_HANDLE_NAME = re.compile(r"\b[A-Z][\w'’-]+(?:\s+[A-Z][\w'’.-]+){1,3}(?=\s*\(@)")
_INITIAL_NAME = re.compile(r"\b[A-Z]\.\s?[A-Z][a-z]+(?:-[A-Z][a-z]+)?\b")


def _number_key(text: str) -> str:
    number = parse_number(text)
    return f"{number:.12g}" if number is not None else text


def _dashed_key(text: str) -> str:
    day, month, year = text.split("-")
    found = find_dates(f"{day} {month} {year}")
    return found[0].value if found else text.lower()


def _version_key(text: str) -> str:
    """'Version 1.02' → '1.02'; '2.0 or newer' → '2.0+' (the same as '2.0+')."""
    key = re.sub(r"^v(?:ersion)?\s?", "", text.lower())
    return re.sub(r" (?:or|and) (?:newer|later|above|higher)$", "+", key)


def find_values(text: str) -> list[Value]:
    """Every typed value in ``text``; a span is given one kind, the most specific."""
    return list(_find_values(text))


@functools.lru_cache(maxsize=VALUES_CACHE)
def _find_values(text: str) -> tuple[Value, ...]:
    found: list[Value] = []

    def add(kind: ValueKind, start: int, end: int, key: str) -> None:
        if not any(v.start < end and start < v.end for v in found):
            found.append(Value(kind, start, end, text[start:end], key))

    for m in _VERSION.finditer(text):
        if m.group(0)[:1] in "vV":  # "v 2.0", "Version 1.02": a version, whatever follows
            add(ValueKind.VERSION, m.start(), m.end(), _version_key(m.group(0)))
    for m in _DASHED_DATE.finditer(text):  # 24-Oct-2023
        add(ValueKind.DATE, m.start(), m.end(), _dashed_key(m.group(0)))
    for m in _FOREIGN_DATE.finditer(text):
        add(ValueKind.DATE, m.start(), m.end(), m.group(0).lower())
    for date in find_dates(text):
        add(ValueKind.DATE, date.start, date.end, date.value)
    for m in _YEAR_MONTH.finditer(text):
        add(ValueKind.DATE, m.start(), m.end(), m.group(0))
    for email in find_emails(text):
        add(ValueKind.EMAIL, email.start, email.end, email.value)
    for m in _OBFUSCATED_EMAIL.finditer(text):
        add(ValueKind.EMAIL, m.start(), m.end(), m.group(0).lower())
    for m in _URL.finditer(text):
        add(ValueKind.URL, m.start(), m.end(), m.group(0).lower().rstrip("/.,"))
    for amount in find_amounts(text):
        add(ValueKind.AMOUNT, amount.start, amount.end, amount.value)
    for percent in find_percentages(text):
        add(ValueKind.PERCENT, percent.start, percent.end, percent.value)
    for m in _DURATION.finditer(text):
        add(ValueKind.DURATION, m.start(), m.end(), " ".join(m.group(0).lower().split()))
    for m in _VERSION.finditer(text):
        raw = m.group(0)
        if raw.count(".") >= 2 or raw[:1] in "vV" or raw.endswith("+") or " " in raw:
            add(ValueKind.VERSION, m.start(), m.end(), _version_key(raw))
    for m in _HANDLE_NAME.finditer(text):
        add(ValueKind.PERSON, m.start(), m.end(), m.group(0))
    for pattern in (_INITIAL_NAME, _SURNAME_INITIAL):
        for m in pattern.finditer(text):
            add(ValueKind.PERSON, m.start(), m.end(), m.group(0).strip())
    for person in find_people(text, [(v.start, v.end) for v in found]):
        add(ValueKind.PERSON, person.start, person.end, person.value)
    for m in _WEEKDAY.finditer(text):
        add(ValueKind.DATE, m.start(), m.end(), m.group(0).lower())
    for m in _BARE_YEAR.finditer(text):
        add(ValueKind.DATE, m.start(), m.end(), m.group(0))
    for m in _NUMBER.finditer(text):
        add(ValueKind.NUMBER, m.start(), m.end(), _number_key(m.group(0)))
    return tuple(sorted(found, key=lambda v: v.start))


def value_keys(text: str) -> set[tuple[ValueKind, str]]:
    """(kind, key) of every value in ``text``: two texts mention the same value when these meet
    (numbers and dates compare as values, so '2,675,000' meets '2675000')."""
    keys: set[tuple[ValueKind, str]] = set()
    for value in find_values(text):
        keys.add((value.kind, value.key))
        if value.kind in (ValueKind.VERSION, ValueKind.AMOUNT, ValueKind.PERCENT):
            number = parse_number(re.sub(r"[^\d.,]", "", value.text) or "x")
            if number is not None:
                keys.add((ValueKind.NUMBER, f"{number:.12g}"))
    return keys
