"""Aligning two documents: sections by heading (then by content), sentences by their words.

Pure functions over stored text; ``compare_documents`` diffs what is aligned here. Candidate
pairs come from an index of each side's rarest words, so the work stays near-linear in the
length of the documents rather than the product of their section or sentence counts.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from activities.tools.anchoring import DocumentText
from activities.tools.text import Sentence, stems

HEADING_MATCH = 0.5
"""Minimum heading similarity for two sections to be aligned."""
CONTENT_MATCH = 0.5
"""Minimum word overlap for leftover sections (renamed headings) to be aligned by content."""
SENTENCE_MATCH = 0.45
"""Minimum word overlap (Jaccard, numbers ignored) for two sentences to be the same clause."""
RAREST_KEYS = 8
"""Candidate pairs are found through this many of an item's rarest words."""

_NUMBERING = re.compile(
    r"^\s*(?:§|section|article|clause|part|chapter)?\s*[\dIVXivx]+(?:\.\d+)*[.):]?\s+",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]{2,}")
_EMAIL_OR_LINK = re.compile(r"\S+@\S+|https?://\S+")


@dataclass
class Section:
    """A run of chunks under one heading path, with its sentences."""

    label: str
    title: str
    start: int
    end: int
    sentences: list[Sentence]


# ---- sections ---------------------------------------------------------------------------------


def document_sections(doc: DocumentText) -> list[Section]:
    """Consecutive chunks with the same heading path, as sections with their sentences."""
    sections: list[Section] = []
    for passage in doc.passages:
        label = passage.anchor.section or ""
        if sections and sections[-1].label == label:
            sections[-1].end = passage.anchor.char_end
        else:
            title = label.split(" > ")[-1] if label else ""
            sections.append(
                Section(label, title, passage.anchor.char_start, passage.anchor.char_end, [])
            )
    starts = [section.start for section in sections]
    for sentence in doc.sentences:
        index = bisect.bisect_right(starts, sentence.start) - 1
        if index >= 0 and sentence.start < sections[index].end:
            sections[index].sentences.append(sentence)
    return sections


def _normal_title(title: str) -> str:
    return " ".join(_WORD.findall(_NUMBERING.sub("", title).lower()))


def heading_similarity(a: str, b: str) -> float:
    """How alike two headings are, numbering ignored: the better of character and word overlap."""
    na, nb = _normal_title(a), _normal_title(b)
    if not na and not nb:
        return 1.0 if a.strip() == b.strip() else 0.0
    ratio = difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio()
    sa, sb = stems(na), stems(nb)
    jaccard = len(sa & sb) / len(sa | sb) if sa | sb else 0.0
    return max(ratio, jaccard)


def _words(text: str) -> set[str]:
    """Lower-cased words, numbers, emails and links left out: what a clause is about."""
    return {w.lower() for w in _WORD.findall(_EMAIL_OR_LINK.sub(" ", text))}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def section_words(doc: DocumentText, section: Section) -> set[str]:
    return _words(doc.text[section.start : section.end])


