"""Fixtures for the activity tests."""

from __future__ import annotations

import pytest

from activities.context import ToolContext, install
from models.settings import Settings


@pytest.fixture
def context(settings: Settings) -> ToolContext:
    """The tool context (settings + store) tools see, on the session's data directory."""
    return install(settings)
