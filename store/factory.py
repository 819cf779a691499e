"""``open_store``: the one way to reach the store, chosen by DOCORCH_STORE_URL."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from models.settings import Settings
from store.base import Store
from store.embedded import open_embedded
from store.policy import RESERVATION_HOLD_SECONDS
from store.postgres import SCHEME as POSTGRES
from store.postgres import open_postgres
from store.urls import parse_store_url

_opened: dict[tuple[str, str, float], Store] = {}
_lock = threading.Lock()


def reservation_hold_seconds(settings: Settings) -> float:
    """How long an LLM reservation counts: past any call's timeout, with a margin."""
    return settings.llm_timeout_seconds * 2 + 60


def open_store(source: Settings | str | os.PathLike[str]) -> Store:
    """The store for ``source``: Settings (its ``store_url``, else the embedded store under its
    ``data_dir``), a store URL (``embedded:PATH``, ``postgresql://…``), or a data directory
    (embedded).

    One ``Store`` per location (and LLM reservation hold time) and process: opening it again
    returns the same object, so callers need not carry it around (connections and pools are
    per store). Raises
    ``store.errors.UnsupportedStoreUrl`` for an unknown scheme and ``StoreUnavailable`` /
    ``IncompatibleStore`` when it cannot be opened.
    """
    if isinstance(source, Settings):
        url, data_dir = source.store_url, source.data_dir
        hold = reservation_hold_seconds(source)
    else:
        url, data_dir = os.fspath(source), Path(".")
        hold = RESERVATION_HOLD_SECONDS
    location = parse_store_url(url, data_dir=data_dir)
    if location.scheme == POSTGRES:
        key = (location.scheme, location.target, hold)
        with _lock:
            store = _opened.get(key)
            if store is None:
                store = _opened[key] = open_postgres(location.target, hold_seconds=hold)
            return store
    root = Path(location.target).expanduser().resolve()
    key = (location.scheme, str(root), hold)
    with _lock:
        store = _opened.get(key)
        if store is None or not root.is_dir():  # a removed directory starts afresh
            store = _opened[key] = open_embedded(root, hold_seconds=hold)
        return store
