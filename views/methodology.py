"""Methodology: what each figure on the results pages means, in the reader's language (the in-app
counterpart of docs/methodology.md, written for leaders rather than analysts)."""

import streamlit as st

from ui.access import DASHBOARD_ROLES, require_role
from ui.frame import lang, t
from ui.results import dimension_labels, waves
from ui.view_models import FLAG_NAMES

require_role(*DASHBOARD_ROLES)
st.title(t("method_title"))
st.caption(t("method_intro"))

# the anonymity thresholds of the newest closed wave, the one the results pages open on
closed = [w for w in waves() if w.status == "closed"]
k = str(closed[-1].k_min) if closed else t("method_anonymity_default")
k_comments = str(closed[-1].k_comments) if closed else t("method_anonymity_default_comments")

# the dimensions of the survey that wave used (the questionnaire can change between waves)
labels = dimension_labels(closed[-1].wave_id) if closed else {}
dims = t("list_separator").join(label[lang()] for label in labels.values())
for section in ("scores", "inps", "dimensions", "intervals"):
    st.subheader(t(f"method_{section}_title"))
    st.markdown(t(f"method_{section}_body", dims=dims) if section == "dimensions" else t(f"method_{section}_body"))
st.subheader(t("method_anonymity_title"))
st.markdown(t("method_anonymity_body", k=k, k_comments=k_comments))
st.subheader(t("method_flags_title"))
st.markdown(t("method_flags_intro"))
ordered = [f for f in FLAG_NAMES if f != "low"] + ["low"]  # low is a level, not a conflict: last
st.markdown(
    "\n".join(t("method_flag_line", flag=t(f"dash_flag_{flag}"), meaning=t(f"method_flag_{flag}")) for flag in ordered)
)
for section in ("severity", "no_flag", "trends"):
    st.subheader(t(f"method_{section}_title"))
    st.markdown(t(f"method_{section}_body"))
