"""Turning step outputs into the final answer, and the partial answer when time runs out or the
query is cancelled. Pure: no activities, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.documents import Citation

MAX_PARTIAL_PARTS = 5


def citations_of(output: Mapping[str, Any]) -> list[Citation]:
    return [Citation.model_validate(c) for c in output.get("citations", [])]


def partial_answer(outputs: Mapping[str, Any], order: list[str]) -> tuple[str, list[Citation]]:
    """What the finished steps already say: their answers, else their best passages, quoted."""
    texts: list[str] = []
    citations: list[Citation] = []
    for step_id in order:
        output = outputs.get(step_id)
        if not isinstance(output, Mapping):
            continue
        if output.get("answer"):
            texts.append(str(output["answer"]))
            citations += citations_of(output)
        elif output.get("passages"):
            best = output["passages"][0]
            texts.append(f"\u201c{best['text'][:300]}\u201d ({best['document_name']})")
        if len(texts) >= MAX_PARTIAL_PARTS:
            break
    if not texts:
        return "No step finished before the query stopped, so there is no answer yet.", []
    return "Partial answer (not every step finished):\n\n" + "\n\n".join(texts), citations
