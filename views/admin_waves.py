"""Waves: create a wave from a survey version (thresholds, self-assessment), open it, close it."""

import datetime as dt

import pandas as pd
import streamlit as st

from analysis.anonymity import MIN_K
from data.problems import Refused
from data.wave_setup import quarter_dates, survey_version_choices
from data.waves import scheduled_wave_ids
from services import waves as wave_service
from settings import settings
from ui.access import ADMIN_ROLES, require_role
from ui.frame import db, lang, t
from ui.i18n import LANGUAGE_NAMES, LANGUAGES
from ui.problems import show_problems
from ui.results import waves

user = require_role(*ADMIN_ROLES)
st.title(t("admin_waves_title"))
st.caption(t("admin_waves_intro"))

notice = st.session_state.pop("admin_waves.notice", None)
if notice:
    st.success(notice)

all_waves = waves()
scheduled = scheduled_wave_ids(db())
st.subheader(t("admin_waves_list"))
if not all_waves:
    st.info(t("admin_waves_none"))
else:
    st.dataframe(
        pd.DataFrame(
            {
                t("admin_col_wave"): [w.wave_id for w in all_waves],
                t("admin_col_name"): [w.name(lang()) for w in all_waves],
                t("admin_col_status"): [t(f"admin_waves_status_{w.status}") for w in all_waves],
                t("admin_col_dates"): [f"{w.opens_on} – {w.closes_on}" for w in all_waves],
                t("admin_col_scheduled"): [w.wave_id in scheduled for w in all_waves],
                t("admin_col_k"): [w.k_min for w in all_waves],
                t("admin_col_k_comments"): [w.k_comments for w in all_waves],
                t("admin_col_self"): [w.self_assessment for w in all_waves],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def _done(message: str) -> None:
    st.session_state["admin_waves.notice"] = message
    st.rerun()


changeable = [w for w in all_waves if w.status in ("draft", "open", "closed")]
if changeable:
    st.subheader(t("admin_waves_manage"))
    by_id = {w.wave_id: w for w in changeable}
    # The newest wave first: it is the one being set up or run.
    wave_id = st.selectbox(
        t("admin_waves_choose"),
        options=list(reversed(by_id)),
        format_func=lambda w: f"{by_id[w].name(lang())} ({w})",
        key="admin_waves.manage",
    )
    wave = by_id[wave_id]
    st.write(t("admin_waves_status_line", status=t(f"admin_waves_status_{wave.status}")))
    labels = {
        "draft": "admin_waves_open_button",
        "open": "admin_waves_close_button",
        "closed": "admin_waves_reopen_button",
    }
    if wave.status != "closed":
        on_dates = st.checkbox(
            t("admin_waves_scheduled_existing", opens=wave.opens_on, closes=wave.closes_on),
            value=wave_id in scheduled,
            key=f"admin_waves.scheduled.{wave_id}",
        )
        if on_dates != (wave_id in scheduled):
            wave_service.set_schedule(db(), user["username"], wave_id, on_dates)
            _done(
                t("admin_waves_schedule_on", wave=wave_id, opens=wave.opens_on, closes=wave.closes_on)
                if on_dates
                else t("admin_waves_schedule_off", wave=wave_id)
            )
    target = "closed" if wave.status == "open" else "open"
    if st.button(
        t(labels[wave.status]), key="admin_waves.step", type="primary" if wave.status == "draft" else "secondary"
    ):
        try:
            wave_service.set_status(db(), user["username"], wave_id, target)
        except Refused as refused:
            show_problems(refused.problems, lang())
        else:
            _done(t("admin_waves_opened" if target == "open" else "admin_waves_closed", wave=wave_id))

st.subheader(t("admin_waves_create"))
st.caption(t("admin_waves_schedule_rule", tz=str(settings().timezone)))
today = dt.date.today()
form_number = st.session_state.get("admin_waves.created", 0)


def _suggest_dates() -> None:
    """A wave id naming a quarter (2027-Q1) fills the dates with that quarter's first and last day."""
    suggested = quarter_dates(st.session_state.get("admin_waves.new_id", ""))
    if suggested is not None:
        st.session_state[f"admin_waves.opens_{form_number}"] = suggested[0]
        st.session_state[f"admin_waves.closes_{form_number}"] = suggested[1]


# Outside the form, so that the dates follow the id as soon as it is typed.
new_id = st.text_input(t("admin_waves_id"), max_chars=32, key="admin_waves.new_id", on_change=_suggest_dates)
if quarter_dates(new_id) is not None:
    first, last = quarter_dates(new_id)
    st.caption(t("admin_waves_quarter_hint", wave=new_id.strip(), opens=first, closes=last))
st.session_state.setdefault(f"admin_waves.opens_{form_number}", today)
st.session_state.setdefault(f"admin_waves.closes_{form_number}", today + dt.timedelta(days=21))
# A fresh form after each wave created; after a refusal the typed values stay for correcting.
with st.form(f"admin_waves.create_{form_number}"):
    left, right = st.columns(2)
    name_en = left.text_input(t("admin_waves_name_en"), max_chars=80)
    name_zh = right.text_input(t("admin_waves_name_zh"), max_chars=80)
    opens_on = left.date_input(t("admin_waves_opens"), key=f"admin_waves.opens_{form_number}")
    closes_on = right.date_input(t("admin_waves_closes"), key=f"admin_waves.closes_{form_number}")
    k_min = left.number_input(
        t("admin_waves_k"), min_value=MIN_K, max_value=100, value=max(MIN_K, settings().default_k), step=1
    )
    k_comments = right.number_input(
        t("admin_waves_k_comments"),
        min_value=MIN_K,
        max_value=100,
        value=max(MIN_K, settings().default_k_comments),
        step=1,
    )
    version = left.selectbox(t("admin_waves_survey"), options=survey_version_choices(db()))
    default_lang = right.selectbox(t("admin_waves_lang"), options=list(LANGUAGES), format_func=LANGUAGE_NAMES.get)
    self_assessment = left.checkbox(t("admin_waves_self"))
    on_its_dates = st.checkbox(t("admin_waves_scheduled"), key="admin_waves.new_scheduled")
    create = st.form_submit_button(t("admin_waves_create_button"), type="primary")

if create:
    try:
        created = wave_service.create(
            db(),
            user["username"],
            new_id,
            name_en=name_en,
            name_zh=name_zh,
            survey_version=version,
            opens_on=opens_on,
            closes_on=closes_on,
            k_min=int(k_min),
            k_comments=int(k_comments),
            self_assessment=self_assessment,
            default_lang=default_lang,
            scheduled=on_its_dates,
        )
    except Refused as refused:
        show_problems(refused.problems, lang())
    else:
        st.session_state["admin_waves.created"] = st.session_state.get("admin_waves.created", 0) + 1
        st.session_state.pop("admin_waves.new_id", None)
        if on_its_dates:
            _done(
                t(
                    "admin_waves_created_scheduled",
                    wave=created.wave_id,
                    opens=created.opens_on,
                    closes=created.closes_on,
                )
            )
        else:
            _done(t("admin_waves_created", wave=created.wave_id))
