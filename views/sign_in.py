"""Sign in: a local account's username and password, or single sign-on when it is configured."""

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from ui.access import (
    EVERYONE,
    EXPIRED_KEY,
    SIGNED_OUT_KEY,
    SSO_REFUSED_KEY,
    current_user,
    sign_in_with_password,
    sso_enabled,
)
from ui.frame import preload_chart_library, t
from ui.navigation import home_page

REDIRECT_KEY = "sign_in.redirect"

st.title(t("auth_title"))
user = current_user()
if user is not None:
    if st.session_state.pop(REDIRECT_KEY, False):
        # Just signed in: on to the first page of the person's menu.
        target = home_page(user["role"])
        if target is not None and target.roles is not EVERYONE:
            try:
                st.switch_page(target.path)
            except StreamlitPageNotFoundError:
                pass  # the page runs without the app's menu (AppTest): stay and say who is signed in
    st.success(t("auth_already", name=user["display_name"], role=t(f"role_{user['role']}")))
    st.stop()

if st.session_state.pop(SIGNED_OUT_KEY, False):
    st.success(t("auth_signed_out"))
if st.session_state.pop(EXPIRED_KEY, False):
    st.info(t("auth_expired"))
st.write(t("auth_intro"))
preload_chart_library()  # the dashboards' chart library loads while the person signs in

if sso_enabled():
    st.caption(t("auth_sso_intro"))
    refused = st.session_state.get(SSO_REFUSED_KEY)
    if refused:
        st.error(t("auth_sso_no_account", email=refused))
    st.button(t("auth_sso_button"), on_click=st.login, type="primary", key="sign_in.sso")
    st.stop()

PROBLEM_KEY = "sign_in.problem"


def _check_password() -> None:
    """The form's callback: it runs before the next script run, so when the password is right that
    run already builds the signed-in menu and this page goes straight on to the person's first
    page (one script run fewer between the click and the Overview than signing in in the page body)."""
    username = str(st.session_state.get("sign_in.username") or "")
    password = str(st.session_state.get("sign_in.password") or "")
    st.session_state["sign_in.password"] = ""  # not kept in the session once checked
    if not username.strip() or not password:
        st.session_state[PROBLEM_KEY] = "auth_missing"
    elif sign_in_with_password(username, password) is not None:
        st.session_state[REDIRECT_KEY] = True
    else:
        st.session_state[PROBLEM_KEY] = "auth_failed"


# clear_on_submit: the password does not stay in the session after the attempt.
with st.form("sign_in.form", clear_on_submit=True):
    st.text_input(t("auth_username"), autocomplete="username", max_chars=64, key="sign_in.username")
    st.text_input(
        t("auth_password"), type="password", autocomplete="current-password", max_chars=256, key="sign_in.password"
    )
    st.form_submit_button(t("auth_submit"), type="primary", on_click=_check_password)

problem = st.session_state.pop(PROBLEM_KEY, None)
if problem:
    st.error(t(problem))
