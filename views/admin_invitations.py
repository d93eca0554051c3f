"""Invitations: roster in, links file out (as `cli.py invite`), each link by email (services/mail.py),
reminders to those who have not answered, and the response rate per department."""

import datetime as dt
import time

import pandas as pd
import streamlit as st

from analysis.anonymity import participation_shown
from analysis.participation import participation_table, response_rate
from data.aggregates import participation_counts
from data.invitations import parse_roster_for
from data.problems import Refused
from services import invitations, mail
from services.scheduler import local_today
from settings import settings
from ui.access import ADMIN_ROLES, require_role
from ui.admin import PREVIEW_ROWS, links_file_bytes, roster_preview
from ui.frame import db, lang, md_escape, t
from ui.problems import problems_table, show_problems
from ui.results import department_names, waves
from ui.widgets import encoding_select, template_download

user = require_role(*ADMIN_ROLES)
st.title(t("admin_invitations_title"))
st.caption(t("admin_inv_intro"))
cfg = settings()


def _mail_where() -> None:
    """Where messages go: the server of the settings, or the outbox folder (then nothing is sent)."""
    if cfg.smtp_host:
        sender = cfg.mail_from or "ICSAT <icsat@localhost>"
        st.caption(
            t("mail_via_smtp", server=f"{cfg.smtp_host}:{cfg.smtp_port}", security=cfg.smtp_security, sender=sender)
        )
    else:
        st.caption(t("mail_via_outbox", folder=md_escape(mail.outbox_folder(db(), cfg))))


