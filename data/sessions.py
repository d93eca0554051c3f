"""Signed-in sessions, stored server-side (migration 0005): issue, look up, end.

The browser holds a random value in an HttpOnly cookie (ui/routes.py sets it); this table holds only
its SHA-256. A value is valid only while its row exists and has not expired, and a row is created
only by `start_session`, at a successful sign-in: a value the client made up, or one planted before
sign-in, matches nothing. Each sign-in issues a new value (the old one, if the browser sent one, is
ended), and sign-out deletes the row, so a copied value stops working when its owner signs out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from data.db import Database
from settings import settings

SESSION_HOURS = settings().session_hours  # ICSAT_SESSION_HOURS; by default one working day (8)
SESSION_METHODS = ("password", "sso")
_TOKEN_BYTES = 32  # 256 random bits


def session_hash(token: str) -> str:
    """The SHA-256 (hex) under which a session value is stored; the value itself never is."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def start_session(db: Database, username: str, method: str = "password", *, now: dt.datetime | None = None) -> str:
    """Issue a new session for `username`; returns the value for the cookie (shown once, stored hashed).

    Also removes expired sessions of everyone (cheap: the table holds one row per signed-in browser).
    """
    if method not in SESSION_METHODS:
        raise ValueError(f"unknown sign-in method {method!r}; expected one of {SESSION_METHODS}")
    now = now or _now()
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    con = db.connection()
    con.execute("DELETE FROM sign_in_sessions WHERE expires_at <= ?", [now])
    con.execute(
        "INSERT INTO sign_in_sessions (session_hash, username, method, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        [session_hash(token), username, method, now, now + dt.timedelta(hours=SESSION_HOURS)],
    )
    return token


def session_user(db: Database, token: str | None, *, now: dt.datetime | None = None) -> dict | None:
    """The signed-in account behind a cookie value, or None (unknown, expired or ended value, or an
    account disabled since). Returns username, display_name, role, signed_in_at (ISO text)."""
    if not token or len(token) > 256:
        return None
    row = (
        db.connection()
        .execute(
            "SELECT u.username, u.display_name, u.role, s.created_at FROM sign_in_sessions s"
            " JOIN users u ON u.username = s.username"
            " WHERE s.session_hash = ? AND s.expires_at > ? AND u.active",
            [session_hash(token), now or _now()],
        )
        .fetchone()
    )
    if row is None:
        return None
    return {
        "username": row[0],
        "display_name": row[1],
        "role": row[2],
        "signed_in_at": row[3].isoformat(timespec="seconds"),
    }


def session_status(db: Database, token: str | None, *, now: dt.datetime | None = None) -> str:
    """'valid', 'expired' (issued by us, ran out) or 'unknown' (never issued, or ended)."""
    if not token or len(token) > 256:
        return "unknown"
    row = (
        db.connection()
        .execute("SELECT expires_at FROM sign_in_sessions WHERE session_hash = ?", [session_hash(token)])
        .fetchone()
    )
    if row is None:
        return "unknown"
    return "valid" if row[0] > (now or _now()) else "expired"


def end_session(db: Database, token: str | None) -> str | None:
    """End the session behind a cookie value; returns its username, or None when there was none."""
    if not token or len(token) > 256:
        return None
    row = (
        db.connection()
        .execute("DELETE FROM sign_in_sessions WHERE session_hash = ? RETURNING username", [session_hash(token)])
        .fetchone()
    )
    return None if row is None else str(row[0])


def end_sessions_of(db: Database, username: str) -> int:
    """End every session of an account (its password changed, or it was disabled); returns how many."""
    rows = db.connection().execute("DELETE FROM sign_in_sessions WHERE username = ? RETURNING 1", [username]).fetchall()
    return len(rows)
