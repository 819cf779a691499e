"""Sentence splitting with exact offsets, and term weighting shared by the extractive tools."""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from models.documents import Anchor, Citation, Passage
from store.search import STOPWORDS, query_terms

_SENTENCE_END = re.compile(
    r"(?<=[.!?;])\s+(?=[\"'(\[]?[A-Z0-9§])"  # end punctuation, then a capital or number
    r"|\n\s*\n"  # a blank line
    r"|\n(?=\s*(?:[-*•]|\d+[.)])\s)"  # a list item
    r"|\n(?=\|)|(?<=\|)\n"  # a table row (pipe table lines) stands alone
)
_HEADING_LINE = re.compile(r"^[^\n]{1,80}$", re.MULTILINE)
_HEADING_MAX_WORDS = 8
"""A short line ending without punctuation is a heading only when it has at most this many
words: a hard-wrapped paragraph's lines (10-15 words at 80 columns) keep running on."""
_NUMERIC_TOKEN = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)+(?![\w])|(?<![\w.])v\d+(?:\.\d+)+")
_MIN_SENTENCE_CHARS = 20
STEMS_CACHE = 16_384
"""Texts whose stems are remembered: ranking asks for the same sentences' stems many times."""


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage with absolute offsets into its document's text."""

    passage: Passage
    text: str
    start: int
    end: int

    def citation(self) -> Citation:
        """The citation of this sentence."""
        return quote_citation(self.passage, self.start, self.end, self.text)


def quote_citation(passage: Passage, start: int, end: int, text: str) -> Citation:
    """A citation quoting ``text``, which sits at ``start``–``end`` of ``passage``'s document."""
    anchor = Anchor(
        page=passage.anchor.page, section=passage.anchor.section, char_start=start, char_end=end
    )
    return Citation(
        passage_id=passage.id,
        document_id=passage.document_id,
        document_name=passage.document_name,
        anchor=anchor,
        quote=text,
    )


def _breaks(text: str) -> list[tuple[int, int]]:
    """(start, end) of every separator between sentences, in order."""
    found = [(m.start(), m.end()) for m in _SENTENCE_END.finditer(text)]
    for line in _HEADING_LINE.finditer(text):
        # a short line without end punctuation followed by more text is a heading
        body = line.group(0).rstrip()
        if (
            line.end() < len(text)
            and body[-1:] not in ".!?;:,|"
            and len(body.split()) <= _HEADING_MAX_WORDS
        ):
            found.append((line.end(), line.end() + 1))
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def sentences(passage: Passage) -> list[Sentence]:
    """The passage's sentences, trimmed, with offsets that index the document text exactly."""
    found: list[Sentence] = []
    text = passage.text
    base = passage.anchor.char_start
    cursor = 0
    for start_of_break, end_of_break in [*_breaks(text), (len(text), len(text))]:
        start, stop = cursor, start_of_break
        while start < stop and text[start].isspace():
            start += 1
        while stop > start and text[stop - 1].isspace():
            stop -= 1
        if stop - start >= _MIN_SENTENCE_CHARS and text[start] != "#":
            found.append(Sentence(passage, text[start:stop], base + start, base + stop))
        cursor = end_of_break
    return found


_FOREIGN_STOPWORDS_TEXT = """
der die das den dem des ein eine einer eines einem und oder ist sind wird werden wurde
von vom zu zum zur mit für auf aus bei nach im in an am als auch nicht sich es man sein
le la les un une des du de et ou est sont pour par sur dans au aux avec ce cette qui que
il lo gli i una uno dei del della delle dello di da e ed è sono per con su nel nella che
"""
_FOREIGN_STOPWORDS = frozenset(_FOREIGN_STOPWORDS_TEXT.split())
"""German, French and Italian function words, left out like the English ones."""
_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|dell|dall|nell|sull|all|un)['’](?=\w)")
_CAMEL_WORD = re.compile(r"\b[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*\b")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def terms(text: str) -> list[str]:
    """The content words of ``text`` (the store's query terms), plus what those split apart:
    versions and grouped numbers kept whole ('3.12.0', '2,675,000' as '2675000'), the parts of
    compound words ('eip-155' also gives 'eip' and '155', 'MAX_BLOB_GAS' 'max', 'blob',
    'gas', 'releaseDate' 'release', 'date') and elided articles dropped ("l'autore" →
    'autore'). German, French and Italian function words are left out too."""
    found = [t for t in query_terms(text) if t not in _FOREIGN_STOPWORDS]
    extra: dict[str, None] = {}
    for identifier in _CAMEL_WORD.findall(text):  # releaseDate, maxFeePerGas (not GitHub)
        extra.update((part, None) for part in query_terms(_CAMEL.sub(" ", identifier)))
    for match in _NUMERIC_TOKEN.finditer(text.lower()):
        token = match.group(0)
        grouped = re.fullmatch(r"\d{1,3}(?:,\d{3})+", token)
        extra[token.replace(",", "") if grouped else token] = None
    for word in found:
        bare = _ELISION.sub("", word)
        parts = [bare] if bare != word else []
        if "-" in bare or "_" in bare:
            parts += re.split(r"[-_]+", bare)
        extra.update(
            (part, None)
            for part in parts
            if len(part) > 1 and part not in STOPWORDS and part not in _FOREIGN_STOPWORDS
        )
    return found + [t for t in extra if t not in found]


_IRREGULAR = {
    "built": "build",
    "rebuilt": "rebuild",
    "paid": "pay",
    "sold": "sell",
    "bought": "buy",
    "held": "hold",
    "made": "make",
    "spent": "spend",
    "sent": "send",
    "began": "begin",
    "begun": "begin",
    "written": "write",
    "wrote": "write",
    "chosen": "choose",
    "given": "give",
    "taken": "take",
    "won": "win",
    "lost": "lose",
    "kept": "keep",
    "left": "leave",
    "met": "meet",
    "ran": "run",
    "grew": "grow",
    "grown": "grow",
    "rose": "rise",
    "risen": "rise",
    "fell": "fall",
    "fallen": "fall",
    "cost": "cost",
    "maximum": "max",
    "minimum": "min",
    "costs": "cost",
    "children": "child",
    "people": "person",
    "women": "woman",
    "men": "man",
}


def stem(word: str) -> str:
    """A crude stem so 'terminate', 'termination' and 'terminated' meet (and 'rebuilt' meets
    'rebuild': common irregular forms map to their base)."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s", "ly", "e"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def stems(text: str) -> set[str]:
    """The stems of ``text``'s content words (a fresh set; the work behind it is cached)."""
    return set(_stems(text))


@functools.lru_cache(maxsize=STEMS_CACHE)
def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(t) for t in terms(text))


def inverse_document_frequency(texts: Iterable[str]) -> dict[str, float]:
    """idf of each stem over ``texts`` (each text one 'document')."""
    counts: Counter[str] = Counter()
    total = 0
    for text in texts:
        total += 1
        counts.update(stems(text))
    return {term: math.log(1 + total / n) for term, n in counts.items()}


def coverage_signal(covered: int, wanted: int) -> float:
    """Confidence from the share of a question's content words that the evidence contains.

    ``1 - (1 - share)^2``: evidence missing one word of four (often a word the text says
    differently, "period" for "90 days") still scores 0.94, half the words 0.75, none 0.
    """
    if wanted <= 0:
        return 0.5
    share = min(1.0, covered / wanted)
    return round(1 - (1 - share) ** 2, 4)