def candidates(
    keys_x: Sequence[set[str]], keys_y: Sequence[set[str]], *, limit: int = 20
) -> list[list[int]]:
    """For each x, the indexes of the ys sharing most of x's rarest keys (at most ``limit``).

    Only keys that are not everywhere are followed, so the work stays near-linear however long
    the documents are.
    """
    index: dict[str, list[int]] = {}
    for j, keys in enumerate(keys_y):
        for key in keys:
            index.setdefault(key, []).append(j)
    common = max(200, len(keys_y) // 10)
    found: list[list[int]] = []
    for keys in keys_x:
        usable = sorted((k for k in keys if k in index), key=lambda k: len(index[k]))
        rare = [k for k in usable[:RAREST_KEYS] if len(index[k]) <= common] or usable[:1]
        shared = Counter(j for key in rare for j in index[key][:common])
        found.append([j for j, _ in shared.most_common(limit)])
    return found


def _greedy(
    scored: list[tuple[float, float, int, int]],
    minimum: float,
    pairs: dict[int, tuple[int, float]],
    taken: set[int],
) -> None:
    for _, similarity, i, j in sorted(scored, reverse=True):
        if similarity >= minimum and i not in pairs and j not in taken:
            pairs[i] = (j, similarity)
            taken.add(j)


def align_sections(
    a: DocumentText, sa: list[Section], b: DocumentText, sb: list[Section]
) -> tuple[list[tuple[int, int, float]], list[int], list[int]]:
    """(index in A, index in B, similarity) pairs in A's order, and the unaligned indexes.

    Same headings (numbering ignored) pair in order; then similar headings; then sections whose
    text is mostly the same (a renamed heading).
    """
    pairs: dict[int, tuple[int, float]] = {}
    taken: set[int] = set()
    titles_a = [_normal_title(x.title) for x in sa]
    titles_b = [_normal_title(y.title) for y in sb]
    by_title: dict[str, list[int]] = {}
    for j, title in enumerate(titles_b):
        by_title.setdefault(title, []).append(j)
    for i, title in enumerate(titles_a):
        same = by_title.get(title)
        if same and (title or sa[i].title.strip() == sb[same[0]].title.strip()):
            j = same.pop(0)
            pairs[i] = (j, 1.0)
            taken.add(j)

    def position(i: int, j: int) -> float:
        return 0.05 * (1 - abs(i / max(1, len(sa)) - j / max(1, len(sb))))

    left_a = [i for i in range(len(sa)) if i not in pairs]
    left_b = [j for j in range(len(sb)) if j not in taken]
    heading_candidates = candidates(
        [stems(titles_a[i]) for i in left_a], [stems(titles_b[j]) for j in left_b]
    )
    scored = []
    for i, found in zip(left_a, heading_candidates, strict=True):
        for j in (left_b[k] for k in found):
            similarity = heading_similarity(sa[i].title, sb[j].title)
            scored.append((similarity + position(i, j), similarity, i, j))
    _greedy(scored, HEADING_MATCH, pairs, taken)

    left_a = [i for i in range(len(sa)) if i not in pairs]
    left_b = [j for j in range(len(sb)) if j not in taken]
    words_a = [section_words(a, sa[i]) for i in left_a]
    words_b = [section_words(b, sb[j]) for j in left_b]
    scored = []
    for x, found in enumerate(candidates(words_a, words_b)):
        for y in found:
            overlap = _jaccard(words_a[x], words_b[y])
            scored.append(
                (
                    overlap + position(left_a[x], left_b[y]),
                    round(overlap * 0.8, 4),
                    left_a[x],
                    left_b[y],
                )
            )
    _greedy(scored, CONTENT_MATCH * 0.8, pairs, taken)

    aligned = [(i, j, s) for i, (j, s) in sorted(pairs.items())]
    return (
        aligned,
        [i for i in range(len(sa)) if i not in pairs],
        [j for j in range(len(sb)) if j not in taken],
    )


# ---- sentences ----------------------------------------------------------------------------------


def pair_sentences(xs: list[Sentence], ys: list[Sentence]) -> list[tuple[Sentence, Sentence]]:
    """One-to-one pairs of sentences about the same thing (word overlap, numbers ignored)."""
    words_x = [_words(x.text) for x in xs]
    words_y = [_words(y.text) for y in ys]
    scored: list[tuple[float, int, int]] = []
    for i, (x, found) in enumerate(zip(xs, candidates(words_x, words_y), strict=True)):
        for j in found:
            similarity = _jaccard(words_x[i], words_y[j])
            if x.text == ys[j].text:
                similarity = 2.0
            if similarity >= SENTENCE_MATCH:
                scored.append((similarity, i, j))
    used_x: set[int] = set()
    used_y: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, i, j in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if i not in used_x and j not in used_y:
            used_x.add(i)
            used_y.add(j)
            pairs.append((i, j))
    return [(xs[i], ys[j]) for i, j in sorted(pairs)]
