"""Actions: bilateral action plans on pairs of departments, agreed by both sides and measured next wave.

Who may do what is `services.actions.may`; every change goes through services/actions.py (validated,
audited, kept in the plan's history). Figures and comments come from the published wave reports
(ui/results.py), never from raw responses.
"""

import datetime as dt

import pandas as pd
import streamlit as st

from data import actions as store
from data.problems import Refused
from data.users import list_users
from report.actions import (
    agenda_markdown,
    direction_state,
    focus_text,
    outcome_comparison,
    plan_outcome,
    plans_overview,
    target_from,
)
from services import actions
from texts import LANGUAGE_NAMES
from ui.access import DASHBOARD_ROLES, require_role
from ui.frame import db, lang, md_escape, t
from ui.problems import show_problems
from ui.results import department_names, dimension_labels, wave_report, waves, waves_with_responses
from ui.view_models import comment_groups
from ui.widgets import wide_and_phone

user = actions.with_scope(db(), require_role(*DASHBOARD_ROLES))  # a department head: its pairs only
st.title(t("actions_title"))
st.caption(t("actions_intro"))
today = dt.date.today()
names = department_names(lang())
all_waves = waves()
by_id = {w.wave_id: w for w in all_waves}
with_results = set(waves_with_responses())
published = [w for w in reversed(all_waves) if w.status == "closed" and w.wave_id in with_results]
flash = st.session_state.pop("actions.flash", None)
if flash:
    st.success(t(flash))


def _name(code: str) -> str:
    return names.get(code, code)


def _pair(plan: dict) -> str:
    return t("actions_pair", a=_name(plan["dept_a"]), b=_name(plan["dept_b"]))


def _arrow(rater: str, provider: str) -> str:
    return t("dash_pair_arrow", rater=_name(rater), provider=_name(provider))


def _asks(report, plan: dict) -> dict:
    """What each side asked of the other in the open questions, where k_comments allows (else None)."""
    return {
        (r, p): comment_groups(report, r, p)
        for r, p in [(plan["dept_a"], plan["dept_b"]), (plan["dept_b"], plan["dept_a"])]
    }


def _done(message: str) -> None:
    st.session_state["actions.flash"] = message
    st.rerun()


def _status(plan: dict) -> str:
    if plan["agreed"]:
        return t("actions_status_agreed")
    waiting = [_name(plan[f"dept_{s}"]) for s in ("a", "b") if not plan[f"accepted_{s}"]]
    return t("actions_status_waiting", sides=t("list_separator").join(waiting))


def _change_text(verdict: object, change: object, low: object, high: object) -> str:
    if not isinstance(verdict, str):
        return "—"
    if verdict in ("hidden", "no_data"):
        return t(f"actions_state_{verdict}")
    return t("actions_change", verdict=t(f"actions_verdict_{verdict}"), change=change, low=low, high=high)


def _outcome_text(row: pd.Series) -> str:
    if not isinstance(row["measured_wave_id"], str):
        return t("actions_not_measured")
    parts = [
        f"{_arrow(row['dept_a'], row['dept_b'])}: "
        + _change_text(
            row.get("verdict_ab"), row.get("change_ab"), row.get("change_ab_low"), row.get("change_ab_high")
        ),
        f"{_arrow(row['dept_b'], row['dept_a'])}: "
        + _change_text(
            row.get("verdict_ba"), row.get("change_ba"), row.get("change_ba_low"), row.get("change_ba_high")
        ),
    ]
    return "; ".join(parts)


def _report_of(wave_id: str):
    return wave_report(wave_id)


overview = plans_overview(db(), today, all_waves, with_results, _report_of)
if not overview.empty:
    overview = overview[[actions.may(user, "see", plan) for plan in overview.to_dict("records")]]

# ---- every plan
st.subheader(t("actions_all_plans"))
if overview.empty:
    st.info(t("actions_none"))
