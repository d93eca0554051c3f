"""Who may see what: roles, the signed-in user, and the check every page makes first.

A password sign-in is a server-side session (data/sessions.py) named by an HttpOnly cookie that the
sign-in route sets (ui/routes.py); every run reads the cookie through `st.context.cookies` and looks
the session up, so a sign-out, an expiry, a disabled account or a role change applies at the next
click in every tab. No cookie a page script can read (such as Streamlit's XSRF cookie) is trusted.

A single-sign-on user, whose identity comes from `st.user`, is kept in this Streamlit session's state
under `auth.user` as a small dict (username, display_name, role, signed_in_at as ISO text):
serialisable, nothing secret, and only ever written here, on the server (page tests in AppTest,
which has no HTTP layer, sign in the same way). Every results or admin page calls
`require_role(...)` itself, so opening a page's URL directly gets the same answer as the menu.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from data.audit import record_event
from data.sessions import SESSION_HOURS, end_session, session_status, session_user
from data.users import ROLES, account_status, user_for_email, utc_now
from ui.frame import db, t
from ui.routes import SESSION_COOKIE

DASHBOARD_ROLES = ROLES  # every role sees the dashboards (data.users.ROLES is the one list of roles)
EXPORT_ROLES = ("analyst", "admin")
ADMIN_ROLES = ("admin",)
USER_KEY = "auth.user"
EVERYONE = None  # a page open to visitors without an account (the staff survey, the sign-in page)
EXPIRED_KEY = "auth.expired"  # set when a session ran out, so the sign-in page can say why
SSO_REFUSED_KEY = "auth.sso_refused"  # the single-sign-on email that has no account here
SIGNED_OUT_KEY = "auth.signed_out"  # set by sign_out, so the sign-in page can confirm it


def _session_cookie() -> str | None:
    cookies = st.context.cookies
    value = cookies.get(SESSION_COOKIE) if cookies else None
    return str(value) if value else None


def cookie_session_user() -> dict | None:
    """The user of this browser's password session (the HttpOnly cookie), or None. An expired
    session is ended and audited here, and the sign-in page is told why."""
    token = _session_cookie()
    if token is None:
        return None
    user = session_user(db(), token)
    if user is None and session_status(db(), token) == "expired":
        username = end_session(db(), token)
        if username:
            record_event(db(), username, "session_expired")
        st.session_state[EXPIRED_KEY] = True
    return user


def current_user() -> dict | None:
    """The signed-in user, or None.

    A password session is looked up on every run (see the module's docstring). A single-sign-on
    session also ends when it is older than SESSION_HOURS or the account has been disabled since,
    and follows a role change made by an admin at the next click.
    """
    user = cookie_session_user()
    if user is not None:
        return user
    user = st.session_state.get(USER_KEY)
    if not (isinstance(user, dict) and user.get("role") in ROLES):
        return _sso_user() if sso_enabled() else None
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
    st.session_state.pop(EXPIRED_KEY, None)
    st.session_state.pop(SSO_REFUSED_KEY, None)
    return session


def _forget_user() -> None:
    st.session_state.pop(USER_KEY, None)


def sign_out() -> None:
    """End a single-sign-on session (a password session ends through the sign-out route, which also
    deletes its cookie)."""
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
