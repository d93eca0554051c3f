"""Action plans: the SQL of bilateral plans on a pair of departments, their commitments, meetings
and history (migration 0010). Every value is a bound parameter.

Nothing here checks a rule or records an audit event: services/actions.py validates each change,
calls these inside one transaction and records it (data.audit). A plan's pair and starting wave
(`action_plans`) never change; its terms (`plan_terms`: title, owners, focus, target, acceptances)
are edited in place.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from data.db import Database

COMMITMENT_STATUSES = ("planned", "in_progress", "done", "dropped")
OPEN_STATUSES = ("planned", "in_progress")
MEETING_KINDS = ("one_to_one", "coordination")
TERM_COLUMNS = (
    "title",
    "owner_a",
    "owner_b",
    "focus",
    "target_rater",
    "target_provider",
    "target_from",
    "target_value",
    "target_wave_id",
)


def insert_plan(
    con: duckdb.DuckDBPyConnection, dept_a: str, dept_b: str, wave_id: str, created_by: str, terms: dict
) -> int:
    """Write a plan and its terms (inside the caller's transaction); return the new plan id."""
    plan_id = con.execute(
        "INSERT INTO action_plans (dept_a, dept_b, wave_id, created_by) VALUES (?, ?, ?, ?) RETURNING plan_id",
        [dept_a, dept_b, wave_id, created_by],
    ).fetchone()[0]
    con.execute(
        "INSERT INTO plan_terms (plan_id, title, owner_a, owner_b, focus, target_rater, target_provider,"
        " target_from, target_value, target_wave_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [plan_id, *(terms.get(c) for c in TERM_COLUMNS)],
    )
    return int(plan_id)


def update_terms(con: duckdb.DuckDBPyConnection, plan_id: int, terms: dict, *, keep_acceptance: bool) -> None:
    """Replace a plan's terms; both acceptances are withdrawn unless `keep_acceptance`."""
    con.execute(
        "UPDATE plan_terms SET title = ?, owner_a = ?, owner_b = ?, focus = ?, target_rater = ?,"
        " target_provider = ?, target_from = ?, target_value = ?, target_wave_id = ?,"
        " accepted_a = accepted_a AND ?, accepted_b = accepted_b AND ? WHERE plan_id = ?",
        [*(terms.get(c) for c in TERM_COLUMNS), keep_acceptance, keep_acceptance, plan_id],
    )


def set_accepted(con: duckdb.DuckDBPyConnection, plan_id: int, side: str, accepted: bool) -> None:
    """Record side 'a' or 'b' as having accepted (or withdrawn) the plan."""
    if side not in ("a", "b"):
        raise ValueError(f"unknown side {side!r}")
    con.execute(
        "UPDATE plan_terms SET accepted_a = CASE WHEN ? = 'a' THEN ? ELSE accepted_a END,"
        " accepted_b = CASE WHEN ? = 'b' THEN ? ELSE accepted_b END WHERE plan_id = ?",
        [side, accepted, side, accepted, plan_id],
    )


def insert_commitment(
    con: duckdb.DuckDBPyConnection,
    plan_id: int,
    side: str,
    owner: str,
    title: str,
    due_on: dt.date,
    status: str,
    note: str,
) -> int:
    """Write one commitment; return its id."""
    return int(
        con.execute(
            "INSERT INTO plan_commitments (plan_id, side, owner, title, due_on, status, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING commitment_id",
            [plan_id, side, owner, title, due_on, status, note],
        ).fetchone()[0]
    )


def update_commitment(con: duckdb.DuckDBPyConnection, commitment_id: int, status: str, note: str) -> None:
    """Change a commitment's status and note."""
    con.execute(
        "UPDATE plan_commitments SET status = ?, note = ? WHERE commitment_id = ?", [status, note, commitment_id]
    )


def insert_meeting(con: duckdb.DuckDBPyConnection, plan_id: int, meeting: dict) -> int:
    """Write one meeting record (held_on, kind, attended_a, attended_b, decisions, next_meeting)."""
    return int(
        con.execute(
            "INSERT INTO plan_meetings (plan_id, held_on, kind, attended_a, attended_b, decisions, next_meeting)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING meeting_id",
            [
                plan_id,
                meeting["held_on"],
                meeting["kind"],
                meeting["attended_a"],
                meeting["attended_b"],
                meeting.get("decisions", ""),
                meeting.get("next_meeting"),
            ],
        ).fetchone()[0]
    )


def add_history(con: duckdb.DuckDBPyConnection, plan_id: int, actor: str, change: str, detail: str = "") -> None:
    """One line of the plan's history (who changed what; the time is the database's)."""
    con.execute(
        "INSERT INTO plan_history (plan_id, actor, change, detail) VALUES (?, ?, ?, ?)",
        [plan_id, actor, change, detail],
    )


def get_plan(db: Database, plan_id: int) -> dict | None:
    """One plan with its terms as a dict (the `list_plans` columns), or None."""
    frame = (
        db.connection()
        .execute(
            "SELECT p.plan_id, p.dept_a, p.dept_b, p.wave_id, p.created_by, p.created_at, t.title, t.owner_a,"
            " t.owner_b, t.focus, t.target_rater, t.target_provider, t.target_from, t.target_value,"
            " t.target_wave_id, t.accepted_a, t.accepted_b, (t.accepted_a AND t.accepted_b) AS agreed"
            " FROM action_plans p JOIN plan_terms t USING (plan_id) WHERE p.plan_id = ?",
            [plan_id],
        )
        .df()
    )
    return None if frame.empty else frame.iloc[0].to_dict()


def list_plans(db: Database, today: dt.date) -> pd.DataFrame:
    """Every plan, newest first. Columns: plan_id, dept_a, dept_b, wave_id, created_by, created_at,
    title, owner_a, owner_b, focus, target_rater, target_provider, target_from, target_value,
    target_wave_id, accepted_a, accepted_b, agreed, commitments, open_commitments, done_commitments,
    overdue (open commitments due before `today`), meetings, next_meeting (the latest meeting's)."""
    return (
        db.connection()
        .execute(
            "WITH c AS (SELECT plan_id, count(*) AS commitments,"
            " count(*) FILTER (WHERE status IN ('planned', 'in_progress')) AS open_commitments,"
            " count(*) FILTER (WHERE status = 'done') AS done_commitments,"
            " count(*) FILTER (WHERE status IN ('planned', 'in_progress') AND due_on < ?) AS overdue"
            " FROM plan_commitments GROUP BY plan_id),"
            # DuckDB's arg_max(next_meeting, held_on) (which skips NULLs), written to run on PostgreSQL too
            " m AS (SELECT plan_id, count(*) AS meetings, (array_agg(next_meeting ORDER BY held_on DESC)"
            " FILTER (WHERE next_meeting IS NOT NULL))[1] AS next_meeting"
            " FROM plan_meetings GROUP BY plan_id),"
            " p AS (SELECT p.plan_id, p.dept_a, p.dept_b, p.wave_id, p.created_by, p.created_at, t.title,"
            " t.owner_a, t.owner_b, t.focus, t.target_rater, t.target_provider, t.target_from, t.target_value,"
            " t.target_wave_id, t.accepted_a, t.accepted_b, (t.accepted_a AND t.accepted_b) AS agreed"
            " FROM action_plans p JOIN plan_terms t USING (plan_id))"
            " SELECT p.*, coalesce(c.commitments, 0) AS commitments,"
            " coalesce(c.open_commitments, 0) AS open_commitments,"
            " coalesce(c.done_commitments, 0) AS done_commitments, coalesce(c.overdue, 0) AS overdue,"
            " coalesce(m.meetings, 0) AS meetings, m.next_meeting"
            " FROM p LEFT JOIN c USING (plan_id) LEFT JOIN m USING (plan_id) ORDER BY p.plan_id DESC",
            [today],
        )
        .df()
    )


def list_commitments(db: Database, plan_id: int | None = None) -> pd.DataFrame:
    """Commitments of one plan (or all): commitment_id, plan_id, side, owner, title, due_on, status, note."""
    return (
        db.connection()
        .execute(
            "SELECT commitment_id, plan_id, side, owner, title, due_on, status, note FROM plan_commitments"
            " WHERE (CAST(? AS BIGINT) IS NULL OR plan_id = ?) ORDER BY plan_id, due_on, commitment_id",
            [plan_id, plan_id],
        )
        .df()
    )


def get_commitment(db: Database, commitment_id: int) -> dict | None:
    """One commitment as a dict, or None."""
    frame = (
        db.connection()
        .execute(
            "SELECT commitment_id, plan_id, side, owner, title, due_on, status, note FROM plan_commitments"
            " WHERE commitment_id = ?",
            [commitment_id],
        )
        .df()
    )
    return None if frame.empty else frame.iloc[0].to_dict()


def list_meetings(db: Database, plan_id: int | None = None) -> pd.DataFrame:
    """Meetings of one plan (or all), latest first: meeting_id, plan_id, held_on, kind, attended_a,
    attended_b, decisions, next_meeting."""
    return (
        db.connection()
        .execute(
            "SELECT meeting_id, plan_id, held_on, kind, attended_a, attended_b, decisions, next_meeting"
            " FROM plan_meetings WHERE (CAST(? AS BIGINT) IS NULL OR plan_id = ?)"
            " ORDER BY plan_id, held_on DESC, meeting_id DESC",
            [plan_id, plan_id],
        )
        .df()
    )


def plan_history(db: Database, plan_id: int) -> pd.DataFrame:
    """The plan's history, newest first: occurred_at, actor, change, detail."""
    return (
        db.connection()
        .execute(
            "SELECT occurred_at, actor, change, detail FROM plan_history WHERE plan_id = ?"
            " ORDER BY occurred_at DESC, event_id DESC",
            [plan_id],
        )
        .df()
    )
