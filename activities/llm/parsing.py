"""Finding the JSON object in what a model replied, whatever it wrapped it in."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_DECODER = json.JSONDecoder()


def _first_object(text: str) -> dict[str, Any] | None:
    for start in (i for i, ch in enumerate(text) if ch == "{"):
        try:
            value, _ = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


def parse_json_object(text: str | None) -> dict[str, Any] | None:
    """The JSON object in ``text``: the whole text, else inside a code fence, else the first
    ``{...}`` that decodes. None when there is none (prose, truncated or broken JSON)."""
    if not text or not text.strip():
        return None
    stripped = text.strip()
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError:
        value = None
    if isinstance(value, dict):
        return value
    for fenced in _FENCE.findall(stripped):
        found = _first_object(fenced)
        if found is not None:
            return found
    return _first_object(stripped)
