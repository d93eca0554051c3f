"""Users: add an account, change its role or password, disable or enable it, lift a lock, limit a
leader to departments (a department head, ui/scope.py)."""

import pandas as pd
import streamlit as st

from data.org import list_departments, names_by_code
from data.problems import Refused
from data.users import ROLES, list_users
from services import accounts as account_service
from ui.access import ADMIN_ROLES, require_role
from ui.frame import db, lang, t
from ui.problems import show_problems

user = require_role(*ADMIN_ROLES)
st.title(t("admin_users_title"))
st.caption(t("admin_users_intro"))

notice = st.session_state.pop("admin_users.notice", None)
if notice:
    st.success(notice)


def _role(value: str) -> str:
    return t(f"role_{value}")


def _done(message: str) -> None:
    st.session_state["admin_users.notice"] = message
    st.rerun()


accounts = list_users(db())
demo = accounts[accounts["is_demo"] & accounts["active"]]
if not demo.empty:
    st.warning(t("admin_users_demo_warning", names=", ".join(demo["username"])))
st.dataframe(
    pd.DataFrame(
        {
            t("admin_col_username"): accounts["username"],
            t("admin_col_display"): accounts["display_name"],
            t("admin_col_email"): accounts["email"].fillna(""),
            t("admin_col_role"): [_role(r) for r in accounts["role"]],
            t("admin_col_departments"): [d or t("admin_users_whole_org") for d in accounts["departments"]],
            t("admin_col_user_active"): accounts["active"],
            t("admin_col_demo"): accounts["is_demo"],
            t("admin_col_locked"): ["" if pd.isna(v) else str(v) for v in accounts["locked_until"]],
            t("admin_col_created"): accounts["created_at"],
        }
    ),
    hide_index=True,
    width="stretch",
)

if not accounts.empty:
    st.subheader(t("admin_users_change"))
    name = st.selectbox(t("admin_users_choose"), options=list(accounts["username"]), key="admin_users.chosen")
    row = accounts.set_index("username").loc[name]
    left, middle, right = st.columns(3)
    with left:
        new_role = st.selectbox(
            t("admin_users_new_role"),
            options=list(ROLES),
            index=list(ROLES).index(row["role"]),
            format_func=_role,
            key="admin_users.new_role",
        )
        change_role = st.button(t("admin_users_set_role"), key="admin_users.set_role")
    with middle, st.form("admin_users.password_form", clear_on_submit=True, border=False):
        # A form cleared on submit: the new password does not stay in the session.
        new_password = st.text_input(t("admin_users_new_password"), type="password", autocomplete="new-password")
        change_password = st.form_submit_button(t("admin_users_set_password"))
    with right:
        st.write("")
        toggle = st.button(
            t("admin_users_disable") if row["active"] else t("admin_users_enable"), key="admin_users.toggle"
        )
        unlock = st.button(t("admin_users_unlock"), key="admin_users.unlock", disabled=pd.isna(row["locked_until"]))
    units = list_departments(db())
    names = names_by_code(units, lang())
    scoped = [code for code in row["departments"].split(", ") if code]
    choices = [code for code in units["code"] if code in scoped or bool(units.set_index("code").loc[code, "active"])]
    scope_choice = st.multiselect(
        t("admin_users_scope"),
        options=choices,
        default=scoped,
        format_func=lambda code: f"{names.get(code, code)} ({code})",
        help=t("admin_users_scope_help"),
        placeholder=t("admin_users_scope_placeholder"),
        # per account and stored scope: a new widget (showing what is stored) after every change
        key=f"admin_users.scope.{name}.{'-'.join(scoped)}",
    )
    left, right = st.columns(2)
    set_scope = left.button(t("admin_users_set_scope"), key="admin_users.set_scope")
    clear_scope = right.button(t("admin_users_clear_scope"), key="admin_users.clear_scope", disabled=not scoped)
    try:
        if set_scope:
            account_service.set_scope(db(), user["username"], name, scope_choice)
            _done(t("admin_saved"))
        if clear_scope:
            account_service.clear_scope(db(), user["username"], name)
            _done(t("admin_saved"))
        if change_role and new_role != row["role"]:
            account_service.set_role(db(), user["username"], name, new_role)
            _done(t("admin_saved"))
        if change_password:
            account_service.set_password(db(), user["username"], name, new_password)
            _done(t("admin_saved"))
        if toggle:
            account_service.set_active(db(), user["username"], name, not row["active"])
            _done(t("admin_saved"))
        if unlock:
            account_service.unlock(db(), user["username"], name)
            _done(t("admin_saved"))
    except Refused as refused:
        show_problems(refused.problems, lang())

st.subheader(t("admin_users_add"))
with st.form("admin_users.add", clear_on_submit=True):
    left, right = st.columns(2)
    username = left.text_input(t("admin_users_username"), max_chars=64)
    display_name = right.text_input(t("admin_users_display"), max_chars=80)
    email = left.text_input(t("admin_users_email"), max_chars=254)
    role = right.selectbox(t("admin_users_role"), options=list(ROLES), format_func=_role)
    password = st.text_input(t("admin_users_password"), type="password", autocomplete="new-password")
    submitted = st.form_submit_button(t("admin_users_add_button"), type="primary")
if submitted:
    try:
        added = account_service.add(
            db(),
            user["username"],
            username,
            role,
            display_name=display_name,
            email=email or None,
            password=password or None,
        )
    except Refused as refused:
        show_problems(refused.problems, lang())
    else:
        _done(t("admin_users_added", username=added["username"]))
