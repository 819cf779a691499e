"""Secrets out of messages that are stored: every LLM error becomes a note in a step's output or
an ApplicationError in Temporal's history, and endpoints echo what they were sent.

``mask_secrets`` hides, wherever they appear in a text:
  * a URL's user information (``https://user:password@host`` → ``https://***@host``),
  * the values of query parameters that carry credentials (``?api_key=…``, ``&token=…``),
  * API keys (``sk-…``, ``AIza…``), bearer and basic credentials, ``api_key: …`` pairs,
  * and any secret the caller names (the configured key, the URL's password), however short.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit

MASK = "***"
_MIN_NAMED_SECRET = 4
"""Named secrets shorter than this are not replaced (they would mask ordinary words)."""

_USERINFO = re.compile(r"(?<=://)[^/\s?#'\"<>]*@")
_CREDENTIAL_PARAM = re.compile(
    r"(?i)([?&;][^=&\s#'\"]*(?:key|token|secret|passw|pwd|auth|sig|credential|session)"
    r"[^=&\s#'\"]*=)[^&\s#'\"<>]+"
)
_API_KEY = re.compile(r"\b(sk[-_]|AIza)[A-Za-z0-9_\-]{6,}")
_AUTH_SCHEME = re.compile(r"\b([Bb]earer|BEARER|Basic)(\s+)[A-Za-z0-9._~+/=\-]{6,}")
_KEY_PAIR = re.compile(
    r"(?i)\b((?:api[_-]?key|x-api-key|access[_-]?token|secret|password|authorization)"
    r"[\"']?\s*[:=]\s*[\"']?)(?!\*\*\*)[^\s\"',;&]+"
)


def url_secrets(url: str | None) -> tuple[str, ...]:
    """The password a URL carries, to pass to ``mask_secrets`` as a named secret."""
    if not url:
        return ()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ()
    return (unquote(parts.password),) if parts.password else ()


def mask_secrets(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with URL credentials, credential query parameters, API keys and bearer tokens,
    and each of ``secrets`` (also percent-encoded), replaced by ``***``."""
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_NAMED_SECRET}, key=len)[::-1]:
        for form in {secret, quote(secret, safe="")}:
            text = text.replace(form, MASK)
    text = _USERINFO.sub(f"{MASK}@", text)
    text = _CREDENTIAL_PARAM.sub(rf"\1{MASK}", text)
    text = _API_KEY.sub(rf"\1{MASK}", text)
    text = _AUTH_SCHEME.sub(rf"\1\2{MASK}", text)
    return _KEY_PAIR.sub(rf"\1{MASK}", text)
