"""Who may see what: roles, the signed-in user, and the check every page makes first.

The signed-in user lives in session state under `auth.user` as a small dict (username,
display_name, role, signed_in_at as ISO text): serialisable, and nothing secret in it.
Every results or admin page calls `require_role(...)` itself, so opening a page's URL directly
gets the same answer as the menu.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

import streamlit as st

from data.audit import record_event
from data.users import account_status, user_for_email, utc_now, verify
from ui.frame import db, t

ROLES = ("leader", "analyst", "admin")
DASHBOARD_ROLES = ("leader", "analyst", "admin")
EXPORT_ROLES = ("analyst", "admin")
ADMIN_ROLES = ("admin",)
USER_KEY = "auth.user"
EVERYONE = None  # a page open to visitors without an account (the staff survey, the sign-in page)
SESSION_HOURS = 8  # a sign-in lasts one working day
EXPIRED_KEY = "auth.expired"  # set when a session ran out, so the sign-in page can say why
SSO_REFUSED_KEY = "auth.sso_refused"  # the single-sign-on email that has no account here
SIGNED_OUT_KEY = "auth.signed_out"  # set by sign_out, so the sign-in page can confirm it


def current_user() -> dict | None:
    """The signed-in user, or None.

    Also ends the session when it is older than SESSION_HOURS, when the account has been disabled
    since, and follows a role change made by an admin, so that a change takes effect at the next
    click rather than at the next sign-in. With single sign-on the identity comes from `st.user`.
    """
    user = st.session_state.get(USER_KEY)
    if not (isinstance(user, dict) and user.get("role") in ROLES):
        user = _remembered_user()
        if user is None:
            return _sso_user() if sso_enabled() else None
        st.session_state[USER_KEY] = user
    elif _browser_key() is not None and (_remembered_user() or {}).get("username") != user["username"]:
        # Signed out in another tab of this browser (or someone else signed in there): this tab too.
        st.session_state.pop(USER_KEY, None)
        return None
    if _expired(user.get("signed_in_at")):
        record_event(db(), user["username"], "session_expired")
        _forget_user()
        st.session_state[EXPIRED_KEY] = True
        if sso_enabled() and _sso_logged_in():
            st.logout()
        return None
    status = account_status(db(), user["username"])
    if status is not None:
        active, role = status
        if not active:
            _forget_user()
            return None
        if role != user["role"]:
            user = {**user, "role": role}
            st.session_state[USER_KEY] = user
    return user


def _expired(signed_in_at: object) -> bool:
    try:
        started = dt.datetime.fromisoformat(str(signed_in_at))
    except ValueError:
        return True
    return utc_now() - started > dt.timedelta(hours=SESSION_HOURS)


def _start_session(user: dict) -> dict:
    session = {
        "username": user["username"],
        "display_name": user["display_name"],
        "role": user["role"],
        "signed_in_at": utc_now().isoformat(timespec="seconds"),
    }
    st.session_state[USER_KEY] = session
    key = _browser_key()
    if key is not None:
        sessions, lock = _browser_sessions()
        with lock:
            sessions[key] = session
    st.session_state.pop(EXPIRED_KEY, None)
    st.session_state.pop(SSO_REFUSED_KEY, None)
    return session


def _forget_user() -> None:
    st.session_state.pop(USER_KEY, None)
    key = _browser_key()
    if key is not None:
        sessions, lock = _browser_sessions()
        with lock:
            sessions.pop(key, None)


# Reloading the page or opening a link in the same browser starts a new Streamlit session, which
# would sign the person out. So the server remembers signed-in browsers (in memory: a restart signs
# everyone out), keyed by the SHA-256 of the token in the XSRF cookie Streamlit sets for the browser:
# a random value per browser, sent with every connection, gone when the browser closes. Expiry,
# disabling and role changes are still checked on every run (current_user), and sign-out forgets it.
BROWSER_COOKIE = "_streamlit_xsrf"


@st.cache_resource(show_spinner=False)
def _browser_sessions() -> tuple[dict[str, dict], threading.Lock]:
    return {}, threading.Lock()


def _browser_key() -> str | None:
    token = _xsrf_token(st.context.cookies.get(BROWSER_COOKIE) if st.context.cookies else None)
    return hashlib.sha256(token).hexdigest() if token else None


def _xsrf_token(value: object) -> bytes | None:
    """The random bytes inside a version-2 XSRF cookie ("2|mask|masked token|timestamp")."""
    parts = str(value or "").strip("\"'").split("|")
    if len(parts) != 4 or parts[0] != "2":
        return None
    try:
        mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
    except ValueError:
        return None
    if len(mask) != 4 or len(masked) < 16:
        return None
    return bytes(b ^ mask[i % 4] for i, b in enumerate(masked))


def _remembered_user() -> dict | None:
    key = _browser_key()
    if key is None:
        return None
    sessions, lock = _browser_sessions()
    with lock:
        user = sessions.get(key)
    return dict(user) if user else None


def sign_in_with_password(username: str, password: str) -> dict | None:
    """Check a local account's password; on success start the session. Both outcomes are audited
    (the failed name is recorded as typed: it may be a typo of a real name, never a password)."""
    result = verify(db(), username, password)
    if result.status != "ok":
        record_event(db(), username.strip().lower()[:64] or "-", "sign_in_failed")
        return None
    record_event(db(), result.user["username"], "sign_in", detail="password")
    return _start_session(result.user)


def sign_out() -> None:
    """End the session (and the single-sign-on cookie, when there is one)."""
    user = st.session_state.get(USER_KEY)
    if isinstance(user, dict) and user.get("username"):
        record_event(db(), user["username"], "sign_out")
    _forget_user()
    st.session_state.pop(EXPIRED_KEY, None)
    st.session_state[SIGNED_OUT_KEY] = True
    if sso_enabled() and _sso_logged_in():
        st.logout()


def sso_enabled() -> bool:
    """Single sign-on is on when .streamlit/secrets.toml has an [auth] section."""
    return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)


def _sso_logged_in() -> bool:
    return bool(st.user.get("is_logged_in"))


def _sso_email() -> str | None:
    """The email the identity provider reported, when someone is signed in through it."""
    return str(st.user.get("email") or "") if _sso_logged_in() else None


def _sso_user() -> dict | None:
    """Map the identity provider's email to an account; an unknown or disabled one gets no access."""
    email = _sso_email()
    if email is None:
        return None
    account = user_for_email(db(), email)
    if account is None:
        if st.session_state.get(SSO_REFUSED_KEY) != email:
            record_event(db(), email[:64] or "-", "sign_in_failed", detail="sso: no account")
        st.session_state[SSO_REFUSED_KEY] = email
        return None
    record_event(db(), account["username"], "sign_in", detail="sso")
    return _start_session(account)


def require_role(*roles: str) -> dict:
    """Stop the page unless the signed-in user has one of `roles`; return the user."""
    user = current_user()
    if user is None:
        st.warning(t("access_sign_in_first"))
        st.stop()
    if user["role"] not in roles:
        st.error(t("access_denied"))
        st.stop()
    return user
