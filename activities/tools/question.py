"""What a question asks for: the kind of value (when → a date, how much → an amount, who → a
person, which version → a version, ...), the field names it points at ("Who wrote X?" → an
``author`` field), the words its form implies ("How old ...?" asks for an age) and the values it
mentions ("in Q2", "from Jan 01, 2024").

Read from the question's form — its first wh-phrase, in English, German, French or Italian —
not from keyword lists of the documents' subject matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from activities.tools.text import stem, stems
from activities.tools.values import ValueKind, value_keys

_D, _A, _N, _P = ValueKind.DURATION, ValueKind.AMOUNT, ValueKind.NUMBER, ValueKind.PERCENT
_RULES: tuple[tuple[str, tuple[ValueKind, ...]], ...] = (
    (
        r"\bhow (?:long|much time)\b|\bhow far in advance\b|\bfor how long\b|\bwie lange\b"
        r"|\bcombien de temps\b|\bquanto tempo\b",
        (_D,),
    ),
    (
        r"\b(?:within |after |for )?how many (?:seconds|minutes|hours|days|weeks|months|years)\b"
        r"|\bwithin how\b|\bafter how\b",
        (_D, _N),
    ),
    (
        r"\bhow much (?:interest|percent)|\bwhat (?:percentage|share|proportion|rate)\b",
        (_P, _A, _N),
    ),
    (
        r"\bhow much\b|\bwhat (?:does|did|do) .{0,40}\bcost\b|\bwhat (?:is|was) the (?:price|"
        r"cost|fee|amount|budget|value)\b|\bwie viel\b(?!e)|\bcombien co[uû]te\b|\bquanto costa\b",
        (_A, _N, _P, _D),
    ),
    (
        r"\bhow (?:many|old|big|large|small|wide|high|tall|heavy|fast|often)\b|\bwie viele\b"
        r"|\bcombien\b|\bquant[ieo]\b|\bup to what\b|\bbelow how\b|\babove how\b"
        r"|\b(?:what|which) (?:\w+ ){0,2}(?:number|amount|count|limit|size|value|frequency)\b",
        (_N, _A, _D, _P),
    ),
    (
        r"\b(?:what|which|welche[rsmn]?|quelle|quale) (?:\w+ ){0,3}?(?:version[ei]?|release)\b",
        (ValueKind.VERSION,),
    ),
    (
        r"\b(?:when|by when|since when|until when|wann|quand|quando|bis wann|ab wann)\b"
        r"|\b(?:what|which|on which|from which) (?:date|day|year|month)\b",
        (ValueKind.DATE,),
    ),
    (r"\b(?:who|whom|whose|wer|wem|qui|chi)\b|\bby whom\b", (ValueKind.PERSON,)),
    (r"\be-?mail\b", (ValueKind.EMAIL,)),
    (r"\b(?:url|website|web site|web page)\b", (ValueKind.URL,)),
    (
        r"\bwhere (?:can|should|do|does|must|may) .{0,40}\b(?:report|find|download|contact|send|"
        r"submit|get|obtain|reach)\b",
        (ValueKind.URL, ValueKind.EMAIL),
    ),
)
_EXPECT_RULES = tuple((re.compile(p, re.IGNORECASE), kinds) for p, kinds in _RULES)
_WH = re.compile(
    r"\b(?:who|whom|whose|what|when|where|which|how|wer|wem|was|wann|wo|wie|welche[rsmn]?|qui|"
    r"quand|où|combien|comment|quel(?:le)?s?|chi|quando|dove|come|quanto|quant[ie]|quale)\b",
    re.IGNORECASE,
)
_SOFT_KINDS = frozenset({ValueKind.PERSON, ValueKind.URL})
"""Kinds a question's form only suggests: 'who' may ask for a role, 'where' for a page."""
_MODAL = re.compile(
    r"\b(?:should|must|do i|do we|ought|faut|sollte|soll|muss|devo|deve|dovrei)\b", re.IGNORECASE
)
"""'When should I release 1.0.0?' asks for a condition as often as for a date."""

