"""Sign-in accounts: argon2id password hashes, roles, and the brake on guessing passwords.

Passwords are hashed with argon2id (argon2-cffi's defaults, salted per hash) after one password
policy (`check_password_policy`); nothing stores or logs a password. Failed sign-ins are braked (see
`verify`): growing waits per username and client address, short pauses per account, ceilings per
address and overall; never a long lock that anyone could set off on a colleague. The answer never
says whether the username exists: unknown names go through the same steps (and one hash check) as
known ones, so neither the answer nor its timing tells. The brakes count in the database (the tables
sign_in_failures and sign_in_unknown_names beside the accounts' own counts), and attempts on one name
take turns in a transaction (on PostgreSQL by an advisory lock), so that several app processes
sharing one PostgreSQL store brake a guesser together.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import weakref
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from data.audit import Action, record_event
from data.db import Database
from data.problems import Refused, refusal
from data.sessions import end_sessions_of
from data.text_rules import has_bidi_control

ROLES = ("leader", "analyst", "admin")
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")
MIN_PASSWORD_LENGTH = 10
# Refused whatever their length: the most common passwords of 10+ characters in breach lists, and this
# product's own name. (Shorter ones are refused by MIN_PASSWORD_LENGTH already.)
COMMON_PASSWORDS = frozenset(
    {
        "password123",
        "password1234",
        "password12345",
        "passw0rd123",
        "1234567890",
        "0123456789",
        "12345678910",
        "123456789a",
        "a123456789",
        "1q2w3e4r5t",
        "q1w2e3r4t5",
        "qwertyuiop",
        "qwerty1234",
        "qwerty12345",
        "qwerty123456",
        "1qaz2wsx3edc",
        "zaq12wsxcde3",
        "asdfghjkl1",
        "iloveyou12",
        "iloveyou123",
        "abc1234567",
        "abcd123456",
        "abcdefghij",
        "welcome123",
        "welcome1234",
        "changeme123",
        "letmein123",
        "administrator",
        "admin12345",
        "admin123456",
        "football123",
        "princess123",
        "sunshine123",
        "monkey12345",
        "dragon12345",
        "baseball123",
        "trustno1234",
        "superman123",
        "p@ssw0rd123",
        "icsat12345",
        "icsatpassword",
        "icsat123456",
    }
)

_HASHER = PasswordHasher()
# Verified against when the username is unknown, so that an unknown name takes as long as a known one.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")

_SELECT_USERS = (
    "SELECT username, display_name, email, role, active, is_demo, failed_attempts, locked_until, created_at,"
    " password_hash IS NOT NULL AS has_password,"
    " coalesce((SELECT string_agg(d.dept_code, ', ' ORDER BY d.dept_code) FROM user_departments d"
    " WHERE d.username = users.username), '') AS departments FROM users"
)


def _refused(code: str, **values: object) -> Refused:
    """A refused account change (data.problems): `code` names the rule, `values` fill its message."""
    return refusal("user", code, **values)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: status "ok" (with `user`), "refused" (nothing more), or
    "throttled" (not checked; try again after at most `wait_seconds`)."""

    status: str
    user: dict | None = None
    wait_seconds: float = 0.0


