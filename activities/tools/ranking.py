"""Ranking the units of passages against a question, by what the question asks.

A unit scores by the question's content words it holds (its own text first, then what frames
it: the field's key, the table header, the record, the section, the document name), by a key
that names what is asked ("Who wrote ...?" meets ``author:``), by values the question names
that the unit holds too ("in Q2", "from Jan 01, 2024", "Python 3.12"), and — when the question
asks for a kind of value (a date, an amount, a person, a version) — by holding one beyond those
the question named. The same score ranks passages in search and chooses what an answer quotes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from activities.tools.question import QUESTION_WORDS, QuestionIntent
from activities.tools.text import stem, stems
from activities.tools.units import Unit, UnitKind
from activities.tools.values import ValueKind, find_values, value_keys

CONTEXT_WEIGHT = 0.7
"""A question word found only in what frames a unit counts this much of one in its text."""
TYPE_MISSING = 0.45
SOFT_MISSING = 0.85
LONG_UNIT_CHARS = 400
SUBJECT_WEIGHT = 0.3
KEY_WEIGHT = 0.25
VALUE_WEIGHT = 0.15
TYPE_BONUS = 0.15
HEADING_WEIGHT = 0.6
LEAD_IN_WEIGHT = 0.6
MISSED_VALUES_WEIGHT = 0.8
"""A heading names what follows; it answers only when it carries the value asked for."""
RETRIEVAL_WEIGHT = 0.1
FUZZY_WEIGHT = 0.8
FUZZY_MIN_CHARS = 7
HINTED_SECTION = 0.6
_URL_ONLY = re.compile(r"^<?https?://\S+>?$")


@dataclass(frozen=True)
class Ranked:
    """A unit with its score and the signals behind it (what confidence is made from)."""

    unit: Unit
    score: float
    coverage: float
    key_match: float
    value_match: bool
    typed: bool | None
    """True: holds the kind of value asked for; False: does not; None: nothing was asked."""
    missed_values: bool = False
    """The question names values (not the document's own: 'NumPy 2.0', not 'EIP-155') and
    the unit holds none of them."""


_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def name_words(name: str) -> set[str]:
    """The words of a document's file name: 'rfc7725.html' → {'rfc', '7725'}."""
    base = re.sub(r"\.\w+$", "", name)
    return stems(_LETTER_DIGIT.sub(" ", re.sub(r"[-_.]+", " ", base)))


def _framing(unit: Unit, title: str) -> set[str]:
    """The words around a unit: its key, context (table header, record, lead-in), section,
    and its document's name and title."""
    section = unit.passage.anchor.section or ""
    words = stems(" ".join((unit.key, unit.context, section, title)))
    return words | name_words(unit.passage.document_name)


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one inserted, deleted or changed letter."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def _near(term: str, words: set[str]) -> bool:
    """A long word spelled a letter off ('Endianess' for 'endianness') still meets."""
    return len(term) >= FUZZY_MIN_CHARS and any(
        w[:3] == term[:3] and _one_edit(term, w) for w in words if len(w) >= FUZZY_MIN_CHARS - 1
    )


def _subject(wanted: frozenset[str], named: set[str]) -> set[str]:
    """The question's words that name the document: in its name or title, alone or run
    together ('cover page' in ...-coverpage.md)."""
    subject = set(wanted & named)
    for a in wanted:
        for b in wanted:
            if a != b and a + b in named:
                subject |= {a, b}
    return subject


def _idf(units: Sequence[Unit], titles: dict[str, str]) -> dict[str, float]:
    counts: Counter[str] = Counter()
    for unit in units:
        counts.update(stems(unit.text) | _framing(unit, titles.get(unit.passage.document_id, "")))
    total = len(units)
    return {term: math.log(1 + total / n) for term, n in counts.items()}


def _key_match(unit: Unit, intent: QuestionIntent, subject: set[str]) -> float:
    """How well what names a unit says what is asked: 1 for a field key the question's form
    points at ('Who wrote' → author), else the share of the key's words the question uses —
    words naming the document itself ('EIP-155' in eip-155.md) left out; a section titled
    after what is asked ('Electronic Mail Address' for an email) counts HINTED_SECTION."""
    hints = {stem(f) for f in intent.fields}
    section = (unit.passage.anchor.section or "").split(" > ")[-1]
    from_section = HINTED_SECTION if hints & stems(section) else 0.0
    if unit.kind not in (UnitKind.FIELD, UnitKind.ROW) or not unit.key:
        return from_section
    key = unit.key.lower().strip("`*_ ")
    if key in intent.fields or stem(key) in hints:
        return 1.0
    words = stems(key) - QUESTION_WORDS
    if not words:
        return from_section
    return max(from_section, len(words & (intent.content - subject)) / len(words))


_NUMBERING = re.compile(r"^\s*(?:§\s*)?(?:[\dIVXivx]+[.)]?)+(?:\.\d+)*\s+")


def _carries_value(heading: str) -> bool:
    """A heading holding a value beyond its own numbering ("Codified in 5 C.F.R. Part 2635",
    "Team introductions (10 minutes)") can state a fact, not only name a section."""
    return bool(find_values(_NUMBERING.sub("", heading)))


def _typed(unit: Unit, intent: QuestionIntent) -> bool | None:
    """Whether the unit holds a value of the kind asked for, besides those the question names
    (a field's value, else the whole text: a row's date may be its first cell)."""
    if not intent.typed:
        return None
    body = unit.value if unit.kind == UnitKind.FIELD else unit.text
    for value in find_values(body):
        if value.kind in intent.expects and (value.kind, value.key) not in intent.values:
            return True
    return False


def rank_units(
    intent: QuestionIntent,
    units: Sequence[Unit],
    retrieval: dict[str, float] | None = None,
    titles: dict[str, str] | None = None,
) -> list[Ranked]:
    """``units`` that bear on the question, best first. ``retrieval`` maps passage ids to a
    0-1 retrieval score, a small tie-breaker; ``titles`` maps document ids to their titles.

    Question words that name the document a unit comes from (its file name or title: 'NEP 29'
    over nep-0029.rst) say which document, not what in it: they weigh SUBJECT_WEIGHT.
    """
    if not units:
        return []
    titles = titles or {}
    idf = _idf(units, titles)
    rare = max(idf.values(), default=1.0)
    wanted = intent.content
    subjects: dict[str, set[str]] = {}
    named_values: dict[str, frozenset[tuple[ValueKind, str]]] = {}
    ranked: list[Ranked] = []
    for unit in units:
        document = unit.passage.document_id
        title = titles.get(document, "")
        if document not in subjects:
            named = name_words(unit.passage.document_name) | stems(title)
            subjects[document] = _subject(wanted, named)
            naming = value_keys(f"{_LETTER_DIGIT.sub(' ', unit.passage.document_name)} {title}")
            named_values[document] = intent.values - naming
        subject = subjects[document]

        def weight(term: str, subject: set[str] = subject) -> float:
            return idf.get(term, rare) * (SUBJECT_WEIGHT if term in subject else 1.0)

        total = sum(weight(t) for t in wanted) or 1.0
        own = stems(unit.text)
        framing = _framing(unit, title)
        missing = wanted - own - framing
        covered = sum(weight(t) for t in wanted & own)
        covered += CONTEXT_WEIGHT * sum(weight(t) for t in (wanted & framing) - own)
        covered += FUZZY_WEIGHT * sum(weight(t) for t in missing if _near(t, own | framing))
        coverage = min(1.0, covered / total)
        key_match = _key_match(unit, intent, subject)
        typed = _typed(unit, intent)
        held = intent.values & value_keys(f"{unit.text} {unit.context}")
        value_match = typed is not False and bool(held)
        missed = bool(named_values[document]) and not (held & named_values[document])
        if coverage == 0 and key_match == 0 and not value_match and not typed:
            continue
        base = coverage + KEY_WEIGHT * key_match
        if typed is False:
            base *= SOFT_MISSING if intent.soft else TYPE_MISSING
        score = base + VALUE_WEIGHT * value_match + (TYPE_BONUS if typed else 0.0)
        if missed:
            score *= MISSED_VALUES_WEIGHT  # the question's own values ('NumPy 2.0') are not here
        if coverage == 0 and key_match == 0:
            score = min(score, 0.2) + (0.2 if typed else 0.0)  # a typed value alone: a guess
        if len(unit.text) > LONG_UNIT_CHARS:
            score *= 0.9
        if unit.text.rstrip().endswith(":"):
            score *= LEAD_IN_WEIGHT  # "the following may be given:" introduces the answer
        if unit.kind == UnitKind.HEADING and not typed:
            is_title = unit.text.strip() == title.strip()
            if is_title or not _carries_value(unit.text):
                score *= HEADING_WEIGHT  # a heading names; the document's title names it all
        if _URL_ONLY.match(unit.text) and not unit.context and ValueKind.URL not in intent.expects:
            score *= 0.5
        score += RETRIEVAL_WEIGHT * (retrieval or {}).get(unit.passage.id, 0.0)
        ranked.append(
            Ranked(unit, round(score, 6), coverage, key_match, value_match, typed, missed)
        )
    ranked.sort(key=lambda r: (-r.score, r.unit.start))
    return ranked
