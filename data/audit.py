"""The audit log: who signed in, exported, or changed a wave or the organisation, and when.

Never put survey answers or comments in it. The actions are a closed set (`Action`): a writer
cannot invent a new spelling for an action that already has one, and the audit page and its filter
name every action in both languages (`audit_action_<name>` in ui/locales/admin.yaml). The stored
names are the values below; rows written before the set existed used the same names.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import pandas as pd

from data.db import Database


class Action(StrEnum):
    """Every action the audit log records; the value is the name stored in `audit_log.action`."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    SESSION_EXPIRED = "session_expired"
    USER_ADD = "user_add"
    USER_SET_ROLE = "user_set_role"
    USER_DISABLE = "user_disable"
    USER_ENABLE = "user_enable"
    USER_SET_PASSWORD = "user_set_password"
    USER_UNLOCK = "user_unlock"
    USER_SET_SCOPE = "user_set_scope"
    ORG_IMPORT = "org_import"
    ORG_EDIT = "org_edit"
    WAVE_CREATE = "wave_create"
    WAVE_OPEN = "wave_open"
    WAVE_CLOSE = "wave_close"
    WAVE_SCHEDULE = "wave_schedule"
    INVITATIONS_CREATE = "invitations_create"
    INVITATIONS_SEND = "invitations_send"
    REMINDERS_SEND = "reminders_send"
    MAIL_TEST = "mail_test"
    IMPORT_RESPONSES = "import_responses"
    EXPORT = "export"
    PLAN_CREATE = "plan_create"
    PLAN_EDIT = "plan_edit"
    PLAN_ACCEPT = "plan_accept"
    PLAN_COMMITMENT_ADD = "plan_commitment_add"
    PLAN_COMMITMENT_UPDATE = "plan_commitment_update"
    PLAN_MEETING_ADD = "plan_meeting_add"


def record_event(
    db: Database, actor: str, action: Action | str, target: str | None = None, detail: str | None = None
) -> None:
    """Append one event (actor: a username or 'cli'). `action` must be one of `Action` (its member or
    its stored name): an unknown action raises ValueError and nothing is written."""
    try:
        name = Action(action).value
    except ValueError:
        raise ValueError(f"unknown audit action {action!r}: add it to data.audit.Action first") from None
    db.connection().execute(
        "INSERT INTO audit_log (actor, action, target, detail) VALUES (?, ?, ?, ?)", [actor, name, target, detail]
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
