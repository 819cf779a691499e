"""Follow-up questions in a session: "and what about the second contract?" is read against the
previous turn. The question inherits the previous question's subject, and an ordinal or a name
("the second contract", "Initech") narrows the documents."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models.documents import DocumentRef
from models.names import ALL_DOCUMENTS
from models.plan import Plan
from models.query import PriorTurn
from store.search import query_terms

_FOLLOW_UP_START = re.compile(
    r"^\s*(and|also|what about|how about|what of|same for|and what|and how|then|ok,? and)\b", re.I
)
_PRONOUN = re.compile(r"\b(it|its|they|them|their|that one|this one|those|these)\b", re.I)
_ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "last": -1,
    "other": -2,
}
_ORDINAL_REF = re.compile(
    r"\b("
    + "|".join(_ORDINALS)
    + r")\s+(?:one|document|doc|file|contract|agreement|report|notes?)\b",
    re.I,
)


@dataclass(frozen=True)
class FollowUp:
    query: str
    document_indexes: tuple[int, ...] | None
    note: str | None


def is_follow_up(query: str, history: Sequence[PriorTurn]) -> bool:
    if not history:
        return False
    if _FOLLOW_UP_START.search(query):
        return True
    return bool(_PRONOUN.search(query)) and len(query_terms(query)) <= 3


def _named_documents(query: str, documents: Sequence[DocumentRef]) -> list[int]:
    words = set(query_terms(query))
    found = []
    for index, doc in enumerate(documents):
        label = f"{doc.name} {doc.title or ''}".lower()
        label_words = set(re.findall(r"[a-z0-9]+", label))
        generic = {
            "contract",
            "agreement",
            "report",
            "notes",
            "document",
            "md",
            "txt",
            "pdf",
            "docx",
        }
        if words & (label_words - generic):
            found.append(index)
    return found


def resolve_follow_up(
    query: str, history: Sequence[PriorTurn], documents: Sequence[DocumentRef]
) -> FollowUp:
    """The question to plan for, and which documents it is about (None: all)."""
    if not is_follow_up(query, history):
        return FollowUp(query, None, None)
    previous = history[-1]
    indexes: tuple[int, ...] | None = None
    ordinal = _ORDINAL_REF.search(query)
    if ordinal and documents:
        position = _ORDINALS[ordinal.group(1).lower()]
        if position == -2 and previous.documents:
            others = [i for i, d in enumerate(documents) if d.name not in previous.documents]
            indexes = tuple(others) or None
        elif -len(documents) <= position < len(documents):
            indexes = (position % len(documents),)
    else:
        named = _named_documents(query, documents)
        if named and len(named) < len(documents):
            indexes = tuple(named)
    effective = f"{previous.question.rstrip('?. ')} — {query.strip()}"
    scope = "all documents" if indexes is None else ", ".join(documents[i].name for i in indexes)
    note = f"follow-up of {previous.question!r}; about {scope}"
    return FollowUp(effective, indexes, note)


def _remap(value: Any, indexes: tuple[int, ...]) -> Any:
    if isinstance(value, str) and value.startswith(ALL_DOCUMENTS):
        rest = value[len(ALL_DOCUMENTS) :]
        if not rest:
            return [f"{ALL_DOCUMENTS}.{i}" for i in indexes]
        position = int(rest.lstrip(".").split(".")[0])
        return f"{ALL_DOCUMENTS}.{indexes[position]}"
    if isinstance(value, dict):
        return {k: _remap(v, indexes) for k, v in value.items()}
    if isinstance(value, list | tuple):
        out: list[Any] = []
        for item in value:
            mapped = _remap(item, indexes)
            if isinstance(item, str) and item == ALL_DOCUMENTS:
                out.extend(mapped)
            else:
                out.append(mapped)
        return out
    return value


def narrow_plan(plan: Plan, indexes: tuple[int, ...]) -> Plan:
    """``plan`` (built over the chosen documents) with document references pointing at their
    positions in the query's full document list."""
    steps = tuple(s.model_copy(update={"params": _remap(s.params, indexes)}) for s in plan.steps)
    return plan.model_copy(update={"steps": steps})
