"""The SDK's tests run with docorch's search attributes on (the dev server registers them)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _search_attributes(search_attributes_enabled: bool) -> None:
    """Queries upsert QueryType, Confidence and SessionId."""
