"""Sentence splitting with exact offsets, and term weighting shared by the extractive tools."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from models.documents import Anchor, Citation, Passage
from store.search import query_terms

_SENTENCE_END = re.compile(
    r"(?<=[.!?;])\s+(?=[\"'(\[]?[A-Z0-9§])"  # end punctuation, then a capital or number
    r"|\n\s*\n"  # a blank line
    r"|\n(?=\s*(?:[-*•]|\d+[.)])\s)"  # a list item
    r"|\n(?=\|)|(?<=\|)\n"  # a table row (pipe table lines) stands alone
)
_HEADING_LINE = re.compile(r"^[^\n]{1,80}$", re.MULTILINE)
_MIN_SENTENCE_CHARS = 20


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage with absolute offsets into its document's text."""

    passage: Passage
    text: str
    start: int
    end: int

    def citation(self) -> Citation:
        anchor = Anchor(
            page=self.passage.anchor.page,
            section=self.passage.anchor.section,
            char_start=self.start,
            char_end=self.end,
        )
        return Citation(
            passage_id=self.passage.id,
            document_id=self.passage.document_id,
            document_name=self.passage.document_name,
            anchor=anchor,
            quote=self.text,
        )


def _breaks(text: str) -> list[tuple[int, int]]:
    """(start, end) of every separator between sentences, in order."""
    found = [(m.start(), m.end()) for m in _SENTENCE_END.finditer(text)]
    for line in _HEADING_LINE.finditer(text):
        # a short line without end punctuation followed by more text is a heading
        if line.end() < len(text) and line.group(0).rstrip()[-1:] not in ".!?;:,|":
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


def terms(text: str) -> list[str]:
    return query_terms(text)


def stem(word: str) -> str:
    """A crude stem so 'terminate', 'termination' and 'terminated' meet."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s", "ly", "e"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def stems(text: str) -> set[str]:
    return {stem(t) for t in terms(text)}


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