def utc_now() -> dt.datetime:
    """Now in UTC, without a time zone (how the users table stores times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def check_password_policy(password: str, username: str | None = None) -> None:
    """The password policy, in its one place (cli.py and the Users page both come through here).

    Raises Refused: password_too_short (fewer than MIN_PASSWORD_LENGTH characters, or only
    spaces), password_one_character ("aaaaaaaaaa"), password_is_username, password_common.
    """
    if len(password) < MIN_PASSWORD_LENGTH or not password.strip():
        raise _refused("password_too_short", n=MIN_PASSWORD_LENGTH)
    if len(set(password)) == 1:
        raise _refused("password_one_character")
    folded = password.strip().casefold()
    if username and folded == username.strip().casefold():
        raise _refused("password_is_username")
    if folded in COMMON_PASSWORDS:
        raise _refused("password_common")


def hash_password(password: str, username: str | None = None) -> str:
    """The argon2id hash of `password`, after `check_password_policy`."""
    check_password_policy(password, username)
    return _HASHER.hash(password)


def _check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise _refused("bad_username", username=username)
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise _refused("bad_role", role=role, roles=", ".join(ROLES))
    return role


def get_user(db: Database, username: str) -> dict | None:
    """One account as a dict (the `list_users` columns), or None."""
    frame = db.connection().execute(_SELECT_USERS + " WHERE username = ?", [username.strip().lower()]).df()
    return None if frame.empty else frame.iloc[0].to_dict()


def list_users(db: Database) -> pd.DataFrame:
    """Every account, by username. No hashes.

    Returns columns: username, display_name, email, role, active, is_demo, failed_attempts,
    locked_until, created_at, has_password, departments (the scope's codes as "QA, RND"; "" unscoped).
    """
    return db.connection().execute(_SELECT_USERS + " ORDER BY username").df()


def add_user(
    db: Database,
    username: str,
    role: str,
    *,
    display_name: str | None = None,
    email: str | None = None,
    password: str | None = None,
    is_demo: bool = False,
) -> dict:
    """Create an account; `password` None makes a single-sign-on-only account (needs `email`).

    Raises Refused: bad_username, bad_role, the password policy's codes, needs_password_or_email,
    bidi_control (in the display name), exists, email_taken.
    """
    name = _check_username(username)
    _check_role(role)
    mail = email.strip().lower() if email and email.strip() else None
    if password is None and mail is None:
        raise _refused("needs_password_or_email")
    if has_bidi_control(display_name or ""):
        raise _refused("bidi_control")
    password_hash = hash_password(password, name) if password is not None else None
    con = db.connection()
    if con.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchone():
        raise _refused("exists", username=name)
    if mail and con.execute("SELECT 1 FROM users WHERE email = ?", [mail]).fetchone():
        raise _refused("email_taken", email=mail)
    con.execute(
        "INSERT INTO users (username, display_name, email, role, password_hash, is_demo) VALUES (?, ?, ?, ?, ?, ?)",
        [name, (display_name or "").strip() or name, mail, role, password_hash, is_demo],
    )
    return get_user(db, name)


def _require(db: Database, username: str) -> str:
    name = username.strip().lower()
    if get_user(db, name) is None:
        raise _refused("unknown_user", username=username)
    return name


def set_role(db: Database, username: str, role: str) -> None:
    """Change an account's role. Refuses to leave no active admin, and to make a scoped leader
    anything else (only leaders are scoped: see `set_departments`)."""
    name = _require(db, username)
    _check_role(role)
    if role != "leader" and user_departments(db, name):
        raise _refused("scoped_role_change", username=name)
    if role != "admin":
        _keep_an_admin(db, name)
    db.connection().execute("UPDATE users SET role = ? WHERE username = ?", [role, name])


def set_active(db: Database, username: str, active: bool) -> None:
    """Disable (or enable again) an account; a disabled account cannot sign in. Refuses to leave no active admin."""
    name = _require(db, username)
    if not active:
        _keep_an_admin(db, name)
    db.connection().execute("UPDATE users SET active = ? WHERE username = ?", [active, name])
    if not active:
        end_sessions_of(db, name)


def disable_user(db: Database, username: str) -> None:
    """Disable an account (it stays in the table so the audit log keeps its meaning)."""
    set_active(db, username, False)


def set_password(db: Database, username: str, password: str) -> None:
    """Set a new password; also lifts a lock and forgets failed attempts."""
    name = _require(db, username)
    password_hash = hash_password(password, name)
    with _one_attempt_at_a_time(db, name) as tx:
        tx.execute(
            "UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE username = ?",
            [password_hash, name],
        )
        _forget_failures_of(tx, name)
    end_sessions_of(db, name)  # a new password signs out every browser that had the old one


def unlock_user(db: Database, username: str) -> None:
    """Lift a lock and forget failed attempts."""
    name = _require(db, username)
    with _one_attempt_at_a_time(db, name) as tx:
        tx.execute("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE username = ?", [name])
        _forget_failures_of(tx, name)


SCOPED_ROLES = ("leader",)  # an admin is never scoped; an analyst's exports would hold other pairs


def user_departments(db: Database, username: str) -> tuple[str, ...]:
    """The departments an account is scoped to, sorted; () for the whole organisation."""
    rows = (
        db.connection()
        .execute(
            "SELECT dept_code FROM user_departments WHERE username = ? ORDER BY dept_code", [username.strip().lower()]
        )
        .fetchall()
    )
    return tuple(r[0] for r in rows)


def set_departments(db: Database, username: str, codes: list[str]) -> tuple[str, ...]:
    """Scope an account to the departments `codes` (a department head: see ui/scope.py); return the
    scope as stored. `clear_departments` removes a scope.

    Raises Refused: unknown_user, scope_empty (no code), scope_role (only SCOPED_ROLES can be
    scoped), unknown_department.
    """
    name = _require(db, username)
    wanted = sorted({c.strip() for c in codes if c and c.strip()})
    if not wanted:
        raise _refused("scope_empty", username=name)
    role = get_user(db, name)["role"]
    if role not in SCOPED_ROLES:
        raise _refused("scope_role", username=name, role=role)
    known = {
        r[0]
        for r in db.connection()
        .execute("SELECT code FROM departments WHERE list_contains(?, code)", [wanted])
        .fetchall()
    }
    for code in wanted:
        if code not in known:
            raise _refused("unknown_department", department=code)
    with db.transaction() as tx:
        tx.execute("DELETE FROM user_departments WHERE username = ?", [name])
        tx.executemany("INSERT INTO user_departments VALUES (?, ?)", [[name, code] for code in wanted])
    return tuple(wanted)


def clear_departments(db: Database, username: str) -> None:
    """Remove an account's scope: it sees the whole organisation again (as its role allows)."""
    name = _require(db, username)
    db.connection().execute("DELETE FROM user_departments WHERE username = ?", [name])


def _keep_an_admin(db: Database, leaving: str) -> None:
    """Refuse a change that would leave no active admin (nobody could set anything up any more)."""
    con = db.connection()
    leaving_is_admin = con.execute(
        "SELECT count(*) FROM users WHERE username = ? AND role = 'admin' AND active", [leaving]
    ).fetchone()[0]
    others = con.execute(
        "SELECT count(*) FROM users WHERE role = 'admin' AND active AND username <> ?", [leaving]
    ).fetchone()[0]
    if leaving_is_admin and others == 0:
        raise _refused("last_admin")


# The brakes on guessing (issue 16). Every attempt is counted before its password is checked, one at a
# time per username, and audited whatever its outcome. A guesser is slowed per username *and* client
# address (growing waits), so nobody can lock a colleague out from another address for more than
# ACCOUNT_MAX_PAUSE_SECONDS; a name guessed from many addresses is spaced out per account; each address
# and the whole server have a ceiling of failures. Unknown names go through the same steps, counted in
# a row of their own (sign_in_unknown_names), so neither the answer nor its timing tells which names
# exist. Everything is counted in the database (migration 0013; PostgreSQL 0003), so that replicas
# sharing a PostgreSQL store brake together (issue 23). A success deletes its pair's failures, an
# admin's unlock or new password the name's: these then no longer count in their address's window
# either (the in-memory windows of before kept them until they aged out).
PAIR_FREE_FAILURES = 3  # failures of one name from one address before each further attempt must wait
PAIR_MAX_WAIT_SECONDS = 15 * 60  # the wait doubles from 1 s up to this
ACCOUNT_PAUSE_AFTER = 10  # failures in a row on one name (from anywhere) before its attempts are spaced
ACCOUNT_MAX_PAUSE_SECONDS = 60  # the space doubles from 1 s up to this: never a long lock
ADDRESS_MAX_FAILURES, ADDRESS_WINDOW_SECONDS = 30, 10 * 60  # per client address
OVERALL_MAX_FAILURES, OVERALL_WINDOW_SECONDS = 300, 60  # the whole server
# Failures, and the counts of names without an account, older than this are forgotten (and pruned).
# Long enough that a guesser held at the longest pair wait (reached at 13 failures) keeps it: 13
# failures 15 minutes apart fit in a day many times over; the windows and pauses are far shorter.
FAILURES_KEPT_SECONDS = 24 * 60 * 60
_PRUNE_EVERY_SECONDS = 60  # old rows are deleted at most this often per process (by the attempts' clock)
_NAME_LOCKS = 64  # DuckDB: striped per-username locks, one attempt at a time per name in the process
# The first key of PostgreSQL's two-key advisory locks taken per username (the second: hashtext of it).
_SIGN_IN_LOCK_SPACE = 0x51617


def pair_wait_seconds(failures: int) -> float:
    """How long one name must wait at one address after `failures` failures there in a row."""
    return (
        0.0
        if failures < PAIR_FREE_FAILURES
        else float(min(2 ** (failures - PAIR_FREE_FAILURES), PAIR_MAX_WAIT_SECONDS))
    )


def account_pause_seconds(failures: int) -> float:
    """How long every attempt on a name waits after `failures` failures in a row from anywhere."""
    return (
        0.0
        if failures < ACCOUNT_PAUSE_AFTER
        else float(min(2 ** (failures - ACCOUNT_PAUSE_AFTER), ACCOUNT_MAX_PAUSE_SECONDS))
    )


class _ProcessLocks:
    """What stays in this process for one database: the DuckDB name locks (one process owns a DuckDB
    file; on PostgreSQL advisory locks do their work across replicas) and when old rows were last
    pruned. Nothing the brakes count is here."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.name_locks = [threading.Lock() for _ in range(_NAME_LOCKS)]
        self.pruned_at: dt.datetime | None = None

    def name_lock(self, name: str) -> threading.Lock:
        return self.name_locks[zlib.crc32(name.encode("utf-8", "surrogatepass")) % _NAME_LOCKS]


_LOCKS: weakref.WeakKeyDictionary[Database, _ProcessLocks] = weakref.WeakKeyDictionary()
_LOCKS_LOCK = threading.Lock()


def _process_locks(db: Database) -> _ProcessLocks:
    with _LOCKS_LOCK:
        locks = _LOCKS.get(db)
        if locks is None:
            locks = _LOCKS[db] = _ProcessLocks()
        return locks


@contextmanager
def _one_attempt_at_a_time(db: Database, name: str) -> Iterator[Any]:
    """A transaction in which nothing else counts or forgets attempts on `name`: on PostgreSQL an
    advisory lock of the name held until COMMIT (attempts on every replica take turns; on an account
    its row lock would do, on a name without one there is no row to lock); on DuckDB this process's
    lock of the name around the transaction (one process owns the file, and two transactions changing
    one row would meet DuckDB's write conflict)."""
    if db.backend == "postgres":
        with db.transaction() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), hashtext(?))", [_SIGN_IN_LOCK_SPACE, name])
            yield tx
    else:
        with _process_locks(db).name_lock(name), db.transaction() as tx:
            yield tx


