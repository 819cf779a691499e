"""Answer selection that knows what is asked: the value kind a question wants, fields and table
rows as answers, values compared as values, and the two cases of issue 14 end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.context import ToolContext
from activities.tools.answer import extractive_answer
from activities.tools.question import read_question
from activities.tools.search import search_documents
from activities.tools.values import ValueKind
from models.documents import Anchor, Passage
from tests.activities.factories import assert_citations_exact, docx_bytes, ingest
from tests.conftest import WorkerFactory

REBUILD = "The old harbour bridge was rebuilt in 2019 for 3.2 million dollars."
QUARTERS = [
    ("Quarter", "Revenue"),
    ("Q1", "1.2 million"),
    ("Q2", "1.45 million"),
    ("Q3", "1.3 million"),
]


def _passage(
    text: str, *, doc: str = "d", name: str = "notes.md", section: str | None = None
) -> Passage:
    return Passage(
        id=f"{doc}:0",
        document_id=doc,
        document_name=name,
        text=text,
        anchor=Anchor(char_start=40, char_end=40 + len(text), section=section),
    )


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much did the rebuild cost?", ValueKind.AMOUNT),
        ("When was the bridge reopened?", ValueKind.DATE),
        ("Who wrote the proposal?", ValueKind.PERSON),
        ("How long is the notice period?", ValueKind.DURATION),
        ("What is the latest version of the library?", ValueKind.VERSION),
        ("Wie viele Tabellen gibt es?", ValueKind.NUMBER),
        ("Which table column records how often each ritual happens?", None),
    ],
)
def test_the_question_form_says_what_kind_of_value_is_asked_for(
    question: str, kind: ValueKind | None
) -> None:
    expects = read_question(question).expects
    assert (expects[0] if expects else None) is kind


def test_a_how_much_question_is_answered_by_the_sentence_holding_the_amount() -> None:
    answer = extractive_answer("How much did the rebuild cost?", [_passage(REBUILD)])
    assert answer.citations[0].quote == REBUILD
    assert answer.citations[0].anchor.char_start == 40
    assert "3.2 million dollars" in answer.answer and answer.confidence > 0.5


def test_a_date_question_prefers_the_sentence_with_a_date_over_more_shared_words() -> None:
    text = (
        "The bridge reopening was celebrated by the bridge committee and the bridge staff.\n\n"
        "The bridge was reopened on 14 March 2021 after the repairs."
    )
    answer = extractive_answer("When was the bridge reopened?", [_passage(text)])
    assert (
        answer.citations[0].quote == "The bridge was reopened on 14 March 2021 after the repairs."
    )


def test_versions_stay_whole_and_the_record_named_in_the_question_answers() -> None:
    text = (
        "releases:\n"
        '  - releaseCycle: "3.12"\n    latest: "3.12.14"\n'
        '  - releaseCycle: "3.11"\n    latest: "3.11.16"'
    )
    answer = extractive_answer(
        "What is the latest Python 3.12 release?", [_passage(text, name="python.md")]
    )
    assert answer.citations[0].quote == 'latest: "3.12.14"'
    assert answer.answer.splitlines()[0].startswith('releaseCycle: "3.12"')


def test_header_fields_are_answers_and_their_dates_compare_as_dates() -> None:
    text = (
        "Author: Dana Whitfield\nCreated: 2023-09-01\nResolution: 24-Oct-2023\n\n"
        "The proposal adds a fee."
    )
    by_field = extractive_answer("Who wrote the proposal?", [_passage(text)])
    assert by_field.citations[0].quote == "Author: Dana Whitfield"
    by_value = extractive_answer("What was decided on 2023-10-24?", [_passage(text)])
    assert by_value.citations[0].quote == "Resolution: 24-Oct-2023"


def test_a_table_row_answers_with_its_header_and_is_cited_as_written() -> None:
    table = "| Quarter | Revenue |\n| --- | --- |\n| Q1 | 1.2 million |\n| Q2 | 1.45 million |"
    answer = extractive_answer("What was the revenue in Q2?", [_passage(table)])
    assert answer.citations[0].quote == "| Q2 | 1.45 million |"
    assert answer.answer.splitlines()[0] == "Q2: 1.45 million [1]"


def test_a_list_item_answers_through_the_sentence_that_introduces_it() -> None:
    text = (
        "On an occasional basis, the following may be given to an official superior:\n\n"
        "(1) Items, other than cash, with a market value of $10 or less per occasion;\n\n"
        "(2) Items such as food to be shared in the office."
    )
    answer = extractive_answer(
        "What may an employee give a superior on an occasional basis?", [_passage(text)]
    )
    assert "$10 or less" in answer.citations[0].quote


def test_an_answer_that_only_guesses_by_value_kind_has_low_confidence() -> None:
    answer = extractive_answer(
        "How much did the harbour cost?", [_passage("Tickets were sold for 12 dollars.")]
    )
    assert answer.confidence <= 0.3


def test_search_reads_a_one_sentence_document_whole_when_no_word_matches(
    context: ToolContext, docs_dir: Path
) -> None:
    ref = ingest(context, docs_dir, "harbour_bridge.txt", REBUILD)
    found = search_documents("What did the renovation cost?", [ref])
    assert [p.text for p in found.passages] == [REBUILD]


def test_the_docx_revenue_table_answers_q2_with_the_q2_row(
    context: ToolContext, docs_dir: Path
) -> None:
    data = docx_bytes([("h1", "Results"), ("p", "Revenue by quarter."), ("table", QUARTERS)])
    ref = ingest(context, docs_dir, "quarterly_results.docx", data)
    found = search_documents("What was the revenue in Q2?", [ref])
    answer = extractive_answer("What was the revenue in Q2?", found.passages)
    assert answer.citations[0].quote == "| Q2 | 1.45 million |"
    assert answer.answer.splitlines()[0] == "Q2: 1.45 million [1]"
    assert_citations_exact(context, answer.citations)


@pytest.mark.integration
async def test_the_rebuild_cost_is_answered_end_to_end_with_its_sentence_cited(
    run_worker: WorkerFactory, docs_dir: Path
) -> None:
    path = docs_dir / "bridge_history.txt"
    path.write_text(REBUILD, encoding="utf-8")
    async with run_worker() as sdk:
        result = await sdk.run("How much did the rebuild cost?", [str(path)])
    assert "3.2 million dollars" in result.answer
    assert result.citations[0].quote == REBUILD
    assert result.orchestrator_version == "2.0"  # answered by the plan, not the fallback


@pytest.mark.integration
async def test_the_revenue_in_q2_is_answered_end_to_end_with_the_q2_row_cited(
    run_worker: WorkerFactory, docs_dir: Path
) -> None:
    path = docs_dir / "revenue_report.docx"
    path.write_bytes(docx_bytes([("h1", "Revenue"), ("table", QUARTERS)]))
    async with run_worker() as sdk:
        result = await sdk.run("What was the revenue in Q2?", [str(path)])
    assert result.answer.splitlines()[0] == "Q2: 1.45 million [1]"
    assert result.citations[0].quote == "| Q2 | 1.45 million |"
    assert result.confidence_score >= 0.8
