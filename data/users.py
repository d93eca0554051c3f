"""Sign-in accounts: argon2id password hashes, roles, and the brake on guessing passwords.

Passwords are hashed with argon2id (argon2-cffi's defaults, salted per hash) after one password
policy (`check_password_policy`); nothing stores or logs a password. Failed sign-ins are braked (see
`verify`): growing waits per username and client address, short pauses per account, ceilings per
address and overall; never a long lock that anyone could set off on a colleague. The answer never
says whether the username exists: unknown names go through the same steps (and one hash check) as
known ones, so neither the answer nor its timing tells.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import weakref
import zlib
from collections import OrderedDict, deque
from dataclasses import dataclass

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

# Failed attempts on names without an account, per process (they have no row to count in).
_unknown_failures: dict[str, int] = {}
_UNKNOWN_MAX = 10_000

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
    db.connection().execute(
        "UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE username = ?",
        [hash_password(password, name), name],
    )
    _guard(db).forget_name(name)
    end_sessions_of(db, name)  # a new password signs out every browser that had the old one


def unlock_user(db: Database, username: str) -> None:
    """Lift a lock and forget failed attempts."""
    name = _require(db, username)
    db.connection().execute("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE username = ?", [name])
    _guard(db).forget_name(name)


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
# and the whole server have a ceiling of failures. Unknown names go through the same steps with an
# in-memory count, so neither the answer nor its timing tells which names exist.
PAIR_FREE_FAILURES = 3  # failures of one name from one address before each further attempt must wait
PAIR_MAX_WAIT_SECONDS = 15 * 60  # the wait doubles from 1 s up to this
ACCOUNT_PAUSE_AFTER = 10  # failures in a row on one name (from anywhere) before its attempts are spaced
ACCOUNT_MAX_PAUSE_SECONDS = 60  # the space doubles from 1 s up to this: never a long lock
ADDRESS_MAX_FAILURES, ADDRESS_WINDOW_SECONDS = 30, 10 * 60  # per client address
OVERALL_MAX_FAILURES, OVERALL_WINDOW_SECONDS = 300, 60  # the whole server
_NAME_LOCKS = 64  # striped per-username locks: bounded memory, one attempt at a time per name
_MEMORY_MAX = 10_000  # names and (name, address) pairs remembered; the oldest are forgotten first


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


class _AttemptGuard:
    """The in-process part of the brakes for one database: per-name locks, the per-(name, address)
    waits, the per-address and overall windows, and the counts of names without an account."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.name_locks = [threading.Lock() for _ in range(_NAME_LOCKS)]
        self.pairs: OrderedDict[tuple[str, str], tuple[int, dt.datetime]] = OrderedDict()
        self.unknown: OrderedDict[str, tuple[int, dt.datetime | None]] = OrderedDict()
        self.addresses: dict[str, deque[dt.datetime]] = {}
        self.overall: deque[dt.datetime] = deque()

    def name_lock(self, name: str) -> threading.Lock:
        return self.name_locks[zlib.crc32(name.encode("utf-8", "surrogatepass")) % _NAME_LOCKS]

    def over_limit(self, address: str, now: dt.datetime) -> str | None:
        with self.lock:
            _trim(self.overall, now - dt.timedelta(seconds=OVERALL_WINDOW_SECONDS))
            if len(self.overall) >= OVERALL_MAX_FAILURES:
                return "overall"
            window = self.addresses.get(address)
            if window is not None:
                _trim(window, now - dt.timedelta(seconds=ADDRESS_WINDOW_SECONDS))
                if len(window) >= ADDRESS_MAX_FAILURES:
                    return "address"
            return None

    def pair_wait(self, name: str, address: str, now: dt.datetime) -> float:
        with self.lock:
            failures, not_before = self.pairs.get((name, address), (0, now))
        return max(0.0, (not_before - now).total_seconds()) if failures else 0.0

    def failed(self, name: str, address: str, now: dt.datetime) -> None:
        with self.lock:
            failures = self.pairs.pop((name, address), (0, now))[0] + 1
            self.pairs[(name, address)] = (failures, now + dt.timedelta(seconds=pair_wait_seconds(failures)))
            _bound(self.pairs)
            self.overall.append(now)
            window = self.addresses.setdefault(address, deque())
            window.append(now)
            if len(self.addresses) > _MEMORY_MAX:
                self.addresses = {
                    a: w
                    for a, w in self.addresses.items()
                    if w and w[-1] > now - dt.timedelta(seconds=ADDRESS_WINDOW_SECONDS)
                }

    def forget_name(self, name: str) -> None:
        """An admin unlocked the account or set its password: its waits at every address go."""
        with self.lock:
            for pair in [p for p in self.pairs if p[0] == name]:
                del self.pairs[pair]

    def succeeded(self, name: str, address: str) -> None:
        with self.lock:
            self.pairs.pop((name, address), None)

    def count_unknown(self, name: str) -> tuple[int, dt.datetime | None]:
        """Count an attempt on a name without an account (the caller holds the name's lock)."""
        with self.lock:
            failures, paused_until = self.unknown.pop(name, (0, None))
            self.unknown[name] = (failures + 1, paused_until)
            _bound(self.unknown)
            return failures + 1, paused_until

    def pause_unknown(self, name: str, until: dt.datetime | None) -> None:
        with self.lock:
            failures = self.unknown.get(name, (0, None))[0]
            self.unknown[name] = (failures, until)


