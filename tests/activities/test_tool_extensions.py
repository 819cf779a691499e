"""Your own tools on the worker: DOCORCH_TOOLS / ``docorch worker --tools`` name
``module:function`` extensions that register tools after the built-in ones; one that cannot be
loaded or fails says which and why."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from activities.tools.catalog import ToolExtensionError, default_registry, registry_with
from models.settings import Settings


def test_an_extension_adds_its_tools_to_the_built_in_ones() -> None:
    registry = registry_with(["tests.extension_tools:register"])
    assert set(registry.names()) == {*default_registry().names(), "count_words"}
    spec = next(s for s in registry.catalog() if s.name == "count_words")
    assert spec.description == "Count the words of each document, from the text the store holds."
    assert spec.parameters["properties"]["documents"]["type"] == "array"
    assert registry_with([]).names() == default_registry().names()


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("tests.no_such_module:register", "No module named 'tests.no_such_module'"),
        ("tests.extension_tools:missing", "has no attribute 'missing'"),
        ("tests.extension_tools:NOT_A_FUNCTION", "not a function"),
        (
            "tests.extension_tools:broken",
            "failed: RuntimeError: the licence server for these tools is unreachable",
        ),
    ],
)
def test_an_extension_that_fails_is_named_with_the_reason(entry: str, said: str) -> None:
    with pytest.raises(ToolExtensionError) as raised:
        registry_with([entry])
    assert str(raised.value).startswith(f"tool extension {entry}")
    assert said in str(raised.value)


def test_the_same_extension_listed_twice_is_loaded_once() -> None:
    """DOCORCH_TOOLS and ``--tools`` naming the same extension: its tools, once (registering
    them twice failed as a duplicate of themselves)."""
    registry = registry_with(["tests.extension_tools:register", "tests.extension_tools:register"])
    assert registry.names().count("count_words") == 1


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        (
            "tests.careless_tools:register_shadowing_search",
            "tool 'search_documents' is already registered; register yours under another name "
            "(register_function(..., name=...))",
        ),
        (
            "tests.careless_tools:register_shadowing_planner",
            "tool 'plan_query': the name of one of docorch's own activities",
        ),
        (
            "tests.careless_tools:register_opaque",
            "tool opaque: its parameters and result must be JSON types or pydantic models",
        ),
        (
            "tests.careless_import:register",
            "cannot import tests.careless_import: RuntimeError: MYTOOLS_ENDPOINT is not set",
        ),
        ("tests.careless_tools:exit_while_registering", "failed: SystemExit: no licence"),
    ],
)
def test_a_careless_extension_is_refused_in_one_line_saying_why(entry: str, said: str) -> None:
    """A tool named like a built-in (or like plan_query, which made the Worker refuse to
    start with a traceback), a result type with no JSON form (pydantic's page-long message),
    a module raising as it is imported (its own traceback), an extension calling sys.exit (the
    worker ended without a word): each a ToolExtensionError, one line naming the extension."""
    with pytest.raises(ToolExtensionError) as raised:
        registry_with([entry])
    message = str(raised.value)
    assert message.startswith(f"tool extension {entry}") and said in message, message
    assert "\n" not in message


def test_the_setting_is_a_comma_separated_list_of_module_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCORCH_TOOLS", " tests.extension_tools:register , a.b:c ,")
    assert Settings().tools == ("tests.extension_tools:register", "a.b:c")
    for bad in ("tests.extension_tools", ":register", "a b:c", "a:b:c", "a:"):
        monkeypatch.setenv("DOCORCH_TOOLS", bad)
        with pytest.raises(ValidationError, match="module:function"):
            Settings()
