"""Audit log: who signed in, exported, or changed the organisation, a wave or a user, and when."""

import pandas as pd
import streamlit as st

from data.audit import event_choices, list_events
from ui.access import ADMIN_ROLES, require_role
from ui.frame import db, t

LIMIT = 1000

require_role(*ADMIN_ROLES)
st.title(t("admin_audit_title"))
st.caption(t("admin_audit_intro"))

actors, actions = event_choices(db())


def action_label(action: str) -> str:
    """The action in the reader's language; an action without a text (added elsewhere later) as it is."""
    key = "audit_action_" + action
    label = t(key)
    return action if label == key else label


left, middle, right = st.columns([1, 2, 1])
actor = left.selectbox(
    t("admin_audit_actor"),
    options=[None, *actors],
    format_func=lambda a: t("admin_audit_everyone") if a is None else a,
    key="admin_audit.actor",
)
chosen_actions = middle.multiselect(
    t("admin_audit_action"),
    options=actions,
    format_func=action_label,
    placeholder=t("admin_audit_choose"),
    key="admin_audit.actions",
)
dates = right.date_input(t("admin_audit_from") + " – " + t("admin_audit_to"), value=(), key="admin_audit.dates")
since = dates[0] if len(dates) >= 1 else None
until = dates[1] if len(dates) == 2 else since

events = list_events(db(), LIMIT, actor=actor, actions=chosen_actions or None, since=since, until=until)
if events.empty:
    st.info(t("admin_audit_none"))
    st.stop()
st.caption(t("admin_audit_shown", n=len(events), limit=LIMIT))
st.dataframe(
    pd.DataFrame(
        {
            t("admin_col_when"): events["occurred_at"],
            t("admin_col_actor"): events["actor"],
            t("admin_col_action"): [action_label(a) for a in events["action"]],
            t("admin_col_target"): events["target"].fillna(""),
            t("admin_col_detail"): events["detail"].fillna(""),
        }
    ),
    hide_index=True,
    width="stretch",
    column_config={t("admin_col_when"): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")},
)