else:
    # A static table: every title, status and outcome whole, wrapped in its cell (a data grid cut them
    # at its column's width). Its cells are Markdown, so every text is escaped: titles are typed by
    # people, pairs and outcomes carry department names.
    columns = {
        t("actions_plan"): overview["title"],
        t("dash_pair"): [_pair(p) for p in overview.to_dict("records")],
        t("actions_status"): [_status(p) for p in overview.to_dict("records")],
        t("actions_commitments"): [
            t("actions_open_of", open=int(o), total=int(n))
            for o, n in zip(overview["open_commitments"], overview["commitments"], strict=True)
        ],
        t("actions_overdue"): overview["overdue"].astype(int).astype(str),
        t("actions_outcome"): [_outcome_text(r) for _, r in overview.iterrows()],
        t("actions_target"): [t(f"actions_target_{s}") for s in overview["target"]],
    }
    wide, phone = wide_and_phone("actions-list")
    with wide:
        st.table(
            pd.DataFrame({label: [md_escape(v) for v in values] for label, values in columns.items()}),
            hide_index=True,
            border="horizontal",
        )
    with phone:  # seven columns do not fit 390 px: each plan as a block, a line per column
        colon = "：" if lang() == "zh" else ": "
        for number, row in enumerate(pd.DataFrame(columns).to_dict("records")):
            (_, title), *rest = row.items()
            with st.container(border=True, key=f"actions-phone-plan-{number}"):
                st.markdown(
                    "  \n".join([f"**{md_escape(title)}**"] + [f"{md_escape(k)}{colon}{md_escape(v)}" for k, v in rest])
                )

# ---- did plans help? agreed pairs against comparable pairs without a plan
if len(published) >= 2 and not overview.empty and not user["departments"]:  # built from every pair
    later, baseline = published[0], published[1]
    compared = outcome_comparison(overview, wave_report(baseline.wave_id), wave_report(later.wave_id))
    st.subheader(t("actions_comparison_title"))
    if compared is None:
        st.caption(t("actions_comparison_none", baseline=baseline.name(lang()), later=later.name(lang())))
    else:
        values = {**compared, "baseline": baseline.name(lang()), "later": later.name(lang())}
        if pd.isna(compared["ci_low"]):
            st.markdown(t("actions_comparison_no_interval", **values))
        else:
            st.markdown(t("actions_comparison_result", **values))
        st.caption(t("actions_comparison_caution", ceiling=compared["ceiling"]))

