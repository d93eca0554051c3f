"""Data versions: what a write changed, so cached results are thrown away only where they are stale.

Cached results (ui/) are keyed by the wave they describe and by `data_version(wave_id)`. A write
calls `changed(wave_id)` for the wave whose answers, invitations or settings it touched, or
`changed()` for what every wave depends on (departments, relationships, accounts, the list of
waves). With DuckDB one process owns the file, so this in-process counter sees every write; a key
that no longer matches simply misses the cache, and the stale entry ages out with its time to live.

With PostgreSQL other processes write too (the other app replicas, `cli.py`): the app then
`follow`s the store, and the key also holds the database's own versions (`data_versions`, moved by
triggers in every writing transaction: data/migrations/postgres/0002). They are read at most once
per `STORE_CHECK_SECONDS` (and at once after a write in this process), so another process's write
reaches this process's pages within about a second.
"""

from __future__ import annotations

import threading
import time

from data.replica import ORGANISATION, data_versions, wave_scope

STORE_CHECK_SECONDS = 1.0

_lock = threading.Lock()
_organisation = 0
_waves: dict[str, int] = {}
_store: object | None = None
_stored: dict[str, int] = {}
_stored_at = float("-inf")


def changed(wave_id: str | None = None) -> None:
    """Record a write: to one wave's data, or (wave_id None) to what every wave depends on."""
    global _organisation, _stored_at
    with _lock:
        if wave_id is None:
            _organisation += 1
        else:
            _waves[wave_id] = _waves.get(wave_id, 0) + 1
        _stored_at = float("-inf")  # the store's versions moved too: read them again


def follow(store: object | None) -> None:
    """Key the versions also on `store`'s own (a PostgreSQL database several processes write);
    None stops following."""
    global _store, _stored, _stored_at
    with _lock:
        _store, _stored, _stored_at = store, {}, float("-inf")


def _store_versions() -> dict[str, int]:
    global _stored, _stored_at
    with _lock:
        store, fresh = _store, time.monotonic() - _stored_at < STORE_CHECK_SECONDS
        if store is None or fresh:
            return _stored
    read = data_versions(store)
    with _lock:
        if _store is store:
            _stored, _stored_at = read, time.monotonic()
    return read


def data_version(wave_id: str | None = None) -> tuple[int, ...]:
    """A key that changes whenever `wave_id`'s data (or the organisation's) has been written since:
    (this process's organisation and wave counters, then, when following a store, its organisation,
    settings and wave versions)."""
    stored = _store_versions()
    with _lock:
        local = (_organisation, _waves.get(wave_id, 0) if wave_id is not None else 0)
        if _store is None:
            return local
    shared = (stored.get(ORGANISATION, 0), stored.get("settings", 0))
    return (*local, *shared, stored.get(wave_scope(wave_id), 0) if wave_id is not None else 0)