def _over_limit(con: Any, address: str, now: dt.datetime) -> str | None:
    """The ceiling of failures reached in its window, "overall" or "address"; else None."""
    since = now - dt.timedelta(seconds=OVERALL_WINDOW_SECONDS)
    (overall,) = con.execute("SELECT count(*) FROM sign_in_failures WHERE failed_at > ?", [since]).fetchone()
    if overall >= OVERALL_MAX_FAILURES:
        return "overall"
    since = now - dt.timedelta(seconds=ADDRESS_WINDOW_SECONDS)
    (at_address,) = con.execute(
        "SELECT count(*) FROM sign_in_failures WHERE address = ? AND failed_at > ?", [address, since]
    ).fetchone()
    return "address" if at_address >= ADDRESS_MAX_FAILURES else None


def _pair_wait(con: Any, name: str, address: str, now: dt.datetime) -> float:
    """Seconds this name must still wait at this address: from its failures there since its last
    success (at most a day old), the wait of their number counted from the latest."""
    failures, latest = con.execute(
        "SELECT count(*), max(failed_at) FROM sign_in_failures WHERE username = ? AND address = ? AND failed_at > ?",
        [name, address, now - dt.timedelta(seconds=FAILURES_KEPT_SECONDS)],
    ).fetchone()
    if not failures:
        return 0.0
    return max(0.0, (latest + dt.timedelta(seconds=pair_wait_seconds(failures)) - now).total_seconds())


