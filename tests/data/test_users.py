"""Accounts: argon2id hashes, roles, disabling, and the slow-down then lock after failed sign-ins."""

import datetime as dt

import pytest

from data import users
from data.users import (
    LOCK_AFTER,
    LOCK_MINUTES,
    SLOW_AFTER,
    UserError,
    add_user,
    get_user,
    list_users,
    set_active,
    set_password,
    set_role,
    user_for_email,
    verify,
)

PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 11, 27, 9, 0, 0)


class Sleeps:
    """Records the pauses verify() asks for instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def test_password_is_stored_as_an_argon2id_hash(memory_db):
    add_user(memory_db, "Alice", "analyst", password=PASSWORD)
    stored = memory_db.connection().execute("SELECT password_hash FROM users WHERE username = 'alice'").fetchone()[0]
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert "password_hash" not in list_users(memory_db).columns


def test_right_password_signs_in_and_wrong_one_is_refused(memory_db):
    add_user(memory_db, "alice", "leader", display_name="Alice Wang", password=PASSWORD)
    ok = verify(memory_db, "ALICE ", PASSWORD, now=T0, sleep=Sleeps())
    assert ok.status == "ok" and ok.user == {"username": "alice", "display_name": "Alice Wang", "role": "leader"}
    assert verify(memory_db, "alice", "wrong password!", now=T0, sleep=Sleeps()).status == "refused"


def test_unknown_user_disabled_user_and_wrong_password_get_the_same_answer(memory_db):
    add_user(memory_db, "alice", "leader", password=PASSWORD)
    add_user(memory_db, "bob", "leader", password=PASSWORD)
    set_active(memory_db, "bob", False)
    answers = {
        verify(memory_db, "nobody", PASSWORD, now=T0, sleep=Sleeps()),
        verify(memory_db, "bob", PASSWORD, now=T0, sleep=Sleeps()),
        verify(memory_db, "alice", "not the password", now=T0, sleep=Sleeps()),
    }
    assert answers == {users.SignIn("refused")}


def test_failures_slow_down_then_lock_even_the_right_password(memory_db):
    add_user(memory_db, "alice", "admin", password=PASSWORD)
    sleeps = Sleeps()
    for _ in range(LOCK_AFTER):
        assert verify(memory_db, "alice", "guess guess guess", now=T0, sleep=sleeps).status == "refused"
    # the first SLOW_AFTER attempts answer at once, then each waits longer (1 s, 2 s, ...)
    assert sleeps.calls == [float(n) for n in range(1, LOCK_AFTER - SLOW_AFTER + 1)]
    assert get_user(memory_db, "alice")["locked_until"] == T0 + dt.timedelta(minutes=LOCK_MINUTES)
    # locked: the right password is refused too, with the same answer
    assert verify(memory_db, "alice", PASSWORD, now=T0 + dt.timedelta(minutes=5), sleep=sleeps).status == "refused"
    # after the lock the right password works and the counter starts again
    later = T0 + dt.timedelta(minutes=LOCK_MINUTES + 1)
    assert verify(memory_db, "alice", PASSWORD, now=later, sleep=sleeps).status == "ok"
    assert get_user(memory_db, "alice")["failed_attempts"] == 0


def test_a_success_forgets_earlier_failures(memory_db):
    add_user(memory_db, "alice", "admin", password=PASSWORD)
    for _ in range(SLOW_AFTER):
        verify(memory_db, "alice", "typo typo typo", now=T0, sleep=Sleeps())
    assert get_user(memory_db, "alice")["failed_attempts"] == SLOW_AFTER
    assert verify(memory_db, "alice", PASSWORD, now=T0, sleep=Sleeps()).status == "ok"
    assert get_user(memory_db, "alice")["failed_attempts"] == 0


def test_set_password_replaces_the_old_one_and_lifts_a_lock(memory_db):
    add_user(memory_db, "alice", "admin", password=PASSWORD)
    for _ in range(LOCK_AFTER):
        verify(memory_db, "alice", "guess guess guess", now=T0, sleep=Sleeps())
    set_password(memory_db, "alice", "a brand new passphrase")
    assert verify(memory_db, "alice", PASSWORD, now=T0, sleep=Sleeps()).status == "refused"
    assert verify(memory_db, "alice", "a brand new passphrase", now=T0, sleep=Sleeps()).status == "ok"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"username": "a", "role": "leader", "password": PASSWORD}, "bad_username"),
        ({"username": "has space", "role": "leader", "password": PASSWORD}, "bad_username"),
        ({"username": "carol", "role": "owner", "password": PASSWORD}, "bad_role"),
        ({"username": "carol", "role": "leader", "password": "short"}, "password_too_short"),
        ({"username": "carol", "role": "leader"}, "needs_password_or_email"),
        ({"username": "alice", "role": "leader", "password": PASSWORD}, "exists"),
        ({"username": "carol", "role": "leader", "email": "ALICE@example.com"}, "email_taken"),
    ],
)
def test_bad_accounts_are_refused_with_a_reason(memory_db, kwargs, code):
    add_user(memory_db, "alice", "admin", password=PASSWORD, email="alice@example.com")
    with pytest.raises(UserError) as caught:
        add_user(memory_db, **kwargs)
    assert caught.value.code == code
    assert len(list_users(memory_db)) == 1


def test_the_last_active_admin_cannot_be_demoted_or_disabled(memory_db):
    add_user(memory_db, "alice", "admin", password=PASSWORD)
    with pytest.raises(UserError, match="last_admin"):
        set_role(memory_db, "alice", "leader")
    with pytest.raises(UserError, match="last_admin"):
        set_active(memory_db, "alice", False)
    add_user(memory_db, "bob", "admin", password=PASSWORD)
    set_role(memory_db, "alice", "leader")
    assert get_user(memory_db, "alice")["role"] == "leader"


def test_single_sign_on_maps_an_email_to_an_active_account_only(memory_db):
    add_user(memory_db, "li.na", "leader", email="Li.Na@Example.com")
    assert not get_user(memory_db, "li.na")["has_password"]
    assert user_for_email(memory_db, "li.na@example.COM")["role"] == "leader"
    assert user_for_email(memory_db, "stranger@example.com") is None
    add_user(memory_db, "boss", "admin", password=PASSWORD)
    set_active(memory_db, "li.na", False)
    assert user_for_email(memory_db, "li.na@example.com") is None
    # an account without a password cannot sign in with one
    assert verify(memory_db, "li.na", "", now=T0, sleep=Sleeps()).status == "refused"


def test_an_unknown_name_slows_down_like_a_real_account(memory_db):
    add_user(memory_db, "alice", "admin", password=PASSWORD)
    known, unknown = Sleeps(), Sleeps()
    for _ in range(LOCK_AFTER):
        verify(memory_db, "alice", "guess guess guess", now=T0, sleep=known)
        verify(memory_db, "no.such.person", "guess guess guess", now=T0, sleep=unknown)
    assert unknown.calls == known.calls and known.calls