# ---- a new plan, opened from a hotspot, a heatmap pair or a department report (?a=&b=&wave=)
may_create = actions.may(user, "create")
query = st.query_params
codes = sorted(names, key=_name)
if may_create:
    asked = bool(query.get("a") or query.get("b"))
    with st.expander(t("actions_new"), key="actions.open.actions_new", expanded=asked):
        if not published:
            st.info(t("actions_no_wave"))
        else:
            for key, value in (("actions.new_a", query.get("a")), ("actions.new_b", query.get("b"))):
                if value in codes and key not in st.session_state:
                    st.session_state[key] = value
            wave_options = [w.wave_id for w in published]
            if query.get("wave") in wave_options and "actions.new_wave" not in st.session_state:
                st.session_state["actions.new_wave"] = query.get("wave")
            left, right, third = st.columns(3)
            own = [c for c in codes if c in user["departments"]] if user["departments"] else codes
            if st.session_state.get("actions.new_a") not in own:
                st.session_state.pop("actions.new_a", None)
            dept_a = left.selectbox(t("actions_dept_a"), own, format_func=_name, key="actions.new_a")
            dept_b = right.selectbox(
                t("actions_dept_b"), [c for c in codes if c != dept_a], format_func=_name, key="actions.new_b"
            )
            wave_id = third.selectbox(
                t("actions_from_wave"),
                wave_options,
                format_func=lambda w: by_id[w].name(lang()),
                key="actions.new_wave",
            )
            report = wave_report(wave_id)
            draft = {"dept_a": dept_a, "dept_b": dept_b}
            for rater, provider in ((dept_a, dept_b), (dept_b, dept_a)):
                if direction_state(report, rater, provider) == "hidden":
                    st.caption(t("actions_hidden_pair", pair=_arrow(rater, provider), k=report.k))
            focus = focus_text(report, draft, lang(), labels=dimension_labels(wave_id), asks=_asks(report, draft))
            accounts = list_users(db())
            owners = sorted(accounts.loc[accounts["active"] & accounts["role"].isin(actions.PLAN_ROLES), "username"])
            later_waves = [w.wave_id for w in all_waves if w.opens_on > by_id[wave_id].opens_on]
            directions = ["", f"{dept_a}|{dept_b}", f"{dept_b}|{dept_a}"]
            with st.form(f"actions.new.{dept_a}.{dept_b}.{wave_id}"):
                title = st.text_input(t("actions_title_field"), key="actions.new_title")
                o1, o2 = st.columns(2)
                owner_a = o1.selectbox(t("actions_owner_of", dept=_name(dept_a)), owners, key="actions.new_owner_a")
                owner_b = o2.selectbox(t("actions_owner_of", dept=_name(dept_b)), owners, key="actions.new_owner_b")
                focus_value = st.text_area(t("actions_focus"), value=focus, height=200, help=t("actions_focus_help"))
                g1, g2, g3 = st.columns(3)
                target_dir = g1.selectbox(
                    t("actions_target_direction"),
                    directions,
                    format_func=lambda d: _arrow(*d.split("|")) if d else t("actions_no_target"),
                    key="actions.new_target_dir",
                )
                target_value = g2.number_input(t("actions_target_value"), 0.0, 100.0, 60.0, 1.0, key="actions.new_tv")
                target_wave = g3.selectbox(
                    t("actions_target_wave"),
                    later_waves or [""],
                    format_func=lambda w: by_id[w].name(lang()) if w else "—",
                    key="actions.new_tw",
                )
                if st.form_submit_button(t("actions_create"), type="primary"):
                    terms = {"title": title, "owner_a": owner_a, "owner_b": owner_b, "focus": focus_value}
                    if target_dir:
                        rater, provider = target_dir.split("|")
                        terms |= {
                            "target_rater": rater,
                            "target_provider": provider,
                            "target_from": target_from(report, rater, provider),
                            "target_value": target_value,
                            "target_wave_id": target_wave or None,
                        }
                    try:
                        plan_id = actions.create_plan(db(), user, dept_a, dept_b, wave_id, terms)
                    except Refused as refused:
                        show_problems(refused.problems, lang())
                    else:
                        for key in ("a", "b", "wave"):
                            st.query_params.pop(key, None)
                        st.session_state["actions.pick"] = plan_id
                        _done("actions_created")

# ---- one plan in depth
if overview.empty:
    st.stop()
plan_ids = [int(p) for p in overview["plan_id"]]
if query.get("plan", "").isdigit() and int(query["plan"]) in plan_ids and "actions.pick" not in st.session_state:
    st.session_state["actions.pick"] = int(query["plan"])
if st.session_state.get("actions.pick") not in plan_ids:
    st.session_state.pop("actions.pick", None)
