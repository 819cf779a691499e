"""Pydantic contracts shared by every room of docorch.

Nothing here imports from other rooms; everything here is plain JSON on the wire, so any Temporal
client (CLI, TypeScript, Go) can start a query and read its result.
"""

from models.documents import Anchor, Citation, DocumentRef, DocumentStatus, Passage
from models.events import EventKind, ProgressEvent
from models.plan import Plan, Predicate, PredicateOp, Step, StepPolicy
from models.query import (
    DocumentFailure,
    ExecutionSummary,
    QueryConfig,
    QueryRequest,
    QueryResult,
    QueryStatus,
    QueryType,
    Scheduling,
    StepResult,
    StepStatus,
    Strategy,
)
from models.tools import Reliability, ToolSpec

__all__ = [
    "Anchor",
    "Citation",
    "DocumentFailure",
    "DocumentRef",
    "DocumentStatus",
    "EventKind",
    "ExecutionSummary",
    "Passage",
    "Plan",
    "Predicate",
    "PredicateOp",
    "ProgressEvent",
    "QueryConfig",
    "QueryRequest",
    "QueryResult",
    "QueryStatus",
    "QueryType",
    "Reliability",
    "Scheduling",
    "Step",
    "StepPolicy",
    "StepResult",
    "StepStatus",
    "Strategy",
    "ToolSpec",
]