def _trim(window: deque[dt.datetime], since: dt.datetime) -> None:
    while window and window[0] <= since:
        window.popleft()


def _bound(memory: OrderedDict) -> None:
    while len(memory) > _MEMORY_MAX:
        memory.popitem(last=False)


_GUARDS: weakref.WeakKeyDictionary[Database, _AttemptGuard] = weakref.WeakKeyDictionary()
_GUARDS_LOCK = threading.Lock()


def _guard(db: Database) -> _AttemptGuard:
    with _GUARDS_LOCK:
        guard = _GUARDS.get(db)
        if guard is None:
            guard = _GUARDS[db] = _AttemptGuard()
        return guard


def verify(
    db: Database, username: str, password: str, *, address: str = "local", now: dt.datetime | None = None
) -> SignIn:
    """Check a username and password from a client `address`, and audit the attempt.

    Returns status "ok" (with the user: username, display_name, role), "refused" (unknown name, wrong
    password, disabled account, account without a password: one answer for all) or "throttled" (not
    checked: this name failed too often from this address, or on this account from anywhere, or this
    address or the whole server failed too often; `wait_seconds` says for how long at most). The
    attempt is counted atomically before the password is checked (UPDATE and SELECT in one
    transaction, attempts on one name one at a time), and audited as sign_in or sign_in_failed
    whatever happens, even an error.
    """
    now = now or utc_now()
    name = username.strip().lower()
    address = (address or "-")[:64]
    guard = _guard(db)
    outcome = SignIn("refused")
    detail = "error"
    try:
        limit = guard.over_limit(address, now)
        if limit is not None:
            detail = f"throttled ({limit})"
            outcome = SignIn(
                "throttled",
                wait_seconds=float(ADDRESS_WINDOW_SECONDS if limit == "address" else OVERALL_WINDOW_SECONDS),
            )
            return outcome
        with guard.name_lock(name):
            wait = guard.pair_wait(name, address, now)
            if wait:
                detail = "throttled (name and address)"
                outcome = SignIn("throttled", wait_seconds=wait)
                return outcome
            # An UPDATE and a SELECT in one transaction, not UPDATE ... RETURNING: DuckDB turns an
            # UPDATE with RETURNING into delete + insert, which it refuses for an account that other
            # tables refer to (department scopes, plan owners: migration 0012). A plain UPDATE of
            # these columns is done in place.
            with db.transaction() as tx:
                tx.execute("UPDATE users SET failed_attempts = failed_attempts + 1 WHERE username = ?", [name])
                rows = tx.execute(
                    "SELECT failed_attempts, locked_until, password_hash, active, display_name, role"
                    " FROM users WHERE username = ?",
                    [name],
                ).fetchall()
            row = rows[0] if rows else None
            if row is None:
                failures, paused_until = guard.count_unknown(name)
                password_hash, active, display_name, role = None, False, None, None
            else:
                failures, paused_until, password_hash, active, display_name, role = row
            if paused_until is not None and paused_until > now:
                detail = "throttled (account)"
                outcome = SignIn("throttled", wait_seconds=(paused_until - now).total_seconds())
                return outcome
            matches = _password_matches(password_hash or _DUMMY_HASH, password)
            if matches and active and password_hash is not None:
                if _HASHER.check_needs_rehash(password_hash):
                    db.connection().execute(
                        "UPDATE users SET password_hash = ? WHERE username = ?", [_HASHER.hash(password), name]
                    )
                db.connection().execute(
                    "UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE username = ?", [name]
                )
                guard.succeeded(name, address)
                detail = "password"
                outcome = SignIn("ok", {"username": name, "display_name": display_name, "role": role})
                return outcome
            pause = account_pause_seconds(failures)
            until = now + dt.timedelta(seconds=pause) if pause else None
            if row is None:
                guard.pause_unknown(name, until)
            elif until is not None:
                db.connection().execute("UPDATE users SET locked_until = ? WHERE username = ?", [until, name])
            guard.failed(name, address, now)
            detail = "password"
            return outcome
    finally:
        actor = name[:64] or "-"
        action = Action.SIGN_IN if outcome.status == "ok" else Action.SIGN_IN_FAILED
        record_event(db, actor, action, detail=f"{detail} from {address}")


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
