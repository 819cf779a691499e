"""Finding entities in text: dates (normalised to ISO), amounts with currency, percentages,
emails, organisations and people (capitalised-name heuristics). Pure functions over a string;
every match carries exact offsets, so a citation can quote it.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum


class EntityKind(StrEnum):
    ORGANIZATION = "organization"
    PERSON = "person"
    DATE = "date"
    AMOUNT = "amount"
    PERCENTAGE = "percentage"
    EMAIL = "email"


@dataclass(frozen=True)
class Found:
    """One entity mention. ``value`` is normalised: ISO date (``2025-03`` for a month), ``EUR
    12000.00``, ``99.5%``, a lower-cased email, a canonical organisation or person name."""

    kind: EntityKind
    start: int
    end: int
    text: str
    value: str
    confidence: float
    amount: float | None = None
    currency: str | None = None
    first_day: date | None = None
    last_day: date | None = None


# ---- dates ------------------------------------------------------------------------------------

_MONTH_NUMBERS = (
    {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
    | {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
    | {"sept": 9}
)
MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")),
    (
        "dmy",
        re.compile(
            rf"\b(?P<d>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<mon>{MONTH})\.?,?\s+(?P<y>\d{{4}})\b"
        ),
    ),
    (
        "mdy",
        re.compile(rf"\b(?P<mon>{MONTH})\.?\s+(?P<d>\d{{1,2}}){_ORDINAL},?\s+(?P<y>\d{{4}})\b"),
    ),
    ("numeric", re.compile(r"\b(?P<a>\d{1,2})(?P<sep>[./])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})\b")),
    ("my", re.compile(rf"\b(?P<mon>{MONTH})\.?\s+(?P<y>\d{{4}})\b")),
    ("dm", re.compile(rf"\b(?P<d>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<mon>{MONTH})\b")),
    ("md", re.compile(rf"\b(?P<mon>{MONTH})\.?\s+(?P<d>\d{{1,2}}){_ORDINAL}\b(?![,.]?\s*\d)")),
)
_YEAR = re.compile(r"\b(19|20)\d{2}\b")


def month_number(name: str) -> int:
    return _MONTH_NUMBERS[name.lower().rstrip(".")]


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _date_match(kind: str, m: re.Match[str], default_year: int | None) -> Found | None:
    groups = m.groupdict()
    confidence = 0.95
    if kind == "numeric":
        a, b = int(groups["a"]), int(groups["b"])
        if groups["sep"] == "/" and a <= 12 < b:
            month, day = a, b  # only a month/day reading is possible
        else:
            day, month = a, b  # day first, as in ISO-minded and European writing
            confidence = 0.9 if a > 12 or groups["sep"] == "." else 0.6
    else:
        month = int(groups["m"]) if groups.get("m") else month_number(groups["mon"])
        day = int(groups["d"]) if groups.get("d") else 0
    if groups.get("y"):
        year = int(groups["y"])
    elif default_year is not None:
        year, confidence = default_year, 0.6  # the year comes from the text around it
    else:
        return None
    if day == 0:
        if not 1 <= month <= 12:
            return None
        first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        value = f"{year:04d}-{month:02d}"
        confidence = min(confidence, 0.85)
    else:
        found = _day(year, month, day)
        if found is None:
            return None
        first = last = found
        value = found.isoformat()
    return Found(
        EntityKind.DATE,
        m.start(),
        m.end(),
        m.group(0),
        value,
        confidence,
        first_day=first,
        last_day=last,
    )


def find_dates(text: str) -> list[Found]:
    """Dates, most specific pattern first; a date without a year takes the nearest year before it
    (or the text's most common year)."""
    years = [(m.start(), int(m.group(0))) for m in _YEAR.finditer(text)]
    common = Counter(y for _, y in years).most_common(1)
    fallback = common[0][0] if common else None
    taken: list[Found] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(f.start < m.end() and m.start() < f.end for f in taken):
                continue
            before = [y for offset, y in years if offset < m.start()]
            found = _date_match(kind, m, before[-1] if before else fallback)
            if found is not None:
                taken.append(found)
    return taken


# ---- amounts and percentages ------------------------------------------------------------------

_CODES = (
    "EUR|USD|GBP|CHF|JPY|CAD|AUD|NZD|SEK|NOK|DKK|PLN|CZK|HUF|CNY|RMB|INR|BRL|MXN|ZAR|SGD|HKD|KRW"
)
_SYMBOLS = {
    "€": "EUR",
    "$": "USD",
    "US$": "USD",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "A$": "AUD",
    "C$": "CAD",
}
_WORDS = {
    "euro": "EUR",
    "euros": "EUR",
    "dollar": "USD",
    "dollars": "USD",
    "pound": "GBP",
    "pounds": "GBP",
}
_SCALES = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
}
_NUMBER = r"\d{1,3}(?:[,.'’\u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_SCALE = r"(?:\s?(?P<scale>thousand|million|billion|mn|bn|[kKmM])\b)?"
_CURRENCY = rf"(?P<cur>{_CODES}|US\$|A\$|C\$|[€$£¥₹])"
_AMOUNT_PATTERNS = (
    re.compile(rf"{_CURRENCY}\s?(?P<num>{_NUMBER}){_SCALE}"),
    re.compile(
        rf"(?<![\w.,])(?P<num>{_NUMBER}){_SCALE}\s?(?P<cur>{_CODES}|euros?|dollars?|pounds?|[€$£])(?!\w)"
    ),
)
_PERCENT = re.compile(r"(?<![\w.,])(?P<num>\d+(?:[.,]\d+)?)\s?(?:%|per\s?cent\b|percent\b)")


