"""The extractive answer: quoting what supports the question, and an overview for questions
without content words (what the direct path gives "Summarize these")."""

from __future__ import annotations

from activities.tools.answer import OVERVIEW_CONFIDENCE, extractive_answer
from models.documents import Anchor, Passage


def _passage(doc: str, text: str, score: float) -> Passage:
    return Passage(
        id=f"{doc}:0",
        document_id=doc,
        document_name=f"{doc}.md",
        text=text,
        score=score,
        anchor=Anchor(char_start=100, char_end=100 + len(text)),
    )


PASSAGES = [
    _passage(
        "a", "Either party may terminate with 90 days written notice. Fees are due monthly.", 2.0
    ),
    _passage("b", "The report covers availability and cost. Availability was 99.7% in Q3.", 1.0),
]


def test_the_answer_quotes_the_supporting_sentence_with_exact_offsets() -> None:
    answer = extractive_answer("How much notice is needed to terminate?", PASSAGES)
    assert answer.citations[0].quote == "Either party may terminate with 90 days written notice."
    assert answer.citations[0].anchor.char_start == 100
    assert answer.confidence > 0.5


def test_nothing_relevant_says_so_with_zero_confidence() -> None:
    answer = extractive_answer("Which zebras migrate?", PASSAGES)
    assert answer.confidence == 0.0 and not answer.citations


def test_a_question_without_content_words_gets_an_overview_of_each_document() -> None:
    answer = extractive_answer("Summarize these documents", PASSAGES)
    assert answer.confidence == OVERVIEW_CONFIDENCE
    assert {c.document_id for c in answer.citations} == {"a", "b"}
