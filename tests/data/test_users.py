"""Accounts: argon2id hashes, roles, disabling, and the slow-down then lock after failed sign-ins."""

import datetime as dt

import pytest

from data import users
from data.problems import Refused
from data.users import (
    ACCOUNT_MAX_PAUSE_SECONDS,
    ACCOUNT_PAUSE_AFTER,
    PAIR_FREE_FAILURES,
    add_user,
    get_user,
    list_users,
    set_active,
    set_password,
    set_role,
    unlock_user,
    user_for_email,
    verify,
)

PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 11, 27, 9, 0, 0)


def _seconds(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


def test_password_is_stored_as_an_argon2id_hash(store):
    add_user(store, "Alice", "analyst", password=PASSWORD)
    stored = store.connection().execute("SELECT password_hash FROM users WHERE username = 'alice'").fetchone()[0]
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert "password_hash" not in list_users(store).columns


def test_right_password_signs_in_and_wrong_one_is_refused(store):
    add_user(store, "alice", "leader", display_name="Alice Wang", password=PASSWORD)
    ok = verify(store, "ALICE ", PASSWORD, now=T0)
    assert ok.status == "ok" and ok.user == {"username": "alice", "display_name": "Alice Wang", "role": "leader"}
    assert verify(store, "alice", "wrong password!", now=T0).status == "refused"


def test_unknown_user_disabled_user_and_wrong_password_get_the_same_answer(store):
    add_user(store, "alice", "leader", password=PASSWORD)
    add_user(store, "bob", "leader", password=PASSWORD)
    set_active(store, "bob", False)
    answers = {
        verify(store, "nobody", PASSWORD, now=T0),
        verify(store, "bob", PASSWORD, now=T0),
        verify(store, "alice", "not the password", now=T0),
    }
    assert answers == {users.SignIn("refused")}


def test_failures_from_one_address_wait_longer_and_longer_unchecked(store):
    add_user(store, "alice", "admin", password=PASSWORD)
    for _ in range(PAIR_FREE_FAILURES):
        assert verify(store, "alice", "guess guess guess", address="1.2.3.4", now=T0).status == "refused"
    # from now on this name waits at this address: 1 s, then 2 s, 4 s ... (up to 15 minutes)
    braked = verify(store, "alice", PASSWORD, address="1.2.3.4", now=T0)
    assert braked.status == "throttled" and braked.wait_seconds == 1.0  # the right password was not even checked
    assert verify(store, "alice", "guess guess guess", address="1.2.3.4", now=T0 + _seconds(1)).status == "refused"
    assert verify(store, "alice", PASSWORD, address="1.2.3.4", now=T0 + _seconds(2)).wait_seconds == 1.0
    # the owner at another address is not held up by the guesser
    assert verify(store, "alice", PASSWORD, address="10.0.0.7", now=T0 + _seconds(2)).status == "ok"
    assert get_user(store, "alice")["failed_attempts"] == 0


def test_an_account_guessed_from_many_addresses_is_paused_briefly_never_locked_long(store):
    add_user(store, "ceo", "admin", password=PASSWORD)
    for n in range(ACCOUNT_PAUSE_AFTER):
        assert verify(store, "ceo", "guess guess guess", address=f"10.0.0.{n}", now=T0).status == "refused"
    paused = verify(store, "ceo", PASSWORD, address="192.168.1.1", now=T0)
    assert paused.status == "throttled" and 0 < paused.wait_seconds <= ACCOUNT_MAX_PAUSE_SECONDS
    # a persistent guesser keeps it paused for at most a minute at a time
    for n in range(20):
        verify(store, "ceo", "guess guess guess", address=f"10.1.0.{n}", now=T0 + _seconds(60 * (n + 1)))
    assert get_user(store, "ceo")["locked_until"] <= T0 + _seconds(60 * 21 + ACCOUNT_MAX_PAUSE_SECONDS)
    later = T0 + _seconds(60 * 21 + ACCOUNT_MAX_PAUSE_SECONDS)
    assert verify(store, "ceo", PASSWORD, address="192.168.1.1", now=later).status == "ok"


def test_an_address_and_the_whole_server_have_a_ceiling_of_failures(store):
    for n in range(users.ADDRESS_MAX_FAILURES):
        verify(store, f"name{n}", "guess guess guess", address="6.6.6.6", now=T0)
    assert verify(store, "another", "guess guess guess", address="6.6.6.6", now=T0).status == "throttled"
    assert verify(store, "another", "guess guess guess", address="7.7.7.7", now=T0).status == "refused"
    window = _seconds(users.ADDRESS_WINDOW_SECONDS + 1)
    assert verify(store, "another", "guess guess guess", address="6.6.6.6", now=T0 + window).status == "refused"


def test_every_attempt_is_audited_with_its_address_and_outcome(store):
    add_user(store, "alice", "admin", password=PASSWORD)
    for _ in range(PAIR_FREE_FAILURES + 1):
        verify(store, "alice", "guess guess guess", address="1.2.3.4", now=T0)
    verify(store, "alice", PASSWORD, address="10.0.0.7", now=T0)
    events = users_events(store)
    assert events == [
        ("sign_in_failed", "password from 1.2.3.4"),
        ("sign_in_failed", "password from 1.2.3.4"),
        ("sign_in_failed", "password from 1.2.3.4"),
        ("sign_in_failed", "throttled (name and address) from 1.2.3.4"),
        ("sign_in", "password from 10.0.0.7"),
    ]


def users_events(db) -> list[tuple[str, str]]:
    from data.audit import list_events

    frame = list_events(db).sort_values("event_id")
    return list(zip(frame["action"], frame["detail"], strict=True))


def test_unlock_lifts_the_waits(store):
    add_user(store, "alice", "admin", password=PASSWORD)
    for _ in range(ACCOUNT_PAUSE_AFTER):
        verify(store, "alice", "guess guess guess", address="1.2.3.4", now=T0)
    unlock_user(store, "alice")
    assert verify(store, "alice", PASSWORD, address="1.2.3.4", now=T0).status == "ok"


def test_a_success_forgets_earlier_failures(store):
    add_user(store, "alice", "admin", password=PASSWORD)
    for _ in range(PAIR_FREE_FAILURES - 1):
        verify(store, "alice", "typo typo typo", now=T0)
    assert get_user(store, "alice")["failed_attempts"] == PAIR_FREE_FAILURES - 1
    assert verify(store, "alice", PASSWORD, now=T0).status == "ok"
    assert get_user(store, "alice")["failed_attempts"] == 0


def test_set_password_replaces_the_old_one_and_lifts_a_lock(store):
    add_user(store, "alice", "admin", password=PASSWORD)
    for _ in range(ACCOUNT_PAUSE_AFTER):
        verify(store, "alice", "guess guess guess", now=T0)
    set_password(store, "alice", "a brand new passphrase")
    assert verify(store, "alice", PASSWORD, now=T0).status == "refused"
    assert verify(store, "alice", "a brand new passphrase", now=T0).status == "ok"


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
def test_bad_accounts_are_refused_with_a_reason(store, kwargs, code):
    add_user(store, "alice", "admin", password=PASSWORD, email="alice@example.com")
    with pytest.raises(Refused) as caught:
        add_user(store, **kwargs)
    assert caught.value.code == code
    assert len(list_users(store)) == 1


def test_the_last_active_admin_cannot_be_demoted_or_disabled(store):
    add_user(store, "alice", "admin", password=PASSWORD)
    with pytest.raises(Refused, match="last_admin"):
        set_role(store, "alice", "leader")
    with pytest.raises(Refused, match="last_admin"):
        set_active(store, "alice", False)
    add_user(store, "bob", "admin", password=PASSWORD)
    set_role(store, "alice", "leader")
    assert get_user(store, "alice")["role"] == "leader"


def test_single_sign_on_maps_an_email_to_an_active_account_only(store):
    add_user(store, "li.na", "leader", email="Li.Na@Example.com")
    assert not get_user(store, "li.na")["has_password"]
    assert user_for_email(store, "li.na@example.COM")["role"] == "leader"
    assert user_for_email(store, "stranger@example.com") is None
    add_user(store, "boss", "admin", password=PASSWORD)
    set_active(store, "li.na", False)
    assert user_for_email(store, "li.na@example.com") is None
    # an account without a password cannot sign in with one
    assert verify(store, "li.na", "", now=T0).status == "refused"


def test_an_unknown_name_is_braked_exactly_like_a_real_account(store):
    add_user(store, "alice", "admin", password=PASSWORD)
    known, unknown = [], []
    for n in range(2 * ACCOUNT_PAUSE_AFTER):
        at = T0 + _seconds(n // 4)
        address = f"10.0.0.{n % 3}"
        known.append(verify(store, "alice", "guess guess guess", address=address, now=at))
        unknown.append(verify(store, "no.such.person", "guess guess guess", address=address, now=at))
    assert known == unknown and {a.status for a in known} == {"refused", "throttled"}


@pytest.mark.parametrize(
    ("password", "code"),
    [
        (" " * 12, "password_too_short"),
        ("short", "password_too_short"),
        ("a" * 12, "password_one_character"),
        ("Wang.Fang.Long", "password_is_username"),
        ("Password123", "password_common"),
        ("qwertyuiop", "password_common"),
    ],
)
def test_the_password_policy_refuses_weak_passwords_with_a_reason(store, password, code):
    with pytest.raises(Refused) as caught:
        add_user(store, "wang.fang.long", "leader", password=password)
    assert caught.value.code == code
    add_user(store, "wang.fang.long", "leader", password=PASSWORD)
    with pytest.raises(Refused) as caught:
        set_password(store, "wang.fang.long", password)
    assert caught.value.code == code


def test_a_display_name_with_bidi_control_characters_is_refused(store):
    with pytest.raises(Refused) as caught:
        add_user(store, "eve", "leader", display_name="Eve \u202enimdA", password=PASSWORD)
    assert caught.value.code == "bidi_control"
    assert get_user(store, "eve") is None


def test_failures_older_than_a_day_are_forgotten_and_pruned(store):
    """The brakes count in the database (migration 0013): a day later a pair's failures and an unknown
    name's count are forgotten, and their rows are deleted by a later failure."""
    add_user(store, "alice", "admin", password=PASSWORD)
    for _ in range(PAIR_FREE_FAILURES):
        verify(store, "alice", "guess guess guess", address="1.2.3.4", now=T0)
    for n in range(ACCOUNT_PAUSE_AFTER):
        verify(store, "no.such.person", "guess guess guess", address=f"10.0.0.{n}", now=T0)
    assert verify(store, "no.such.person", PASSWORD, address="10.0.1.1", now=T0).status == "throttled"
    con = store.connection()
    assert (
        con.execute("SELECT count(*) FROM sign_in_failures").fetchone()[0] == PAIR_FREE_FAILURES + ACCOUNT_PAUSE_AFTER
    )
    later = T0 + _seconds(users.FAILURES_KEPT_SECONDS + 1)
    # the unknown name starts again from its first attempt: not paused, counted once
    assert verify(store, "no.such.person", "guess guess guess", address="10.0.1.1", now=later).status == "refused"
    assert con.execute("SELECT failed_attempts FROM sign_in_unknown_names").fetchall() == [(1,)]
    # the pair is free again; the old failures are gone from the table
    assert verify(store, "alice", "guess guess guess", address="1.2.3.4", now=later).status == "refused"
    rows = con.execute("SELECT failed_at, username, address FROM sign_in_failures ORDER BY username").fetchall()
    assert rows == [(later, "alice", "1.2.3.4"), (later, "no.such.person", "10.0.1.1")]


# Issue 23: several app processes (replicas) share one PostgreSQL store; the brakes hold across them.


@pytest.fixture
def replicas(pg_server, pg_empty_template):
    """Two PostgresDatabase instances (each with its own pool and process state, as two replicas
    have) on one fresh PostgreSQL database."""
    from data.pg import PostgresDatabase
    from tests.conftest import _pg_copy

    copies = _pg_copy(pg_server, pg_empty_template)
    first = next(copies)
    second = PostgresDatabase(first.path, migrate=False)
    try:
        yield first, second
    finally:
        second.close()
        copies.close()


def test_a_pair_wait_set_on_one_replica_holds_on_another(replicas):
    a, b = replicas
    add_user(a, "alice", "admin", password=PASSWORD)
    for n in range(PAIR_FREE_FAILURES):
        assert verify((a, b)[n % 2], "alice", "guess guess guess", address="1.2.3.4", now=T0).status == "refused"
    braked = verify(b, "alice", PASSWORD, address="1.2.3.4", now=T0)
    assert braked == users.SignIn("throttled", wait_seconds=1.0)
    assert verify(a, "alice", PASSWORD, address="1.2.3.4", now=T0).wait_seconds == 1.0
    # an admin's unlock on one replica lifts the wait on the other
    unlock_user(a, "alice")
    assert verify(b, "alice", PASSWORD, address="1.2.3.4", now=T0).status == "ok"


def test_a_success_on_one_replica_forgets_the_pair_s_failures_on_another(replicas):
    a, b = replicas
    add_user(a, "alice", "admin", password=PASSWORD)
    for _ in range(PAIR_FREE_FAILURES - 1):
        verify(a, "alice", "typo typo typo", address="1.2.3.4", now=T0)
    assert verify(b, "alice", PASSWORD, address="1.2.3.4", now=T0).status == "ok"
    for _ in range(PAIR_FREE_FAILURES):  # three free failures again, not one
        assert verify(a, "alice", "typo typo typo", address="1.2.3.4", now=T0).status == "refused"
    assert verify(b, "alice", PASSWORD, address="1.2.3.4", now=T0).status == "throttled"


def test_an_address_window_fills_from_every_replica(replicas):
    a, b = replicas
    for n in range(users.ADDRESS_MAX_FAILURES):
        assert verify((a, b)[n % 2], f"name{n}", "guess guess guess", address="6.6.6.6", now=T0).status == "refused"
    for replica in (a, b):
        answer = verify(replica, "another", "guess guess guess", address="6.6.6.6", now=T0)
        assert answer == users.SignIn("throttled", wait_seconds=float(users.ADDRESS_WINDOW_SECONDS))
    assert verify(b, "another", "guess guess guess", address="7.7.7.7", now=T0).status == "refused"


def test_an_unknown_name_is_counted_across_replicas_like_a_real_account(replicas):
    a, b = replicas
    add_user(a, "alice", "admin", password=PASSWORD)
    for name in ("alice", "no.such.person"):
        for n in range(ACCOUNT_PAUSE_AFTER):
            verify((a, b)[n % 2], name, "guess guess guess", address=f"10.0.{len(name)}.{n}", now=T0)
    known = verify(a, "alice", "guess guess guess", address="192.168.1.1", now=T0)
    unknown = verify(b, "no.such.person", "guess guess guess", address="192.168.1.1", now=T0)
    assert known == unknown == users.SignIn("throttled", wait_seconds=1.0)


@pytest.mark.parametrize("name", ["ceo", "no.such.person"])
def test_parallel_guesses_on_two_replicas_take_turns_per_name(replicas, name):
    """Eight guessers, four on each replica, one name, one address, one instant: the attempts take
    turns across the replicas, so exactly the free failures are checked and every other attempt is
    braked unchecked."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    a, b = replicas
    add_user(a, "ceo", "admin", password=PASSWORD)
    start = threading.Barrier(8)

    def guesser(n: int) -> str:
        start.wait()
        return verify((a, b)[n % 2], name, f"guess number {n}", address="6.6.6.6", now=T0).status

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(guesser, range(8)))
    assert sorted(answers) == ["refused"] * PAIR_FREE_FAILURES + ["throttled"] * (8 - PAIR_FREE_FAILURES)
