"""Sign-in accounts: argon2id password hashes, roles, and the brake on guessing passwords.

Passwords are hashed with argon2id (argon2-cffi's defaults, salted per hash); nothing stores or logs
a password. Repeated failed sign-ins first slow down (a growing pause before the answer) and then
lock the account for `LOCK_MINUTES`. The answer to a failed sign-in never says whether the username
exists: unknown names, wrong passwords, disabled and locked accounts all give the same `SignIn`
status "refused", and an unknown name still costs one hash verification so timing does not tell.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from data.db import Database

ROLES = ("leader", "analyst", "admin")
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")
MIN_PASSWORD_LENGTH = 10
SLOW_AFTER = 3  # failures before each further attempt waits
SLOW_SECONDS = 1.0  # the pause grows by this much per failure beyond SLOW_AFTER
LOCK_AFTER = 6  # failures in a row that lock the account
LOCK_MINUTES = 15

_HASHER = PasswordHasher()
# Verified against when the username is unknown, so that an unknown name takes as long as a known one.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")

# Failed attempts on names without an account, per process (they have no row to count in).
_unknown_failures: dict[str, int] = {}
_UNKNOWN_MAX = 10_000

_SELECT_USERS = (
    "SELECT username, display_name, email, role, active, is_demo, failed_attempts, locked_until, created_at,"
    " password_hash IS NOT NULL AS has_password FROM users"
)


class UserError(ValueError):
    """A refused account change; `code` names the rule (for a translated message), `values` fill it."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(f"{code}: {values}" if values else code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: status "ok" (with `user`) or "refused" (nothing more)."""

    status: str
    user: dict | None = None


def utc_now() -> dt.datetime:
    """Now in UTC, without a time zone (how the users table stores times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def hash_password(password: str) -> str:
    """The argon2id hash of `password`; refuses one shorter than MIN_PASSWORD_LENGTH."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("password_too_short", n=MIN_PASSWORD_LENGTH)
    return _HASHER.hash(password)


def _check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise UserError("bad_username", username=username)
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError("bad_role", role=role, roles=", ".join(ROLES))
    return role


def get_user(db: Database, username: str) -> dict | None:
    """One account as a dict (the `list_users` columns), or None."""
    frame = db.connection().execute(_SELECT_USERS + " WHERE username = ?", [username.strip().lower()]).df()
    return None if frame.empty else frame.iloc[0].to_dict()


def list_users(db: Database) -> pd.DataFrame:
    """Every account, by username. No hashes.

    Returns columns: username, display_name, email, role, active, is_demo, failed_attempts,
    locked_until, created_at, has_password.
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

    Raises UserError: bad_username, bad_role, password_too_short, needs_password_or_email, exists, email_taken.
    """
    name = _check_username(username)
    _check_role(role)
    mail = email.strip().lower() if email and email.strip() else None
    if password is None and mail is None:
        raise UserError("needs_password_or_email")
    password_hash = hash_password(password) if password is not None else None
    con = db.connection()
    if con.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchone():
        raise UserError("exists", username=name)
    if mail and con.execute("SELECT 1 FROM users WHERE email = ?", [mail]).fetchone():
        raise UserError("email_taken", email=mail)
    con.execute(
        "INSERT INTO users (username, display_name, email, role, password_hash, is_demo) VALUES (?, ?, ?, ?, ?, ?)",
        [name, (display_name or "").strip() or name, mail, role, password_hash, is_demo],
    )
    return get_user(db, name)


def _require(db: Database, username: str) -> str:
    name = username.strip().lower()
    if get_user(db, name) is None:
        raise UserError("unknown_user", username=username)
    return name


def set_role(db: Database, username: str, role: str) -> None:
    """Change an account's role. Refuses to leave no active admin."""
    name = _require(db, username)
    _check_role(role)
    if role != "admin":
        _keep_an_admin(db, name)
    db.connection().execute("UPDATE users SET role = ? WHERE username = ?", [role, name])


def set_active(db: Database, username: str, active: bool) -> None:
    """Disable (or enable again) an account; a disabled account cannot sign in. Refuses to leave no active admin."""
    name = _require(db, username)
    if not active:
        _keep_an_admin(db, name)
    db.connection().execute("UPDATE users SET active = ? WHERE username = ?", [active, name])


def disable_user(db: Database, username: str) -> None:
    """Disable an account (it stays in the table so the audit log keeps its meaning)."""
    set_active(db, username, False)


def set_password(db: Database, username: str, password: str) -> None:
    """Set a new password; also lifts a lock and forgets failed attempts."""
    name = _require(db, username)
    db.connection().execute(
        "UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE username = ?",
        [hash_password(password), name],
    )


def unlock_user(db: Database, username: str) -> None:
    """Lift a lock and forget failed attempts."""
    name = _require(db, username)
    db.connection().execute("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE username = ?", [name])


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
        raise UserError("last_admin")


def slowdown_seconds(failed_attempts: int) -> float:
    """The pause before answering an attempt on an account with `failed_attempts` failures in a row."""
    return max(0, failed_attempts - SLOW_AFTER + 1) * SLOW_SECONDS if failed_attempts >= SLOW_AFTER else 0.0


def verify(
    db: Database,
    username: str,
    password: str,
    *,
    now: dt.datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SignIn:
    """Check a username and password.

    Success returns status "ok" and the user (username, display_name, role) and forgets failed
    attempts. Anything else returns "refused": unknown name, wrong password, disabled account,
    account without a password, or a locked account (even with the right password). A wrong password
    counts a failure; the SLOW_AFTER-th and later failures make the next attempts wait, and the
    LOCK_AFTER-th locks the account for LOCK_MINUTES.
    """
    now = now or utc_now()
    name = username.strip().lower()
    row = (
        db.connection()
        .execute(
            "SELECT username, display_name, role, password_hash, active, failed_attempts, locked_until"
            " FROM users WHERE username = ?",
            [name],
        )
        .fetchone()
    )
    if row is None:
        # The same pauses as for a real account, so the slow-down does not tell which names exist.
        failures = _unknown_failures.get(name, 0)
        pause = slowdown_seconds(failures % LOCK_AFTER)
        if pause:
            sleep(pause)
        _password_matches(_DUMMY_HASH, password)
        if len(_unknown_failures) >= _UNKNOWN_MAX:
            _unknown_failures.clear()  # bounded memory; forgetting only makes guessing slower to notice
        _unknown_failures[name] = failures + 1
        return SignIn("refused")
    _, display_name, role, password_hash, active, failed, locked_until = row
    if locked_until is not None and locked_until > now:
        _password_matches(_DUMMY_HASH, password)  # as long as any other answer
        return SignIn("refused")
    if locked_until is not None:
        # The lock has run out: a fresh start, so one typo does not lock the account again at once.
        failed = 0
    pause = slowdown_seconds(failed)
    if pause:
        sleep(pause)
    if not active or password_hash is None or not _password_matches(password_hash, password):
        failed += 1
        lock = now + dt.timedelta(minutes=LOCK_MINUTES) if failed >= LOCK_AFTER else None
        db.connection().execute(
            "UPDATE users SET failed_attempts = ?, locked_until = ? WHERE username = ?",
            [0 if lock else failed, lock, name],
        )
        return SignIn("refused")
    if _HASHER.check_needs_rehash(password_hash):
        db.connection().execute("UPDATE users SET password_hash = ? WHERE username = ?", [_HASHER.hash(password), name])
    db.connection().execute("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE username = ?", [name])
    return SignIn("ok", {"username": name, "display_name": display_name, "role": role})


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
