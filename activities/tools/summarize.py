"""summarize_document: an extractive summary that keeps the document's structure."""

from __future__ import annotations

from collections import Counter

from activities.context import current
from activities.tools.results import DocumentSummary
from activities.tools.text import Sentence, sentences, stems
from models.documents import DocumentRef, Passage


def _centrality(all_sentences: list[Sentence]) -> dict[int, float]:
    """Score each sentence by how typical its words are of the whole document."""
    frequency: Counter[str] = Counter()
    for sentence in all_sentences:
        frequency.update(stems(sentence.text))
    scores: dict[int, float] = {}
    for index, sentence in enumerate(all_sentences):
        words = stems(sentence.text)
        if words:
            scores[index] = sum(frequency[w] for w in words) / (len(words) ** 0.5 * 3 + 1)
    return scores


def _pick(all_sentences: list[Sentence], max_sentences: int, focus: str | None) -> list[int]:
    scores = _centrality(all_sentences)
    if focus:
        wanted = stems(focus)
        for index, sentence in enumerate(all_sentences):
            if index in scores and wanted & stems(sentence.text):
                scores[index] *= 3
    best_per_section: dict[str | None, int] = {}
    for index in scores:
        section = all_sentences[index].passage.anchor.section
        if section not in best_per_section or scores[index] > scores[best_per_section[section]]:
            best_per_section[section] = index
    chosen = sorted(best_per_section.values(), key=lambda i: -scores[i])[:max_sentences]
    if len(chosen) < max_sentences:
        rest = sorted((i for i in scores if i not in chosen), key=lambda i: -scores[i])
        chosen += rest[: max_sentences - len(chosen)]
    return sorted(chosen)


def summarize_document(
    document: DocumentRef, max_sentences: int = 5, focus: str | None = None
) -> DocumentSummary:
    """Summarise one document: its key sentence per section, in document order, with citations.

    ``focus`` favours sentences about a topic. The confidence is the share of the document's
    sections the summary covers.
    """
    passages: list[Passage] = current().store.passages(document.id)
    all_sentences = [s for p in passages for s in sentences(p)]
    if not all_sentences:
        return DocumentSummary(
            document=document, label=document.name, answer="(no text to summarise)", confidence=0.0
        )
    chosen = [all_sentences[i] for i in _pick(all_sentences, max_sentences, focus)]
    sections = {p.anchor.section for p in passages}
    covered = {s.passage.anchor.section for s in chosen}
    return DocumentSummary(
        document=document,
        label=document.name,
        answer=" ".join(s.text for s in chosen),
        citations=[s.citation() for s in chosen],
        passages=list({s.passage.id: s.passage for s in chosen}.values()),
        sections_covered=len(covered),
        sections_total=len(sections),
        confidence=round(min(1.0, 0.5 + 0.5 * len(covered) / max(1, len(sections))), 4),
    )
