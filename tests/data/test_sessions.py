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


def test_a_session_is_found_by_its_value_only_and_stored_as_a_hash(store):
    add_user(store, "alice", "analyst", display_name="Alice", password=PASSWORD)
    token = start_session(store, "alice", now=T0)
    assert session_user(store, token, now=T0) == {
        "username": "alice",
        "display_name": "Alice",
        "role": "analyst",
        "signed_in_at": "2026-12-01T09:00:00",
    }
    stored = store.connection().execute("SELECT session_hash FROM sign_in_sessions").fetchall()
    assert stored == [(session_hash(token),)] and token not in str(stored)
    for other in ("", None, token[:-1], token + "x", session_hash(token), "x" * 5000):
        assert session_user(store, other, now=T0) is None
    assert start_session(store, "alice", now=T0) != token  # a new value at every sign-in


def test_a_session_expires_and_sign_out_ends_it(store):
    add_user(store, "alice", "analyst", password=PASSWORD)
    token = start_session(store, "alice", now=T0)
    later = T0 + dt.timedelta(hours=SESSION_HOURS, seconds=1)
    assert session_user(store, token, now=later) is None
    assert session_status(store, token, now=later) == "expired"
    assert end_session(store, token) == "alice"
    assert session_status(store, token, now=T0) == "unknown" and end_session(store, token) is None


def test_a_new_password_or_disabling_ends_every_session_of_the_account(store):
    add_user(store, "boss", "admin", password=PASSWORD)
    add_user(store, "alice", "admin", password=PASSWORD)
    first, second = start_session(store, "alice", now=T0), start_session(store, "alice", now=T0)
    boss = start_session(store, "boss", now=T0)
    set_password(store, "alice", "a brand new passphrase")
    assert session_user(store, first, now=T0) is None and session_user(store, second, now=T0) is None
    assert session_user(store, boss, now=T0) is not None
    third = start_session(store, "alice", now=T0)
    set_active(store, "alice", False)
    assert session_user(store, third, now=T0) is None
