"""One plan template per query type. Templates only name tools the registry has, and the
strategy changes the shape: SIMPLE works over all documents at once, PARALLEL fans out per
document, COMPREHENSIVE runs every analysis tool per document.

Documents are referenced as ``$input.documents`` (all) or ``$input.documents.<i>`` (one), so the
plan itself never carries document data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from activities.planning.classify import Classification
from models.documents import DocumentRef
from models.names import ALL_DOCUMENTS, ANSWER_TOOL, SEARCH_TOOL
from models.plan import Plan, Predicate, PredicateOp, Step
from models.query import QueryConfig, QueryType, Strategy

MAX_FANOUT = 12
"""Beyond this many documents, per-document fan-out gives way to steps over all documents."""


def one_document(index: int) -> str:
    return f"$input.documents.{index}"


@dataclass
class PlanBuilder:
    """Collects steps with readable, unique ids (search_1, summarize_2, ...)."""

    available: frozenset[str]
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def has(self, tool: str) -> bool:
        return tool in self.available

    def add(self, tool: str, params: dict[str, Any], description: str, **options: Any) -> str:
        number = 1 + sum(1 for s in self.steps if s.tool == tool)
        step_id = f"{tool.split('_')[0]}_{number}"
        self.steps.append(
            Step(id=step_id, tool=tool, params=params, description=description, **options)
        )
        return step_id


def _broadening_search(
    b: PlanBuilder, query: str, documents: str | list[str], top_k: int, label: str
) -> str:
    """A search that retries with a broader match while it finds fewer than 2 passages."""
    return b.add(
        SEARCH_TOOL,
        {"query": query, "documents": documents, "top_k": top_k, "broaden": "$iteration"},
        f"Search {label} for passages about the question (broadened if too few are found)",
        repeat_until=Predicate(ref="$self.sufficient", op=PredicateOp.EQ, value=True),
        max_iterations=3,
    )


def _searches(
    b: PlanBuilder, query: str, docs: Sequence[DocumentRef], config: QueryConfig
) -> list[str]:
    fan_out = (
        config.strategy in (Strategy.PARALLEL, Strategy.COMPREHENSIVE)
        and 1 < len(docs) <= MAX_FANOUT
    )
    if not fan_out:
        return [_broadening_search(b, query, ALL_DOCUMENTS, config.top_k, "all documents")]
    per_doc = max(2, config.top_k // 2 + 1)
    return [
        _broadening_search(b, query, [one_document(i)], per_doc, doc.name)
        for i, doc in enumerate(docs)
    ]


def _answer_from(b: PlanBuilder, query: str, sources: list[str], description: str) -> str:
    return b.add(
        ANSWER_TOOL,
        {"question": query, "passages": [f"${s}.passages" for s in sources]},
        description,
    )


def _qa(b: PlanBuilder, query: str, docs: Sequence[DocumentRef], config: QueryConfig) -> str:
    searches = _searches(b, query, docs, config)
    return _answer_from(b, query, searches, "Answer from the best supporting sentences")


def _per_document(
    b: PlanBuilder, tool: str, docs: Sequence[DocumentRef], params: dict[str, Any], verb: str
) -> list[str]:
    return [
        b.add(tool, {"document": one_document(i), **params}, f"{verb} {doc.name}")
        for i, doc in enumerate(docs[:MAX_FANOUT])
    ]


def _compose(b: PlanBuilder, query: str, parts: list[str], description: str) -> str:
    if len(parts) == 1:
        return parts[0]
    return b.add(
        "compose_answers", {"question": query, "parts": [f"${p}" for p in parts]}, description
    )


def _summary(b: PlanBuilder, query: str, docs: Sequence[DocumentRef], config: QueryConfig) -> str:
    if not b.has("summarize_document"):
        return _qa(b, query, docs, config)
    if len(docs) > MAX_FANOUT:
        b.notes.append(f"{len(docs)} documents: summarising the first {MAX_FANOUT}")
    sentences = 5 if len(docs) == 1 else 3
    parts = _per_document(b, "summarize_document", docs, {"max_sentences": sentences}, "Summarise")
    return _compose(b, query, parts, "Combine the per-document summaries")


def _comparison(
    b: PlanBuilder, query: str, docs: Sequence[DocumentRef], config: QueryConfig
) -> str:
    if len(docs) < 2 or not b.has("compare_documents"):
        if len(docs) < 2:
            b.notes.append("a comparison needs two documents; answering from one")
        return _qa(b, query, docs, config)
    parts = [
        b.add(
            "compare_documents",
            {"document_a": one_document(0), "document_b": one_document(i), "focus": query},
            f"Compare {docs[0].name} with {docs[i].name}",
        )
        for i in range(1, min(len(docs), MAX_FANOUT))
    ]
    return _compose(b, query, parts, "Combine the pairwise comparisons")


def _extraction(
    b: PlanBuilder, query: str, docs: Sequence[DocumentRef], config: QueryConfig
) -> str:
    wants_tables = "table" in query.lower()
    tool = "extract_tables" if wants_tables else "extract_entities"
    if not b.has(tool):
        return _qa(b, query, docs, config)
    params: dict[str, Any] = {} if wants_tables else {"query": query}
    parts = _per_document(b, tool, docs, params, "Extract from")
    return _compose(b, query, parts, "Combine what was extracted from each document")


def _analysis(b: PlanBuilder, query: str, docs: Sequence[DocumentRef], config: QueryConfig) -> str:
    searches = _searches(b, query, docs, config)
    findings = _answer_from(b, query, searches, "Answer the question from the retrieved passages")
    parts = [findings]
    if b.has("summarize_document") and config.strategy is Strategy.COMPREHENSIVE:
        parts += _per_document(
            b, "summarize_document", docs, {"focus": query, "max_sentences": 3}, "Summarise"
        )
    if b.has("extract_entities") and config.strategy is Strategy.COMPREHENSIVE:
        parts += _per_document(
            b, "extract_entities", docs, {"query": query}, "Extract entities from"
        )
    return _compose(b, query, parts, "Combine findings into the analysis")


_TEMPLATES = {
    QueryType.QA: _qa,
    QueryType.SEARCH: _qa,
    QueryType.SUMMARY: _summary,
    QueryType.COMPARISON: _comparison,
    QueryType.EXTRACTION: _extraction,
    QueryType.ANALYSIS: _analysis,
}


def template_plan(
    query: str,
    documents: Sequence[DocumentRef],
    config: QueryConfig,
    classification: Classification,
    available_tools: frozenset[str],
) -> Plan:
    """The template plan for the classified query, using only ``available_tools``.

    ADAPTIVE is shaped like PARALLEL here: it reaches the templates when the query fits one
    well, or when no LLM is configured.
    """
    if config.strategy is Strategy.ADAPTIVE:
        config = config.model_copy(update={"strategy": Strategy.PARALLEL})
    builder = PlanBuilder(available=available_tools)
    answer_step = _TEMPLATES[classification.query_type](builder, query, documents, config)
    matched = ", ".join(repr(m) for m in classification.matched) or "no keyword; a question"
    reasoning = (
        f"Classified as {classification.query_type.value} ({matched}; confidence "
        f"{classification.confidence:.2f}); {config.strategy.value} template over "
        f"{len(documents)} document(s)."
    )
    if builder.notes:
        reasoning += " " + "; ".join(builder.notes) + "."
    return Plan(
        query=query,
        query_type=classification.query_type,
        strategy=config.strategy,
        steps=tuple(builder.steps),
        answer_step=answer_step,
        reasoning=reasoning,
        source="template",
    )


def direct_plan(query: str, config: QueryConfig, *, prefix: str = "direct") -> Plan:
    """The direct path (search + answer over all documents): the degraded fallback."""
    steps = (
        Step(
            id=f"{prefix}_search",
            tool=SEARCH_TOOL,
            params={
                "query": query,
                "documents": ALL_DOCUMENTS,
                "top_k": config.top_k,
                "broaden": 2,
            },
            description="Direct path: search all documents",
        ),
        Step(
            id=f"{prefix}_answer",
            tool=ANSWER_TOOL,
            params={"question": query, "passages": f"${prefix}_search.passages"},
            description="Direct path: answer from the passages found",
        ),
    )
    return Plan(
        query=query,
        query_type=QueryType.QA,
        strategy=Strategy.SIMPLE,
        steps=steps,
        answer_step=f"{prefix}_answer",
        reasoning="Direct path: search every document and answer from what is found.",
        source="direct",
    )
