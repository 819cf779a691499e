"""answer_question and compose_answers: answers that cite what they rest on.

answer_question asks the configured LLM (``activities.llm.grounded``: only the given passages,
every citation checked) and otherwise, or when that fails, quotes the best sentences.
"""

from __future__ import annotations

from activities.llm.grounded import grounded_answer
from activities.tools.answer_support import (
    answer_confidence,
    choose,
    document_titles,
    table_headers,
)
from activities.tools.question import read_question
from activities.tools.ranking import rank_units
from activities.tools.results import Answer, AnswerPart
from activities.tools.text import Sentence, sentences, stems
from activities.tools.units import passage_units
from models.documents import Citation, Passage


async def answer_question(question: str, passages: list[Passage], max_sentences: int = 3) -> Answer:
    """Answer a question from retrieved passages, citing the passages the answer rests on.

    With an LLM configured the model writes the answer from these passages only, and its
    citations are checked; otherwise (or when the model's answer is unusable, or the query's
    LLM budget is spent) the answer quotes the sentences that best support it.
    """
    unique = list({p.id: p for p in passages}.values())
    llm = await grounded_answer(question, unique, purpose="answer")
    if llm.accepted and llm.text is not None:
        return Answer(
            answer=llm.text,
            citations=llm.citations,
            confidence=llm.confidence,
            passages=llm.passages,
            usage=llm.usage,
            note=llm.note,
        )
    extractive = extractive_answer(question, unique, max_sentences)
    note = llm.note if llm.usage is not None else None  # no note when no LLM is configured
    return extractive.model_copy(update={"usage": llm.usage, "note": note})


def extractive_answer(question: str, passages: list[Passage], max_sentences: int = 3) -> Answer:
    """Answer by quoting what in ``passages`` best answers the question: sentences, fields,
    table rows (shown with their header, cited as written) or headings.

    What the question asks for decides (``activities.tools.ranking``): a "when" question
    prefers a unit holding a date, "who wrote" an ``author`` field, "the revenue in Q2" the Q2
    row of a table headed Revenue. The confidence says how well the best unit answers (see
    ``answer_confidence``). With nothing relevant the answer says so, with confidence 0; a
    question with no content words gets an overview instead.
    """
    unique = list({p.id: p for p in passages}.values())
    if not stems(question) and unique:
        return _overview(unique, max_sentences)
    intent = read_question(question)
    lookup = table_headers()
    units = [u for p in unique for u in passage_units(p, lookup)]
    best_passage = max((p.score for p in unique), default=0.0) or 1.0
    retrieval = {p.id: max(0.0, p.score) / best_passage for p in unique}
    titles = document_titles({p.document_id for p in unique})
    ranked = rank_units(intent, units, retrieval, titles)
    if not ranked:
        return Answer(
            answer=f"The documents contain nothing that answers: {question}",
            confidence=0.0,
        )
    chosen = choose(ranked, max_sentences, typed=intent.typed, several=intent.several)
    lines = [f"{r.unit.shown} [{i}]" for i, r in enumerate(chosen, start=1)]
    return Answer(
        answer="\n".join(lines),
        citations=[r.unit.citation() for r in chosen],
        confidence=answer_confidence(ranked),
        passages=list({r.unit.passage.id: r.unit.passage for r in chosen}.values()),
    )


OVERVIEW_CONFIDENCE = 0.4


def _overview(passages: list[Passage], max_sentences: int) -> Answer:
    """For a question with no content words ("Summarize these"): the opening sentence of each
    of the best passages, one document after another, with a modest confidence."""
    chosen: list[Sentence] = []
    seen_documents: set[str] = set()
    for passage in sorted(passages, key=lambda p: -p.score):
        if len(chosen) >= max(max_sentences, 3):
            break
        first = next(iter(sentences(passage)), None)
        if first is not None and (passage.document_id not in seen_documents or len(passages) < 3):
            chosen.append(first)
            seen_documents.add(passage.document_id)
    if not chosen:
        return Answer(answer="The documents have no text to draw on.", confidence=0.0)
    return Answer(
        answer="\n".join(f"{s.text} [{i}]" for i, s in enumerate(chosen, start=1)),
        citations=[s.citation() for s in chosen],
        confidence=OVERVIEW_CONFIDENCE,
        passages=[s.passage for s in chosen],
    )


def compose_answers(question: str, parts: list[AnswerPart]) -> Answer:
    """Combine partial answers (per-document summaries, comparisons, extractions) into one answer,
    a paragraph per part, keeping every citation."""
    parts = [p for p in parts if p.answer.strip()]
    if not parts:
        return Answer(answer=f"Nothing could be found for: {question}", confidence=0.0)
    paragraphs: list[str] = []
    citations: list[Citation] = []
    for part in parts:
        start = len(citations) + 1
        marks = "".join(f"[{start + i}]" for i in range(len(part.citations)))
        heading = f"{part.label}: " if part.label else ""
        paragraphs.append(f"{heading}{part.answer} {marks}".strip())
        citations.extend(part.citations)
    confidence = sum(p.confidence for p in parts) / len(parts)
    return Answer(
        answer="\n\n".join(paragraphs),
        citations=citations,
        confidence=round(confidence, 4),
        passages=[p for part in parts for p in part.passages],
    )