titles = dict(zip(plan_ids, overview["title"], strict=True))
st.divider()
plan_id = st.selectbox(t("actions_pick"), plan_ids, format_func=lambda p: f"{titles[p]} (#{p})", key="actions.pick")
plan = store.get_plan(db(), plan_id)
row = overview[overview["plan_id"] == plan_id].iloc[0]
st.header(md_escape(plan["title"]))
st.markdown(
    md_escape(_pair(plan))
    + "  \n"
    + t("actions_started", wave=by_id[plan["wave_id"]].name(lang()), by=md_escape(plan["created_by"]))
)
st.markdown(f"**{t('actions_status')}:** {_status(plan)}")
for column, side in zip(st.columns(2), ("a", "b"), strict=True):
    with column:
        owner = plan[f"owner_{side}"]
        dept = _name(plan[f"dept_{side}"])
        mark = t("actions_accepted") if plan[f"accepted_{side}"] else t("actions_not_accepted")
        st.markdown(t("actions_owner_line", dept=md_escape(dept), owner=md_escape(owner), state=mark))
        if actions.may(user, "accept", plan, side=side) and not plan[f"accepted_{side}"]:
            if st.button(t("actions_accept", dept=dept), key=f"actions.accept.{side}", type="primary"):
                agreed = actions.accept(db(), user, plan_id, side)
                _done("actions_now_agreed" if agreed else "actions_accepted_done")

st.subheader(t("actions_focus"))
st.text(plan["focus"] or "—")  # people's words and prefilled figures as plain text

# figures both ways: the plan's wave, and the measured wave once one has closed
st.subheader(t("actions_figures"))
baseline = wave_report(plan["wave_id"]) if plan["wave_id"] in with_results else None
measured = row["measured_wave_id"] if isinstance(row["measured_wave_id"], str) else None
outcome = plan_outcome(plan, baseline, wave_report(measured)) if measured and baseline is not None else None
pairs = [(plan["dept_a"], plan["dept_b"]), (plan["dept_b"], plan["dept_a"])]
for i, (column, (rater, provider)) in enumerate(zip(st.columns(2), pairs, strict=True)):
    with column:
        label = md_escape(_arrow(rater, provider))
        state = direction_state(baseline, rater, provider) if baseline is not None else "no_data"
        if state != "shown":
            st.metric(label, "—")
            st.caption(t(f"actions_state_{state}"))
            continue
        cells = baseline.cells
        mean = cells[(cells["rater_dept"] == rater) & (cells["provider_dept"] == provider)]["mean"].iloc[0]
        if outcome is None:
            st.metric(label, f"{mean:.0f}")
            st.caption(t("actions_wave_figure", wave=by_id[plan["wave_id"]].name(lang())))
            continue
        o = outcome.iloc[i]
        if o["verdict"] in ("hidden", "no_data"):
            st.metric(label, f"{mean:.0f}")
            st.caption(t(f"actions_state_{o['verdict']}"))
            continue
        st.metric(label, f"{o['mean']:.0f}", delta=f"{o['change']:+.1f}")
        st.markdown("**" + t(f"actions_verdict_{o['verdict']}") + "**")
        st.caption(
            t(
                "actions_measured",
                before=by_id[plan["wave_id"]].name(lang()),
                after=by_id[measured].name(lang()),
                previous=o["previous_mean"],
                mean=o["mean"],
                low=o["change_ci_low"],
                high=o["change_ci_high"],
            )
        )
if isinstance(plan["target_rater"], str):
    target_wave = by_id.get(plan["target_wave_id"])
    st.markdown(
        t(
            "actions_target_line",
            pair=md_escape(_arrow(plan["target_rater"], plan["target_provider"])),
            start="—" if pd.isna(plan["target_from"]) else f"{plan['target_from']:.0f}",
            value=plan["target_value"],
            wave=target_wave.name(lang()) if target_wave else "—",
            state=t(f"actions_target_{row['target']}"),
        )
    )

# ---- commitments on both sides
st.subheader(t("actions_commitments"))
commitments = store.list_commitments(db(), plan_id)
if commitments.empty:
    st.caption(t("actions_no_commitments"))
else:
    shown = commitments.assign(
        side=commitments["side"].map(_name),
        status=commitments["status"].map(lambda s: t(f"actions_status_{s}")),
        overdue=commitments["status"].isin(store.OPEN_STATUSES)
        & (pd.to_datetime(commitments["due_on"]).dt.date < today),
    )
    st.dataframe(
        shown[["side", "title", "owner", "due_on", "status", "overdue", "note"]],
        hide_index=True,
        width="stretch",
        key="actions.commitments",
        column_config={
            "side": t("actions_side"),
            "title": t("actions_commitment"),
            "owner": t("actions_owner"),
            "due_on": st.column_config.DateColumn(t("actions_due")),
            "status": t("actions_status"),
            "overdue": st.column_config.CheckboxColumn(t("actions_overdue")),
            "note": t("actions_note"),
        },
    )
