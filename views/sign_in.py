"""Sign in: a local account's username and password, or single sign-on when it is configured.

The password form is plain HTML posting to the sign-in route (ui/routes.py), because only an HTTP
answer can set the HttpOnly session cookie; the route comes back to this page with ?problem=... when
the attempt failed, or to the person's first page (ui/navigation.py `home_page`) when it succeeded.
"""

import streamlit as st

from ui.access import (
    EXPIRED_KEY,
    SIGNED_OUT_KEY,
    SSO_REFUSED_KEY,
    current_user,
    sso_enabled,
)
from ui.frame import lang, md_escape, preload_chart_library, t
from ui.routes import problem_from_query, sign_in_form

st.title(t("auth_title"))
user = current_user()
if user is not None:
    st.success(t("auth_already", name=md_escape(user["display_name"]), role=t(f"role_{user['role']}")))
    st.stop()

# The routes come back here with ?signed_out=1 or ?problem=...&wait=... (harmless if typed: they only
# choose one of our own lines); read once, then taken out of the address bar.
answer = {key: st.query_params.get(key, "") for key in ("signed_out", "problem", "wait")}
for key in answer:
    st.query_params.pop(key, None)
if st.session_state.pop(SIGNED_OUT_KEY, False) or answer["signed_out"] == "1":
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

st.html(sign_in_form(t("auth_username"), t("auth_password"), t("auth_submit"), lang()))
problem = problem_from_query(answer["problem"])
if problem:
    st.error(t(problem, seconds=answer["wait"] if answer["wait"].isdigit() else "60"))
