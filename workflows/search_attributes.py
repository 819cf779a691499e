"""docorch's custom search attributes, upserted by QueryWorkflow so visibility can find and
summarise queries: QueryType (Keyword), Confidence (Double), SessionId (Keyword).

An upsert of an attribute the namespace does not have fails every workflow task of the query,
so upserts happen only on workers that ``enable`` them: the embedded runtime and ``docorch
worker`` do when the namespace has all three registered (the embedded dev server registers
them; on a cluster, ``temporal operator search-attribute create``). Every worker of a task queue
must agree, as for any workflow code. The upsert is also behind ``workflow.patched``, so
histories recorded before it replay unchanged.

The switch is this process's, set outside any workflow. The sandbox runs each workflow with
its own fresh import of this module, whose copy of the switch would always be off, so workflows
read the process's switch through the extern function ``SWITCH`` that the docorch plugin's
interceptor (``client.plugin``) hands to every workflow it runs.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

QUERY_TYPE = SearchAttributeKey.for_keyword("QueryType")
CONFIDENCE = SearchAttributeKey.for_float("Confidence")
SESSION_ID = SearchAttributeKey.for_keyword("SessionId")
KEYS = (QUERY_TYPE, CONFIDENCE, SESSION_ID)
PATCH_ID = "search-attributes"
SWITCH = "docorch_search_attributes_enabled"
"""Name of the extern function through which a workflow reads the process's switch."""

_enabled = False


def enable(on: bool = True) -> None:
    """Turn the upserts on (or off) for the workflows this process runs."""
    global _enabled
    _enabled = on


def enabled() -> bool:
    """Whether this process's workflows upsert the attributes (read outside workflows)."""
    return _enabled


def _switched_on() -> bool:
    switch = workflow.extern_functions().get(SWITCH)
    return bool(switch is not None and switch())


def record(*, query_type: str, confidence: float, session_id: str | None) -> None:
    """Upsert a finished query's attributes; a no-op where they are not enabled."""
    if not _switched_on() or not workflow.patched(PATCH_ID):
        return
    updates: list[SearchAttributeUpdate[Any]] = [
        QUERY_TYPE.value_set(query_type),
        CONFIDENCE.value_set(confidence),
    ]
    if session_id:
        updates.append(SESSION_ID.value_set(session_id))
    workflow.upsert_search_attributes(updates)