may_edit = actions.may(user, "edit", plan)
if may_edit:
    with st.expander(t("actions_add_commitment"), key="actions.open.actions_add_commitment"):
        with st.form(f"actions.commit.{plan_id}", clear_on_submit=True):
            c1, c2 = st.columns(2)
            side = c1.selectbox(
                t("actions_side"), [plan["dept_a"], plan["dept_b"]], format_func=_name, key="actions.c_side"
            )
            owner = c2.selectbox(
                t("actions_owner"),
                [plan["owner_a"], plan["owner_b"]] if plan["owner_a"] != plan["owner_b"] else [plan["owner_a"]],
                key="actions.c_owner",
            )
            c_title = st.text_input(t("actions_commitment"), key="actions.c_title")
            c3, c4 = st.columns(2)
            due = c3.date_input(t("actions_due"), value=None, format="YYYY-MM-DD", key="actions.c_due")
            status = c4.selectbox(
                t("actions_status"),
                store.COMMITMENT_STATUSES,
                format_func=lambda s: t(f"actions_status_{s}"),
                key="actions.c_status",
            )
            note = st.text_input(t("actions_note"), key="actions.c_note")
            if st.form_submit_button(t("actions_add")):
                try:
                    actions.add_commitment(
                        db(), user, plan_id, side=side, owner=owner, title=c_title, due_on=due, status=status, note=note
                    )
                except Refused as refused:
                    show_problems(refused.problems, lang())
                else:
                    _done("actions_commitment_added")
updatable = [
    r for r in commitments.to_dict("records") if actions.may(user, "update_commitment", plan, owner=r["owner"])
]
if updatable:
    with st.expander(t("actions_update_commitment"), key="actions.open.actions_update_commitment"):
        with st.form(f"actions.update.{plan_id}"):
            pick = st.selectbox(
                t("actions_commitment"),
                [int(r["commitment_id"]) for r in updatable],
                format_func=lambda c: next(r["title"] for r in updatable if int(r["commitment_id"]) == c),
                key="actions.u_pick",
            )
            new_status = st.selectbox(
                t("actions_status"),
                store.COMMITMENT_STATUSES,
                format_func=lambda s: t(f"actions_status_{s}"),
                key="actions.u_status",
            )
            new_note = st.text_input(t("actions_note"), key="actions.u_note")
            if st.form_submit_button(t("actions_save")):
                try:
                    actions.update_commitment(db(), user, pick, status=new_status, note=new_note)
                except Refused as refused:
                    show_problems(refused.problems, lang())
                else:
                    _done("actions_commitment_saved")

# ---- coordination meetings
st.subheader(t("actions_meetings"))
meetings = store.list_meetings(db(), plan_id)
if meetings.empty:
    st.caption(t("actions_no_meetings"))
else:
    attended = [
        t("list_separator").join(_name(plan[f"dept_{s}"]) for s in ("a", "b") if m[f"attended_{s}"])
        for m in meetings.to_dict("records")
    ]
    st.dataframe(
        meetings.assign(kind=meetings["kind"].map(lambda k: t(f"actions_kind_{k}")), attended=attended)[
            ["held_on", "kind", "attended", "decisions", "next_meeting"]
        ],
        hide_index=True,
        width="stretch",
        key="actions.meetings",
        column_config={
            "held_on": st.column_config.DateColumn(t("actions_held_on")),
            "kind": t("actions_kind"),
            "attended": t("actions_attended"),
            "decisions": t("actions_decisions"),
            "next_meeting": st.column_config.DateColumn(t("actions_next_meeting")),
        },
    )