_FIELD_HINTS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), hints)
    for pattern, hints in (
        (
            r"\b(?:who (?:wrote|authored|created|came up with)|author|written by|wer hat"
            r"|qui a écrit|autore|verfasser)\b",
            ("author", "authors", "creator", "by"),
        ),
        (r"\bcreated\b|\bwhen was .{1,40} (?:created|drafted|proposed)\b", ("created", "date")),
        (
            r"\b(?:published|issued|released|erschienen|publié|pubblicat)\w*\b",
            ("date", "published", "issued", "released"),
        ),
        (r"\b(?:updated|last update|revised)\b", ("updated", "update", "date", "revised")),
        (r"\beffective\b", ("effective", "date")),
        (r"\bstatus\b", ("status",)),
        (r"\bcategory\b", ("category",)),
        (r"\bversion\b|\bversione\b", ("version", "latest")),
        (r"\bresolution\b", ("resolution",)),
        (r"\bexpir\w*", ("expiry", "expires", "expiration")),
        (r"\brequire[sd]?\b", ("requires",)),
        (r"\blicen[cs]e\b|\blizenz\b|\blicenza\b", ("license", "licence", "lizenz")),
        (r"\be-?mail\b", ("email", "mail", "electronic")),
    )
)
_IMPLIED: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), words)
    for pattern, words in (
        (r"\bhow old\b|\bwie alt\b", "age"),
        (r"\bhow (?:big|large)\b", "size"),
        (r"\bhow often\b", "frequency"),
        (
            r"\bwho (?:wrote|authored|came up with|created)\b"
            r"|\bwer hat\b.*\b(?:erstellt|geschrieben)",
            "author",
        ),
        (r"\bqui a écrit\b", "auteur"),
        (r"\bhow far in advance\b", "advance"),
    )
)
_SEVERAL = re.compile(
    r"^\s*(?:(?:what|which) (?:are|were)\b|find|search|locate|look for|list|show)\b"
    r"|\b(?:all|every|each|both)\b",
    re.IGNORECASE,
)
_QUESTION_WORDS = """
much many long old big large often far how what which who whom whose when where wer wann wie
viel viele welche welcher welches qui quand combien quelle quel chi quando quanto quanti quale
does did do can may might must shall should would could get got according say says said
find search locate look mention mentioned mentions discussed described referenced
"""
QUESTION_WORDS = frozenset(stem(w) for w in _QUESTION_WORDS.split())
"""Words of a question's form, not of what it is about."""


@dataclass(frozen=True)
class QuestionIntent:
    """What the question wants: value kinds (best first), field names, the values it names."""

    text: str
    expects: tuple[ValueKind, ...] = ()
    soft: bool = True
    """True when a unit lacking the expected kind may still answer ('who' → a role)."""
    fields: frozenset[str] = frozenset()
    values: frozenset[tuple[ValueKind, str]] = frozenset()
    content: frozenset[str] = field(default_factory=frozenset)
    several: bool = False
    """The question asks for more than one thing ("What are the risks?", "Find where ...",
    "... in each contract"): an answer quotes every unit that bears on it."""

    @property
    def typed(self) -> bool:
        return bool(self.expects)


def _expects(text: str) -> tuple[tuple[ValueKind, ...], bool]:
    """The kinds the question's first wh-phrase asks for, and whether that is only a hint.

    Only a phrase of the question's first clause counts — from its first wh-word to the next
    one: in "Which column records how often ...?" the 'how often' belongs to a relative clause,
    not to what is asked; in "What is the email address ...?" the 'email' does."""
    wh = list(_WH.finditer(text))
    first = wh[0].start() if wh else 0
    clause_end = wh[1].start() if len(wh) > 1 else len(text)
    earliest: tuple[int, tuple[ValueKind, ...], str] | None = None
    for pattern, kinds in _EXPECT_RULES:
        for match in pattern.finditer(text):
            covers_first = match.start() <= first < match.end()
            if wh and not (covers_first or first <= match.start() < clause_end):
                continue
            if earliest is None or match.start() < earliest[0]:
                earliest = (match.start(), kinds, match.group(0).lower())
            break
    if earliest is None:
        return (), True
    _, kinds, phrase = earliest
    bare_when = phrase in ("when", "wann", "quand", "quando")
    soft = kinds[0] in _SOFT_KINDS or (bare_when and bool(_MODAL.search(text)))
    return kinds, soft


def read_question(question: str) -> QuestionIntent:
    """The intent of ``question``: its expected value kinds, field hints, named values and
    content stems (question words such as 'how much' removed, implied ones such as 'age' for
    'how old' added)."""
    text = " ".join(question.split())
    expects, soft = _expects(text)
    hints: set[str] = set()
    for pattern, names in _FIELD_HINTS:
        if pattern.search(text):
            hints.update(names)
    implied = " ".join(words for pattern, words in _IMPLIED if pattern.search(text))
    return QuestionIntent(
        text=text,
        expects=expects,
        soft=soft,
        fields=frozenset(hints),
        values=frozenset(value_keys(text)),
        content=frozenset((stems(text) | stems(implied)) - QUESTION_WORDS),
        several=bool(_SEVERAL.search(text)),
    )
