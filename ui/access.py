"""Who may see what: roles, the signed-in user, and the check every page makes first.

The signed-in user lives in session state under `auth.user` as a small dict (username,
display_name, role, signed_in_at as ISO text): serialisable, and nothing secret in it.
Every results or admin page calls `require_role(...)` itself, so opening a page's URL directly
gets the same answer as the menu.
"""

from __future__ import annotations

import streamlit as st

from ui.frame import t

ROLES = ("leader", "analyst", "admin")
DASHBOARD_ROLES = ("leader", "analyst", "admin")
EXPORT_ROLES = ("analyst", "admin")
ADMIN_ROLES = ("admin",)
USER_KEY = "auth.user"
EVERYONE = None  # a page open to visitors without an account (the staff survey, the sign-in page)


def current_user() -> dict | None:
    """The signed-in user, or None."""
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, dict) and user.get("role") in ROLES else None


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
