"""Accounts: add, change role, set password, disable or enable, unlock, scope to departments; each
audited and versioned.

The Users page and `cli.py user` / `cli.py demo-users` call these, so an account change is recorded
under the same action and with the same detail wherever it was made. The rules themselves (username,
roles, password policy, keeping an active admin) stay in data/users.py; a refusal raises
`data.problems.Refused` before anything is written or recorded.
"""

from __future__ import annotations

from data import users
from data.audit import Action, record_event
from data.db import Database
from services.versions import changed


def _done(db: Database, actor: str, action: Action, username: str, detail: str | None = None) -> None:
    record_event(db, actor, action, target=username, detail=detail)
    changed()


def add(db: Database, actor: str, username: str, role: str, **details: str | None) -> dict:
    """Create an account; `details` are `data.users.add_user`'s display_name, email and password
    (password None: single sign-on only). Return the account as `data.users.get_user` does."""
    user = users.add_user(db, username, role, **details)
    _done(db, actor, Action.USER_ADD, user["username"], role)
    return user


def add_demo_accounts(db: Database, actor: str) -> list[str]:
    """The documented demo accounts that do not exist yet; return the names created."""
    created = users.ensure_demo_users(db)
    for name in created:
        _done(db, actor, Action.USER_ADD, name, "demo account")
    return created


def set_role(db: Database, actor: str, username: str, role: str) -> None:
    """Change an account's role; the audit detail says from what to what."""
    before = users.get_user(db, username)
    users.set_role(db, username, role)
    _done(db, actor, Action.USER_SET_ROLE, users.get_user(db, username)["username"], f"{before['role']} -> {role}")


def set_password(db: Database, actor: str, username: str, password: str) -> None:
    """Set a new password (it also lifts a lock and signs the account out everywhere)."""
    users.set_password(db, username, password)
    _done(db, actor, Action.USER_SET_PASSWORD, username.strip().lower())


def set_active(db: Database, actor: str, username: str, active: bool) -> None:
    """Enable or disable an account (disabling signs it out everywhere)."""
    users.set_active(db, username, active)
    _done(db, actor, Action.USER_ENABLE if active else Action.USER_DISABLE, username.strip().lower())


def unlock(db: Database, actor: str, username: str) -> None:
    """Lift a lock after failed sign-ins."""
    users.unlock_user(db, username)
    _done(db, actor, Action.USER_UNLOCK, username.strip().lower())


def set_scope(db: Database, actor: str, username: str, codes: list[str]) -> tuple[str, ...]:
    """Scope a leader to departments (a department head, ui/scope.py); the audit detail lists them."""
    scope = users.set_departments(db, username, codes)
    _done(db, actor, Action.USER_SET_SCOPE, username.strip().lower(), ", ".join(scope))
    return scope


def clear_scope(db: Database, actor: str, username: str) -> None:
    """Let an account see the whole organisation again; audited as a scope of "none"."""
    users.clear_departments(db, username)
    _done(db, actor, Action.USER_SET_SCOPE, username.strip().lower(), "none")
