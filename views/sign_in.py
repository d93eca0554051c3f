"""Sign in: a local account's username and password, or single sign-on when it is configured.

The password form is plain HTML posting to the sign-in route (ui/routes.py), because only an HTTP
answer can set the HttpOnly session cookie; the route comes back to this page with ?problem=... when
the attempt failed, or to the app's root (the person's first page) when it succeeded.
"""

from html import escape

import streamlit as st

from ui.access import (
    EXPIRED_KEY,
    SIGNED_OUT_KEY,
    SSO_REFUSED_KEY,
    current_user,
    sso_enabled,
)
from ui.frame import md_escape, preload_chart_library, t
from ui.routes import problem_from_query, sign_in_action

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


def sign_in_form(username_label: str, password_label: str, submit_label: str) -> str:
    """The sign-in form's HTML: labels in the page's language (escaped), the field names the route reads."""
    return (
        f'<form method="post" action="{escape(sign_in_action())}" class="icsat-sign-in">'
        f'<label for="icsat-username">{escape(username_label)}</label>'
        '<input id="icsat-username" name="username" autocomplete="username" maxlength="64" required>'
        f'<label for="icsat-password">{escape(password_label)}</label>'
        '<input id="icsat-password" name="password" type="password" autocomplete="current-password"'
        ' maxlength="256" required>'
        f'<button type="submit">{escape(submit_label)}</button></form>'
        "<style>.icsat-sign-in {display: flex; flex-direction: column; gap: 0.4rem; max-width: 24rem;}"
        " .icsat-sign-in input {padding: 0.5rem; border-radius: 0.5rem; border: 1px solid rgba(49, 51, 63, 0.2);"
        " font: inherit; background: rgb(240, 242, 246);}"
        " .icsat-sign-in button {margin-top: 0.6rem; align-self: flex-start; padding: 0.4rem 1rem;"
        " border-radius: 0.5rem; border: none; background: rgb(255, 75, 75); color: white; font: inherit;"
        " cursor: pointer;}</style>"
    )


preload_chart_library()  # the dashboards' chart library loads while the person signs in

if sso_enabled():
    st.caption(t("auth_sso_intro"))
    refused = st.session_state.get(SSO_REFUSED_KEY)
    if refused:
        st.error(t("auth_sso_no_account", email=refused))
    st.button(t("auth_sso_button"), on_click=st.login, type="primary", key="sign_in.sso")
    st.stop()

st.html(sign_in_form(t("auth_username"), t("auth_password"), t("auth_submit")))
problem = problem_from_query(answer["problem"])
if problem:
    st.error(t(problem, seconds=answer["wait"] if answer["wait"].isdigit() else "60"))
