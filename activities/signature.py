"""What a tool's signature and docstring tell the registry: the description planners see, the
model its parameters are validated with, and its result's type, each as a JSON schema.

A function that cannot be described (no docstring, ``*args``/``**kwargs``, an untyped
parameter, a parameter or result type with no JSON form) is refused with a ValueError naming
the tool and what to change: when it is registered, not when a plan first calls it.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, PydanticUserError, TypeAdapter, create_model


@dataclass(frozen=True)
class DescribedFunction:
    """A tool function as planners and the registry see it."""

    description: str
    params_model: type[BaseModel]
    parameters: dict[str, Any]
    """The parameters' JSON schema."""
    result_adapter: TypeAdapter[Any]
    result: dict[str, Any]
    """The result's JSON schema (``{}`` when the function has no return annotation)."""


def describe_function(name: str, func: Callable[..., Any]) -> DescribedFunction:
    """``func`` described as the tool ``name``; ValueError when it cannot be."""
    try:
        hints = typing.get_type_hints(func, include_extras=True)  # Annotated bounds kept
    except Exception as error:  # a forward reference that does not resolve, ...
        raise ValueError(f"tool {name}: its type hints do not resolve: {error}") from None
    try:
        params_model = _params_model(name, func, hints)
        result_adapter: TypeAdapter[Any] = TypeAdapter(hints.get("return", Any))
        parameters = params_model.model_json_schema()
        result = result_adapter.json_schema()
    except PydanticUserError as error:
        first_line = str(error).splitlines()[0]
        raise ValueError(
            f"tool {name}: its parameters and result must be JSON types or pydantic models "
            f"({first_line})"
        ) from None
    return DescribedFunction(
        description=_description(name, func),
        params_model=params_model,
        parameters=parameters,
        result_adapter=result_adapter,
        result=result,
    )


def return_type_name(func: Callable[..., Any]) -> str:
    """How ``func``'s return annotation reads in a message (``Any`` without one)."""
    hint = typing.get_type_hints(func).get("return")
    if hint is None:
        return "Any"
    return str(getattr(hint, "__name__", None) or hint)


def _description(name: str, func: Callable[..., Any]) -> str:
    doc = inspect.getdoc(func) or ""
    first = doc.strip().split("\n\n")[0].replace("\n", " ").strip()
    if not first:
        raise ValueError(f"tool {name} needs a docstring: its first line is what planners see")
    return first


def _params_model(name: str, func: Callable[..., Any], hints: dict[str, Any]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ValueError(f"tool {name}: *args/**kwargs cannot be described to a planner")
        if param.name not in hints:
            raise ValueError(f"tool {name}: parameter {param.name!r} needs a type hint")
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (hints[param.name], default)
    return create_model(f"{name}_params", __config__=ConfigDict(extra="forbid"), **fields)
