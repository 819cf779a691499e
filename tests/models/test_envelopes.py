"""What crosses Temporal typed: a tool call's result, the views of an output the workflow reads,
and event data (only what an event sets goes on the wire)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.events import EventData, EventKind, EventsAfter, ProgressEvent
from models.query import QueryRequest
from models.session import DocumentsChange, TurnRef
from models.tools import AnswerOutput, ToolCallResult, signals_of
from models.usage import LlmUsage

USAGE = {"calls": 1, "prompt_tokens": 10, "completion_tokens": 5}


def test_a_result_carries_the_outputs_signals_as_fields() -> None:
    result = ToolCallResult(output={"answer": "x"}, confidence=0.5, usage=LlmUsage(calls=2))
    assert result.confidence == 0.5 and result.usage == LlmUsage(calls=2)
    assert ToolCallResult.model_validate_json(result.model_dump_json()) == result


def test_a_result_recorded_before_the_signals_were_fields_reads_them_from_its_output() -> None:
    older = {"output": {"confidence": 0.4, "usage": USAGE, "answer": "x"}, "attempt": 2}
    result = ToolCallResult.model_validate(older)
    assert result.confidence == 0.4 and result.usage == LlmUsage.model_validate(USAGE)
    assert result.attempt == 2 and result.output == older["output"]
    # a newer result says what it says, even when its output says otherwise
    newer = ToolCallResult.model_validate({**older, "confidence": None})
    assert newer.confidence is None and newer.usage is None


def test_signals_of_outputs_that_have_none_or_malformed_ones() -> None:
    assert signals_of(["a list"]).confidence is None
    assert signals_of({"other": 1}).usage is None
    with pytest.raises(ValidationError):
        signals_of({"confidence": "high"})


def test_an_output_reads_as_an_answer_only_when_it_has_that_shape() -> None:
    assert AnswerOutput.of("text") is None
    assert AnswerOutput.of({"citations": [{"bad": 1}]}) is None
    plain = AnswerOutput.of({"count": 3})
    assert plain is not None and plain.answer is None and plain.passages == []
    answered = AnswerOutput.of({"answer": "yes", "extra": 1})
    assert answered is not None and answered.answer == "yes"


def test_event_data_leaves_unset_fields_off_the_wire() -> None:
    event = ProgressEvent(
        offset=0, kind=EventKind.STEP_COMPLETED, at="t", data=EventData(confidence=0.5, attempts=1)
    )
    assert event.model_dump(mode="json")["data"] == {"confidence": 0.5, "attempts": 1}
    assert ProgressEvent.model_validate_json(event.model_dump_json()) == event
    with pytest.raises(ValidationError):
        EventData.model_validate({"confidnce": 0.5})


def test_errors_about_one_document_do_not_end_the_stream() -> None:
    def error(**data: object) -> ProgressEvent:
        return ProgressEvent(offset=0, kind=EventKind.ERROR, at="t", data=EventData(**data))

    assert error().is_final and error(fatal=True).is_final
    assert not error(fatal=False).is_final


def test_a_given_plan_is_validated_with_the_request() -> None:
    with pytest.raises(ValidationError, match="answer_step"):
        QueryRequest(
            query="q",
            documents=("a.md",),
            plan={"query": "q", "query_type": "qa", "steps": [], "answer_step": 3},
        )


def test_update_and_query_inputs_also_read_the_bare_values_earlier_clients_sent() -> None:
    assert EventsAfter.model_validate(4) == EventsAfter(offset=4)
    assert EventsAfter.model_validate_json("-1") == EventsAfter()
    assert TurnRef.model_validate("s-turn-1") == TurnRef(query_workflow_id="s-turn-1")
    assert DocumentsChange.model_validate(["a.md"]) == DocumentsChange(documents=("a.md",))
    with pytest.raises(ValidationError):
        EventsAfter.model_validate(-2)
