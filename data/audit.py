"""The audit log: who signed in, exported, or changed a wave or the organisation, and when.

Never put survey answers or comments in it. Actions in use: sign_in, sign_in_failed, sign_out,
session_expired, user_add, user_set_role, user_disable, user_enable, user_set_password, user_unlock,
org_import, org_edit, wave_create, wave_open, wave_close, invitations_create, export.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from data.db import Database


def record_event(db: Database, actor: str, action: str, target: str | None = None, detail: str | None = None) -> None:
    """Append one event (actor: a username or 'cli'; action: e.g. 'sign_in', 'export', 'wave_open')."""
    db.connection().execute(
        "INSERT INTO audit_log (actor, action, target, detail) VALUES (?, ?, ?, ?)", [actor, action, target, detail]
    )


def list_events(
    db: Database,
    limit: int = 500,
    *,
    actor: str | None = None,
    actions: list[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """The newest events first, optionally only one actor's, only some actions, and only between two
    dates (both included). Returns columns: event_id, occurred_at, actor, action, target, detail."""
    return (
        db.connection()
        .execute(
            "SELECT event_id, occurred_at, actor, action, target, detail FROM audit_log"
            " WHERE (CAST(? AS VARCHAR) IS NULL OR actor = ?)"
            " AND (CAST(? AS VARCHAR[]) IS NULL OR list_contains(?, action))"
            " AND (CAST(? AS DATE) IS NULL OR CAST(occurred_at AS DATE) >= ?)"
            " AND (CAST(? AS DATE) IS NULL OR CAST(occurred_at AS DATE) <= ?)"
            " ORDER BY occurred_at DESC, event_id DESC LIMIT ?",
            [actor, actor, actions or None, actions or None, since, since, until, until, limit],
        )
        .df()
    )


def event_choices(db: Database) -> tuple[list[str], list[str]]:
    """(actors, actions) that occur in the log, sorted: the choices of the audit page's filters."""
    con = db.connection()
    actors = [r[0] for r in con.execute("SELECT DISTINCT actor FROM audit_log ORDER BY actor").fetchall()]
    actions = [r[0] for r in con.execute("SELECT DISTINCT action FROM audit_log ORDER BY action").fetchall()]
    return actors, actions