def parse_number(raw: str) -> float | None:
    """'12,000' -> 12000, '4.10' -> 4.1, '12.000,50' -> 12000.5, '1 500' -> 1500."""
    text = re.sub(r"['’\u00a0\u202f ]", "", raw)
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal == "," else ",", "").replace(decimal, ".")
    elif "," in text:
        text = (
            text.replace(",", "")
            if re.fullmatch(r"\d{1,3}(?:,\d{3})+", text)
            else text.replace(",", ".")
        )
    elif text.count(".") > 1:
        text = text.replace(".", "")
    try:
        return float(text)
    except ValueError:
        return None


def _currency(raw: str) -> str:
    return _SYMBOLS.get(raw) or _WORDS.get(raw.lower()) or raw.upper()


def find_amounts(text: str) -> list[Found]:
    found: list[Found] = []
    for pattern in _AMOUNT_PATTERNS:
        for m in pattern.finditer(text):
            if any(f.start < m.end() and m.start() < f.end for f in found):
                continue
            number = parse_number(m.group("num"))
            if number is None:
                continue
            scale = (m.group("scale") or "").lower()
            amount = number * _SCALES.get(scale, 1.0)
            currency = _currency(m.group("cur"))
            confidence = 0.95 if len(m.group("cur")) == 3 else 0.85
            found.append(
                Found(
                    EntityKind.AMOUNT,
                    m.start(),
                    m.end(),
                    m.group(0),
                    f"{currency} {amount:.2f}",
                    confidence,
                    amount=amount,
                    currency=currency,
                )
            )
    return found


def find_percentages(text: str) -> list[Found]:
    found = []
    for m in _PERCENT.finditer(text):
        number = parse_number(m.group("num"))
        if number is not None:
            value = f"{number:g}%"
            found.append(
                Found(
                    EntityKind.PERCENTAGE,
                    m.start(),
                    m.end(),
                    m.group(0),
                    value,
                    0.95,
                    amount=number,
                )
            )
    return found


# ---- emails, organisations, people ------------------------------------------------------------

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_ORG_SUFFIX = (
    r"(?:Corporation|Corp|Incorporated|Inc|Limited|Ltd|LLC|LLP|GmbH|AG|SE|SA|S\.A\.|SAS|plc|PLC|"
    r"BV|NV|Oy|AB|KG|Co|Company|Group|Holdings|Partners)"
)
_CAPITALISED = r"[A-Z][\w&'’-]*"
_ORG = re.compile(
    rf"\b(?P<name>{_CAPITALISED}(?:\s+(?:&\s+)?{_CAPITALISED}){{0,3}}),?\s+(?P<suffix>{_ORG_SUFFIX})\b"
)
_NAME_TOKEN = r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?"
_PERSON = re.compile(
    rf"\b(?P<title>(?:Mr|Mrs|Ms|Mx|Dr|Prof|Sir|Dame)\.?\s+)?(?P<name>{_NAME_TOKEN}(?:\s+(?:[A-Z]\.\s+)?{_NAME_TOKEN}){{1,2}})\b"
)
_PERSON_CONTEXT = re.compile(
    r"\s*(?:\(|,\s*(?:CEO|CFO|CTO|COO|head|director|manager|lead|chair|partner|counsel)|"
    r"\s+(?:said|says|noted|notes|confirmed|confirms|asked|asks|will|agreed|agrees|presented|"
    r"reported|owns|signed|proposed|approved))",
    re.IGNORECASE,
)
_LEADING_NOISE_WORDS = "The A An This That And Between By With Of For To"
_LEADING_NOISE = frozenset(_LEADING_NOISE_WORDS.split())
_NOT_NAMES_WORDS = """
The This That These Those Either Each Both All Any Our Their Its His Her If When On In For
After Before Between During Under With Within Without From Into Over Per Via Upon As At By Of
To And Or But Not No Yes Dear Regards Thanks Hi Hello Please Note Notes See Also Total Main
Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June
July August September October November December Agreement Agreements Master Service Services
Client Customer Provider Supplier Vendor Party Parties Effective Date Dates Schedule Section
Article Annex Appendix Exhibit Table Figure Page Report Operations Operating Committee Meeting
Steering Summary Incident Incidents Review Root Cause Risk Risks Outlook Cost Costs Volume
Throughput Level Levels Governing Law Laws Termination Convenience Liability Confidentiality
Fee Fees Payment Payments Platform Document Documents Data Contract Contracts Renewal Renewals
Budget Actions Action Attendees Availability Credit Credits Invoice Invoices Quarter Annual
North South East West New United States Kingdom Street Road Avenue Health Bank University Group
Inc Ltd Corp Company Holdings Partners Limited Analysis Overview Introduction Background
Conclusion Conclusions Appendix Timeline Impact Owner Owners Status Region Regions Storage
Certificate Engineering Security Policy Plan Plans Project Program Programme Team Teams Office
Director Manager Chief Officer Head Lead Board Council Department Ministry Europe European
America American England English Germany German France French Wales Delaware London Berlin
Email Phone Address Contact Name Title Version Release Notice Notices Term Terms Scope Total
Internet Web Online Cloud Software System Systems Support Hosting Onboarding Maintenance Unit
Price Prices Rate Rates Interest Base Late Initial Full Monthly Weekly Daily Yearly Subtotal
"""
NOT_NAMES = frozenset(_NOT_NAMES_WORDS.split())
"""Capitalised words that are not (parts of) names: function words, months, days, and the
words headings and contracts capitalise."""

