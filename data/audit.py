"""The audit log: who signed in, exported, or changed a wave or the organisation, and when.

Never put survey answers or comments in it.
"""

from __future__ import annotations

import pandas as pd

from data.db import Database


def record_event(db: Database, actor: str, action: str, target: str | None = None, detail: str | None = None) -> None:
    """Append one event (actor: a username or 'cli'; action: e.g. 'sign_in', 'export', 'wave_open')."""
    db.connection().execute(
        "INSERT INTO audit_log (actor, action, target, detail) VALUES (?, ?, ?, ?)", [actor, action, target, detail]
    )


def list_events(db: Database, limit: int = 500) -> pd.DataFrame:
    """The newest events first. Returns columns: event_id, occurred_at, actor, action, target, detail."""
    return (
        db.connection()
        .execute(
            "SELECT event_id, occurred_at, actor, action, target, detail FROM audit_log"
            " ORDER BY occurred_at DESC, event_id DESC LIMIT ?",
            [limit],
        )
        .df()
    )
