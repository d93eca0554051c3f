"""Server-side sessions (data/sessions.py): issued at sign-in, stored hashed, ended at sign-out,
expiry, a new password or a disabled account."""

import datetime as dt

from data.sessions import (
    SESSION_HOURS,
    end_session,
    session_hash,
    session_status,
    session_user,
    start_session,
)
from data.users import add_user, set_active, set_password

PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 12, 1, 9, 0, 0)


def test_a_session_is_found_by_its_value_only_and_stored_as_a_hash(memory_db):
    add_user(memory_db, "alice", "analyst", display_name="Alice", password=PASSWORD)
    token = start_session(memory_db, "alice", now=T0)
    assert session_user(memory_db, token, now=T0) == {
        "username": "alice",
        "display_name": "Alice",
        "role": "analyst",
        "signed_in_at": "2026-12-01T09:00:00",
    }
    stored = memory_db.connection().execute("SELECT session_hash FROM sign_in_sessions").fetchall()
    assert stored == [(session_hash(token),)] and token not in str(stored)
    for other in ("", None, token[:-1], token + "x", session_hash(token), "x" * 5000):
        assert session_user(memory_db, other, now=T0) is None
    assert start_session(memory_db, "alice", now=T0) != token  # a new value at every sign-in


def test_a_session_expires_and_sign_out_ends_it(memory_db):
    add_user(memory_db, "alice", "analyst", password=PASSWORD)
    token = start_session(memory_db, "alice", now=T0)
    later = T0 + dt.timedelta(hours=SESSION_HOURS, seconds=1)
    assert session_user(memory_db, token, now=later) is None
    assert session_status(memory_db, token, now=later) == "expired"
    assert end_session(memory_db, token) == "alice"
    assert session_status(memory_db, token, now=T0) == "unknown" and end_session(memory_db, token) is None


def test_a_new_password_or_disabling_ends_every_session_of_the_account(memory_db):
    add_user(memory_db, "boss", "admin", password=PASSWORD)
    add_user(memory_db, "alice", "admin", password=PASSWORD)
    first, second = start_session(memory_db, "alice", now=T0), start_session(memory_db, "alice", now=T0)
    boss = start_session(memory_db, "boss", now=T0)
    set_password(memory_db, "alice", "a brand new passphrase")
    assert session_user(memory_db, first, now=T0) is None and session_user(memory_db, second, now=T0) is None
    assert session_user(memory_db, boss, now=T0) is not None
    third = start_session(memory_db, "alice", now=T0)
    set_active(memory_db, "alice", False)
    assert session_user(memory_db, third, now=T0) is None