def _progress_bar(total: int):
    """A progress bar and the callback that moves it (at most every 0.2 s: each update is a message
    to the browser)."""
    bar = st.progress(0.0, text=t("mail_sending", done=0, total=total))
    shown = [0.0]

    def update(done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total:
            bar.empty()  # the report that follows says what happened
        elif now - shown[0] > 0.2:
            shown[0] = now
            bar.progress(done / max(total, 1), text=t("mail_sending", done=done, total=total))

    return update


def _show_report(report: mail.SendReport, key: str) -> None:
    if report.failures:
        st.warning(t("mail_report_failed", n=len(report.failures)))
        st.dataframe(report.failures_frame(lang()), hide_index=True, width="stretch", key=key)


_mail_where()
with st.expander(t("mail_test_title"), icon=":material/forward_to_inbox:"):
    test_to = st.text_input(t("mail_test_to"), key="admin_invitations.test_to", max_chars=320)
    if st.button(t("mail_test_button"), key="admin_invitations.test"):
        tested = mail.send_test(db(), user["username"], test_to, lang(), cfg=cfg)
        if tested.sent:
            st.success(t("mail_test_ok", where=tested.where))
        else:
            st.error(t("mail_test_failed", reason=tested.failures[0].reason(lang())))
if mail.reminders_available(cfg):
    st.caption(t("mail_rule_kept"))
else:
    st.caption(t("mail_rule_no_key"))

live = [w for w in waves() if w.status in ("draft", "open")]
if not live:
    st.info(t("admin_inv_no_wave"))
    st.stop()
by_id = {w.wave_id: w for w in live}
wave_id = st.selectbox(
    t("admin_inv_wave"),
    options=list(reversed(by_id)),
    format_func=lambda w: f"{by_id[w].name(lang())} ({w})",
    key="admin_invitations.wave",
)
names = department_names(lang())
wave = by_id[wave_id]
if wave.status == "draft":
    # links of a draft wave work only once it is opened (by hand, or on its date when scheduled)
    st.warning(t("admin_inv_draft_wave", wave=wave_id, opens=wave.opens_on))

# A new uploader after links were generated, so the same roster is not turned into links twice.
upload_round = st.session_state.get("admin_invitations.round", 0)
template_download("roster", "admin_invitations.template")
roster_file = st.file_uploader(
    t("admin_inv_roster"), type=["csv", "txt", "tsv", "xlsx", "xls"], key=f"admin_invitations.roster_{upload_round}"
)
encoding = encoding_select("admin_invitations.encoding")
if roster_file is not None:
    roster, problems = parse_roster_for(db(), roster_file.getvalue(), encoding)
    if problems:
        show_problems(problems, lang(), intro=t("admin_fix_and_retry"))
    else:
        st.info(t("admin_inv_roster_ok", n=len(roster), d=roster["department"].nunique()))
        # the first rows as they will be used, before any link is created
        st.caption(t("admin_preview_caption", shown=min(len(roster), PREVIEW_ROWS), n=len(roster)))
        st.dataframe(roster_preview(roster, PREVIEW_ROWS, lang()), hide_index=True, width="stretch")
        default_url = (st.context.url or "").split("/admin_invitations")[0].rstrip("/") or "http://localhost:8501"
        base_url = st.text_input(t("admin_inv_base_url"), value=default_url, key="admin_invitations.base_url")
        with_wave = st.checkbox(
            t("admin_inv_expire_with_wave", closes=wave.closes_on), value=True, key="admin_invitations.with_wave"
        )
        expires = None
        if not with_wave:
            expires = st.number_input(
                t("admin_inv_expires"), min_value=1, max_value=365, value=30, key="admin_invitations.days"
            )
        send = st.checkbox(t("mail_send_option"), key="admin_invitations.send")
        if st.button(t("admin_inv_generate"), type="primary", key="admin_invitations.generate"):
            with st.status(t("admin_inv_generating", n=len(roster))) as status:
                progress = st.progress(0.1)
                try:
                    links = invitations.create(
                        db(),
                        user["username"],
                        wave_id,
                        roster,
                        base_url=base_url,
                        expires_days=None if expires is None else int(expires),
                    )
                except Refused as refused:
                    status.update(state="error")
                    st.dataframe(problems_table(refused.problems, lang()), hide_index=True, width="stretch")
                    st.stop()
                progress.progress(0.8)
                data = links_file_bytes(links)
                progress.progress(1.0)
                status.update(label=t("admin_inv_generated", n=len(links)), state="complete")
            st.session_state["admin_invitations.round"] = upload_round + 1
            st.success(t("admin_inv_generated", n=len(links)))
            if send:
                report = mail.send_invitations(
                    db(), user["username"], wave_id, links, cfg=cfg, progress=_progress_bar(len(links))
                )
                where = "mail_report_outbox" if report.via == "outbox" else "mail_report_smtp"
                st.info(t(where, sent=report.sent, total=report.total, where=report.where))
                _show_report(report, "admin_invitations.failed")
            # on_click="ignore": downloading does not rerun the page, so the links stay until the admin moves on;
            # they are not kept anywhere else (only their hashes are stored).
            st.download_button(
                t("admin_inv_download"),
                data=data,
                file_name=f"links-{wave_id}.csv",
                mime="text/csv",
                on_click="ignore",
                type="primary",
                icon=":material/download:",
                key="admin_invitations.download",
            )

if mail.reminders_available(cfg):
    st.subheader(t("mail_remind_title"))
    wave = by_id[wave_id]
    if wave.status != "open":
        st.info(t("mail_remind_not_open"))
    else:
        today = local_today(dt.datetime.now(dt.UTC), settings().timezone)  # the deployment's day
        if cfg.reminder_days:
            days = t("list_separator").join(str(d) for d in cfg.reminder_days)
            st.caption(t("mail_remind_schedule", days=days, closes=mail.day_text(wave.closes_on, lang())))
        else:
            st.caption(t("mail_remind_unscheduled"))
        st.markdown(t("mail_remind_count", n=mail.remindable(db(), wave_id, today)))
        if st.button(t("mail_remind_now"), key="admin_invitations.remind", icon=":material/notifications:"):
            total = mail.remindable(db(), wave_id, today)
            report = mail.remind(db(), user["username"], wave_id, today, cfg=cfg, progress=_progress_bar(total))
            st.success(t("mail_remind_report", sent=report.sent, where=report.where, skipped=report.skipped))
            _show_report(report, "admin_invitations.remind_failed")

st.subheader(t("admin_inv_rates"))
counts = participation_counts(db(), wave_id)
if counts.empty:
    st.info(t("admin_inv_no_invitations"))
    st.stop()
# the one response rate (analysis.participation): lowest first, undefined (blank) without invitations
rates = participation_table(counts, wave_id=wave_id).sort_values(["rate", "dept_code"]).reset_index(drop=True)
shown = participation_shown(rates, by_id[wave_id].k_min)
invited, used = int(rates["invited"].sum()), int(rates["responded"].sum())
st.write(t("admin_inv_overall", used=used, invited=invited, rate=f"{response_rate(used, invited):.0%}"))
remind = rates[rates["low_participation"]]
if remind.empty:
    st.success(t("admin_inv_all_above"))
else:
    separator = t("list_separator")
    late = separator.join(md_escape(names.get(c, c)) for c in remind["dept_code"])  # names as typed, not Markdown
    st.warning(t("admin_inv_remind", departments=late))
st.dataframe(
    pd.DataFrame(
        {
            t("admin_col_department"): [names.get(c, c) for c in rates["dept_code"]],
            t("admin_col_invited"): rates["invited"],
            # how many answered, per department, only from k people on (analysis.anonymity, the
            # same rule as the results pages): a count that moves by one tells who just answered
            t("admin_col_answered"): shown["responded"],
            t("admin_col_rate"): shown["rate"] * 100,
            t("admin_col_remind"): rates["low_participation"],
        }
    ),
    hide_index=True,
    width="stretch",
    column_config={
        t("admin_col_rate"): st.column_config.ProgressColumn(
            t("admin_col_rate"), min_value=0, max_value=100, format="%.0f%%"
        ),
    },
)