if may_edit:
    with st.expander(t("actions_add_meeting"), key="actions.open.actions_add_meeting"):
        with st.form(f"actions.meeting.{plan_id}", clear_on_submit=True):
            m1, m2 = st.columns(2)
            held_on = m1.date_input(t("actions_held_on"), value=today, format="YYYY-MM-DD", key="actions.m_date")
            kind = m2.selectbox(
                t("actions_kind"),
                store.MEETING_KINDS,
                format_func=lambda k: t(f"actions_kind_{k}"),
                key="actions.m_kind",
            )
            a1, a2 = st.columns(2)
            came_a = a1.checkbox(t("actions_attended_side", dept=_name(plan["dept_a"])), value=True, key="actions.m_a")
            came_b = a2.checkbox(t("actions_attended_side", dept=_name(plan["dept_b"])), value=True, key="actions.m_b")
            decisions = st.text_area(t("actions_decisions"), key="actions.m_decisions")
            next_on = st.date_input(t("actions_next_meeting"), value=None, format="YYYY-MM-DD", key="actions.m_next")
            if st.form_submit_button(t("actions_record_meeting")):
                try:
                    actions.add_meeting(
                        db(),
                        user,
                        plan_id,
                        held_on=held_on,
                        kind=kind,
                        attended_a=came_a,
                        attended_b=came_b,
                        decisions=decisions,
                        next_meeting=next_on,
                    )
                except Refused as refused:
                    show_problems(refused.problems, lang())
                else:
                    _done("actions_meeting_recorded")

# ---- the agenda of the next meeting, to print or share (en and zh)
if baseline is not None:
    agenda_report = wave_report(measured) if measured else baseline
    next_meeting = meetings["next_meeting"].dropna()
    upcoming = pd.Timestamp(next_meeting.iloc[0]).date() if len(next_meeting) else None
    columns = st.columns(2)
    for column, language in zip(columns, ("en", "zh"), strict=True):
        text = agenda_markdown(
            plan,
            language,
            names=department_names(language),
            report=agenda_report,
            commitments=commitments,
            asks=_asks(agenda_report, plan),
            next_meeting=upcoming,
        )
        column.download_button(
            t("actions_agenda_download", language=LANGUAGE_NAMES[language]),
            data=text.encode("utf-8"),
            file_name=f"agenda-plan-{plan_id}-{language}.md",
            mime="text/markdown",
            key=f"actions.agenda.{language}",
        )

# ---- edit the terms (withdraws both acceptances)
if may_edit:
    with st.expander(t("actions_edit"), key="actions.open.actions_edit"):
        st.caption(t("actions_edit_note"))
        with st.form(f"actions.edit.{plan_id}"):
            e_title = st.text_input(t("actions_title_field"), value=plan["title"])
            e_focus = st.text_area(t("actions_focus"), value=plan["focus"], height=160)
            if st.form_submit_button(t("actions_save")):
                terms = {c: plan[c] for c in store.TERM_COLUMNS} | {"title": e_title, "focus": e_focus}
                terms = {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in terms.items()}
                try:
                    actions.edit_plan(db(), user, plan_id, terms)
                except Refused as refused:
                    show_problems(refused.problems, lang())
                else:
                    _done("actions_saved")

# ---- history: who changed what, when
with st.expander(t("actions_history"), key="actions.open.actions_history"):
    history = store.plan_history(db(), plan_id)
    st.dataframe(
        history.assign(change=history["change"].map(lambda c: t(f"actions_change_{c}"))),
        hide_index=True,
        width="stretch",
        key="actions.history",
        column_config={
            "occurred_at": st.column_config.DatetimeColumn(t("actions_when"), format="YYYY-MM-DD HH:mm"),
            "actor": t("actions_who"),
            "change": t("actions_what"),
            "detail": t("actions_detail"),
        },
    )