ORG_SUFFIX_WORDS = frozenset(re.sub(r"[()?:\\]", " ", _ORG_SUFFIX).replace("|", " ").split())


def find_emails(text: str) -> list[Found]:
    return [
        Found(EntityKind.EMAIL, m.start(), m.end(), m.group(0), m.group(0).lower(), 0.99)
        for m in _EMAIL.finditer(text)
    ]


def find_organizations(text: str) -> list[Found]:
    """Names ending in a company suffix (Acme Corp, Initech GmbH), then bare mentions of their
    distinctive first word (Acme) elsewhere in the text."""
    found: list[Found] = []
    for m in _ORG.finditer(text):
        words = m.group("name").split()
        while words and words[0] in _LEADING_NOISE:
            words.pop(0)
        if not words:
            continue
        start = m.start() + m.group(0).index(words[0])
        canonical = f"{' '.join(words)} {m.group('suffix')}"
        found.append(
            Found(EntityKind.ORGANIZATION, start, m.end(), text[start : m.end()], canonical, 0.9)
        )
    aliases = {f.value.split()[0]: f.value for f in found if f.value.split()[0] not in NOT_NAMES}
    for alias, canonical in aliases.items():
        for m in re.finditer(rf"\b{re.escape(alias)}\b", text):
            if not any(f.start <= m.start() < f.end for f in found):
                found.append(
                    Found(EntityKind.ORGANIZATION, m.start(), m.end(), m.group(0), canonical, 0.7)
                )
    return sorted(found, key=lambda f: f.start)


def find_people(text: str, exclude: list[tuple[int, int]]) -> list[Found]:
    """Two or three capitalised words that are not common capitalised words, not an
    organisation and not in a heading. Confidence rises with a title (Dr, Ms), repetition, and
    context such as '(Acme)' or 'said'."""
    candidates: list[Found] = []
    for m in _PERSON.finditer(text):
        tokens = [t for t in m.group("name").split() if not t.endswith(".")]
        if any(t in NOT_NAMES or t in ORG_SUFFIX_WORDS for t in tokens):
            continue
        if any(s < m.end() and m.start() < e for s, e in exclude):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        if text.startswith("#", line_start):
            continue
        confidence = 0.5 + (0.25 if m.group("title") else 0.0)
        if _PERSON_CONTEXT.match(text, m.end()):
            confidence += 0.2
        candidates.append(
            Found(EntityKind.PERSON, m.start(), m.end(), m.group(0), m.group("name"), confidence)
        )
    counts = Counter(c.value for c in candidates)
    return [
        replace(
            c, confidence=round(min(0.9, c.confidence + (0.15 if counts[c.value] > 1 else 0.0)), 2)
        )
        for c in candidates
    ]


def find_entities(text: str) -> list[Found]:
    """Every entity mention in ``text``, in text order; where two overlap the more specific
    kind wins (email, date, amount, percentage, organisation, person)."""
    chosen: list[Found] = []
    for group in (find_emails(text), find_dates(text), find_amounts(text), find_percentages(text)):
        chosen += [f for f in group if not any(c.start < f.end and f.start < c.end for c in chosen)]
    organizations = [
        f
        for f in find_organizations(text)
        if not any(c.start < f.end and f.start < c.end for c in chosen)
    ]
    chosen += organizations
    people = find_people(text, [(c.start, c.end) for c in chosen])
    return sorted([*chosen, *people], key=lambda f: (f.start, f.end))
