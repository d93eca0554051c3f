"""Data versions: what a write changed, so cached results are thrown away only where they are stale.

Cached results (ui/) are keyed by the wave they describe and by `data_version(wave_id)`. A write
calls `changed(wave_id)` for the wave whose answers, invitations or settings it touched, or
`changed()` for what every wave depends on (departments, relationships, accounts, the list of
waves). One process owns the DuckDB file, so an in-process counter sees every write; a key that no
longer matches simply misses the cache, and the stale entry ages out with its time to live.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_organisation = 0
_waves: dict[str, int] = {}


def changed(wave_id: str | None = None) -> None:
    """Record a write: to one wave's data, or (wave_id None) to what every wave depends on."""
    global _organisation
    with _lock:
        if wave_id is None:
            _organisation += 1
        else:
            _waves[wave_id] = _waves.get(wave_id, 0) + 1


def data_version(wave_id: str | None = None) -> tuple[int, int]:
    """A key that changes whenever `wave_id`'s data (or the organisation's) has been written since."""
    with _lock:
        return (_organisation, _waves.get(wave_id, 0) if wave_id is not None else 0)
