"""Staff survey: a personal link -> screener -> one form per provider -> self-assessment -> review -> thanks.

Open to everyone (no sign-in): the token in the link is the only key. The address bar loses the
token as soon as the page has read it.
"""

import time

import streamlit as st

from ui import survey_flow as flow
from ui import survey_forms as forms
from ui.frame import init_session, t

started = time.perf_counter()  # the run's server time, noted for bench/survey.py when it asks
# The session defaults are idempotent; set them here too so the page never depends on the order
# in which the frame ran.
init_session()
flow.init_state()
flow.capture_token()

if st.session_state["survey.done"] == "ok":
    forms.language_switch()
    forms.thank_you()
    forms.page_meta(t("survey_tab_thanks"))
    flow.note_timing("run", step="thanks", seconds=time.perf_counter() - started)
    st.stop()

check = flow.current_check()
if check is not None and check.ok:
    context = flow.build_context(check)
    flow.ensure_draft(context)  # first: it may hold the language chosen earlier with this link
    flow.apply_wave_language(context)
forms.language_switch()
if check is None:
    forms.no_link()
if check is None or not check.ok:
    if check is not None:
        forms.refused(check.status)
    forms.page_meta()
    st.stop()

flow.save_changes(context)  # what this run's callbacks changed, in one write
names = forms.header(context)
step, position = flow.step(context)
if step == "screener":
    forms.screener(context, names)
elif step == "provider":
    forms.provider_form(context, names, position)
elif step == "self":
    forms.self_assessment(context, names)
else:
    forms.review(context, names)
forms.page_meta(forms.step_title(context, step, position))
flow.note_timing("run", step=step, position=position, seconds=time.perf_counter() - started)
