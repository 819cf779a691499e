"""summarize_document: a summary that keeps the document's structure and cites it.

The extractive pass picks the key sentence per section. With an LLM configured the model then
writes the summary from the passages holding those sentences and each section's opening passage
(never the whole document), citing them (``activities.llm.grounded``); when it cannot, the
extractive summary stands.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from activities.context import current
from activities.llm.grounded import grounded_answer
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


async def summarize_document(
    document: DocumentRef, max_sentences: int = 5, focus: str | None = None
) -> DocumentSummary:
    """Summarise one document section by section, in document order, with citations.

    ``focus`` favours a topic. The confidence grows with the share of the document's sections
    the summary covers, out of as many as ``max_sentences`` sentences could cover.
    """
    extractive, shown = await asyncio.to_thread(_extractive_summary, document, max_sentences, focus)
    if not shown:
        return extractive
    task = f"Summarise the document {document.name!r} in at most {max_sentences} sentences"
    task += f", focusing on: {focus}" if focus else "."
    llm = await grounded_answer(task, shown, purpose="summary")
    if not (llm.accepted and llm.text is not None):
        note = llm.note if llm.usage is not None else None
        return extractive.model_copy(update={"usage": llm.usage, "note": note})
    covered = {p.anchor.section for p in llm.passages}
    return extractive.model_copy(
        update={
            "answer": llm.text,
            "citations": llm.citations,
            "passages": llm.passages,
            "sections_covered": len(covered),
            "confidence": _coverage(len(covered), extractive.sections_total, max_sentences),
            "usage": llm.usage,
            "note": llm.note,
        }
    )


def _coverage(covered: int, total: int, max_sentences: int) -> float:
    """0.5 + 0.5 × the sections covered, out of as many as ``max_sentences`` could cover."""
    reachable = max(1, min(total, max_sentences))
    return round(min(1.0, 0.5 + 0.5 * covered / reachable), 4)


def _extractive_summary(
    document: DocumentRef, max_sentences: int, focus: str | None
) -> tuple[DocumentSummary, list[Passage]]:
    """The extractive summary, and the passages an LLM summary may be written from: those
    holding the chosen sentences, then each section's first passage."""
    passages: list[Passage] = current().store.passages(document.id)
    all_sentences = [s for p in passages for s in sentences(p)]
    if not all_sentences:
        empty = DocumentSummary(
            document=document, label=document.name, answer="(no text to summarise)", confidence=0.0
        )
        return empty, []
    chosen = [all_sentences[i] for i in _pick(all_sentences, max_sentences, focus)]
    sections = {p.anchor.section for p in passages}
    covered = {s.passage.anchor.section for s in chosen}
    summary = DocumentSummary(
        document=document,
        label=document.name,
        answer=" ".join(s.text for s in chosen),
        citations=[s.citation() for s in chosen],
        passages=list({s.passage.id: s.passage for s in chosen}.values()),
        sections_covered=len(covered),
        sections_total=len(sections),
        confidence=_coverage(len(covered), len(sections), max_sentences),
    )
    openers = list({p.anchor.section: p for p in reversed(passages)}.values())[::-1]
    shown = list({p.id: p for p in [*summary.passages, *openers]}.values())
    return summary, shown
