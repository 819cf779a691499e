"""DOCORCH_STORE_URL: which backend, where; and how a URL is shown (password hidden)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from store.errors import UnsupportedStoreUrl

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")
"""A URL scheme: two characters at least, so a Windows drive ("C:") reads as a path."""
BACKENDS = ("embedded", "postgresql")
ALIASES = {"postgres": "postgresql"}
"""Other spellings of a backend's scheme (libpq accepts both ``postgresql://`` and
``postgres://``)."""


@dataclass(frozen=True)
class StoreLocation:
    """A parsed store URL: the backend's scheme and what follows it."""

    scheme: str
    target: str


def redacted(url: str) -> str:
    """``url`` with any password replaced by ``***``, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def parse_store_url(url: str | None, *, data_dir: Path) -> StoreLocation:
    """Where DOCORCH_STORE_URL points. Unset or ``embedded:`` is the embedded store under
    ``data_dir``; ``embedded:PATH`` (or ``embedded:///abs/path``) under PATH; a plain path is
    read as ``embedded:PATH``. ``postgresql://…`` (or ``postgres://…``) is the PostgreSQL store,
    its target the whole URL (libpq's form, query options included). Any other scheme raises
    UnsupportedStoreUrl."""
    text = (url or "").strip()
    match = _SCHEME.match(text)
    if not text or match is None:
        return StoreLocation("embedded", str(Path(text) if text else data_dir))
    scheme = match.group(1).lower()
    scheme = ALIASES.get(scheme, scheme)
    if scheme not in BACKENDS:
        raise UnsupportedStoreUrl(
            f"DOCORCH_STORE_URL={redacted(text)}: no {scheme!r} store in this docorch; "
            f"use one of {', '.join(f'{b}:' for b in BACKENDS)} (or leave it unset for the "
            f"embedded store under DOCORCH_DATA_DIR)"
        )
    if scheme == "postgresql":
        return StoreLocation(scheme, text)
    rest = text[match.end() :]
    if rest.startswith("//"):
        rest = rest[2:]
    return StoreLocation(scheme, rest or str(data_dir))