def _count_unknown(con: Any, name: str, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """Count an attempt on a name without an account, as the UPDATE of users counts one on an
    account; return its (failed_attempts, locked_until). A count older than a day starts again."""
    (updated,) = con.execute(
        "UPDATE sign_in_unknown_names"
        " SET failed_attempts = CASE WHEN last_attempt_at > ? THEN failed_attempts + 1 ELSE 1 END, last_attempt_at = ?"
        " WHERE username = ?",
        [now - dt.timedelta(seconds=FAILURES_KEPT_SECONDS), now, name],
    ).fetchone()
    if not updated:
        con.execute(
            "INSERT INTO sign_in_unknown_names (username, failed_attempts, last_attempt_at) VALUES (?, 1, ?)",
            [name, now],
        )
    return con.execute(
        "SELECT failed_attempts, locked_until FROM sign_in_unknown_names WHERE username = ?", [name]
    ).fetchone()


def _forget_failures_of(con: Any, name: str) -> None:
    """An admin unlocked the account or set its password: its waits at every address go."""
    con.execute("DELETE FROM sign_in_failures WHERE username = ?", [name])


def _prune(db: Database, now: dt.datetime) -> None:
    """Delete failures and unknown names' counts older than FAILURES_KEPT_SECONDS, at most every
    _PRUNE_EVERY_SECONDS in this process. Best effort: what is left is pruned next time (counting
    ignores it already). Never in an attempt's way: on PostgreSQL rows an attempt holds are skipped;
    on DuckDB it runs while no attempt of this process is under way (it takes every name lock)."""
    locks = _process_locks(db)
    with locks.lock:
        last = locks.pruned_at
        if last is not None and last <= now < last + dt.timedelta(seconds=_PRUNE_EVERY_SECONDS):
            return
        locks.pruned_at = now
    cutoff = now - dt.timedelta(seconds=FAILURES_KEPT_SECONDS)
    con = db.connection()
    try:
        if db.backend == "postgres":
            con.execute(
                "DELETE FROM sign_in_failures WHERE ctid IN"
                " (SELECT ctid FROM sign_in_failures WHERE failed_at <= ? FOR UPDATE SKIP LOCKED)",
                [cutoff],
            )
            con.execute(
                "DELETE FROM sign_in_unknown_names WHERE username IN (SELECT username FROM sign_in_unknown_names"
                " WHERE last_attempt_at <= ? FOR UPDATE SKIP LOCKED)",
                [cutoff],
            )
            return
        with ExitStack() as every_name:
            for lock in locks.name_locks:
                every_name.enter_context(lock)
            con.execute("DELETE FROM sign_in_failures WHERE failed_at <= ?", [cutoff])
            con.execute("DELETE FROM sign_in_unknown_names WHERE last_attempt_at <= ?", [cutoff])
    except db.errors:
        pass


def verify(
    db: Database, username: str, password: str, *, address: str = "local", now: dt.datetime | None = None
) -> SignIn:
    """Check a username and password from a client `address`, and audit the attempt.

    Returns status "ok" (with the user: username, display_name, role), "refused" (unknown name, wrong
    password, disabled account, account without a password: one answer for all) or "throttled" (not
    checked: this name failed too often from this address, or on this account from anywhere, or this
    address or the whole server failed too often; `wait_seconds` says for how long at most). Each
    attempt on a name runs alone, in one transaction (across replicas on PostgreSQL): its wait is
    read, it is counted before the password is checked, and its failure or success is recorded. It is
    audited as sign_in or sign_in_failed whatever happens, even an error.
    """
    now = now or utc_now()
    name = username.strip().lower()
    address = (address or "-")[:64]
    outcome = SignIn("refused")
    detail = "error"
    failed = False
    try:
        limit = _over_limit(db.connection(), address, now)
        if limit is not None:
            detail = f"throttled ({limit})"
            outcome = SignIn(
                "throttled",
                wait_seconds=float(ADDRESS_WINDOW_SECONDS if limit == "address" else OVERALL_WINDOW_SECONDS),
            )
            return outcome
        with _one_attempt_at_a_time(db, name) as tx:
            decided, decided_detail, failed = _attempt(tx, name, password, address, now)
        # answered only once the attempt's transaction is committed
        outcome, detail = decided, decided_detail
        return outcome
    finally:
        if failed:
            _prune(db, now)
        actor = name[:64] or "-"
        action = Action.SIGN_IN if outcome.status == "ok" else Action.SIGN_IN_FAILED
        record_event(db, actor, action, detail=f"{detail} from {address}")


def _attempt(tx: Any, name: str, password: str, address: str, now: dt.datetime) -> tuple[SignIn, str, bool]:
    """One attempt on `name` inside its transaction (see `verify`): (the answer, the audit detail,
    whether a failure was recorded)."""
    wait = _pair_wait(tx, name, address, now)
    if wait:
        return SignIn("throttled", wait_seconds=wait), "throttled (name and address)", False
    # An UPDATE and a SELECT, not UPDATE ... RETURNING: DuckDB turns an UPDATE with RETURNING into
    # delete + insert, which it refuses for an account that other tables refer to (department scopes,
    # plan owners: migration 0012). A plain UPDATE of these columns is done in place.
    tx.execute("UPDATE users SET failed_attempts = failed_attempts + 1 WHERE username = ?", [name])
    rows = tx.execute(
        "SELECT failed_attempts, locked_until, password_hash, active, display_name, role FROM users WHERE username = ?",
        [name],
    ).fetchall()
    row = rows[0] if rows else None
    if row is None:
        failures, paused_until = _count_unknown(tx, name, now)
        password_hash, active, display_name, role = None, False, None, None
    else:
        failures, paused_until, password_hash, active, display_name, role = row
    if paused_until is not None and paused_until > now:
        return SignIn("throttled", wait_seconds=(paused_until - now).total_seconds()), "throttled (account)", False
    matches = _password_matches(password_hash or _DUMMY_HASH, password)
    if matches and active and password_hash is not None:
        if _HASHER.check_needs_rehash(password_hash):
            tx.execute("UPDATE users SET password_hash = ? WHERE username = ?", [_HASHER.hash(password), name])
        tx.execute("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE username = ?", [name])
        tx.execute("DELETE FROM sign_in_failures WHERE username = ? AND address = ?", [name, address])
        return SignIn("ok", {"username": name, "display_name": display_name, "role": role}), "password", False
    pause = account_pause_seconds(failures)
    if pause:
        until = now + dt.timedelta(seconds=pause)
        if row is None:
            tx.execute("UPDATE sign_in_unknown_names SET locked_until = ? WHERE username = ?", [until, name])
        else:
            tx.execute("UPDATE users SET locked_until = ? WHERE username = ?", [until, name])
    tx.execute("INSERT INTO sign_in_failures (failed_at, username, address) VALUES (?, ?, ?)", [now, name, address])
    return SignIn("refused"), "password", True


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def user_for_email(db: Database, email: str) -> dict | None:
    """The active account whose email is `email` (case-insensitive), for single sign-on; else None."""
    if not email or not email.strip():
        return None
    row = (
        db.connection()
        .execute(
            "SELECT username, display_name, role FROM users WHERE lower(email) = ? AND active",
            [email.strip().lower()],
        )
        .fetchone()
    )
    return None if row is None else {"username": row[0], "display_name": row[1], "role": row[2]}


def account_scope(db: Database, username: str) -> tuple[str, ...]:
    """The departments a signed-in account may see, read on every page run like its role (ui/scope.py);
    () for the whole organisation. Only a leader's scope counts: an admin is never scoped."""
    rows = (
        db.connection()
        .execute(
            "SELECT d.dept_code FROM user_departments d JOIN users u USING (username)"
            " WHERE d.username = ? AND list_contains(?, u.role) ORDER BY d.dept_code",
            [username, list(SCOPED_ROLES)],
        )
        .fetchall()
    )
    return tuple(r[0] for r in rows)


def account_status(db: Database, username: str) -> tuple[bool, str] | None:
    """(active, role) of an account, or None when there is no such account (checked on every page run)."""
    row = db.connection().execute("SELECT active, role FROM users WHERE username = ?", [username]).fetchone()
    return None if row is None else (bool(row[0]), str(row[1]))


# Documented demo accounts (README "Signing in"): for the demo database only, marked is_demo so the
# users page warns while they are active. Their passwords are public; never create them on real data.
DEMO_ACCOUNTS = (
    ("demo-admin", "Demo Administrator", "admin", "icsat-demo-admin"),
    ("demo-analyst", "Demo Analyst", "analyst", "icsat-demo-analyst"),
    ("demo-leader", "Demo Leader", "leader", "icsat-demo-leader"),
)


def ensure_demo_users(db: Database) -> list[str]:
    """Create the demo accounts that do not exist yet (idempotent); return the names created."""
    created = []
    for username, display_name, role, password in DEMO_ACCOUNTS:
        if get_user(db, username) is None:
            add_user(db, username, role, display_name=display_name, password=password, is_demo=True)
            created.append(username)
    return created
