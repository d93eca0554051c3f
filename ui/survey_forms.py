"""The staff survey's screens: what each step draws. State and navigation live in ui/survey_flow.py.

Every widget has a stable, namespaced key ("survey.<...>"). Free text the person typed is shown
back only with `st.text` (plain text, never Markdown or HTML).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from surveys.answers import NEVER, NOT_APPLICABLE
from surveys.definition import Text
from ui import survey_flow as flow
from ui.frame import lang, md_escape, t
from ui.i18n import LANGUAGE_NAMES, LANGUAGES

REFUSALS = {
    "unknown": "survey_refused_unknown",
    "expired": "survey_refused_expired",
    "used": "survey_refused_used",
    "wave_not_open": "survey_refused_wave_not_open",
}


def _text(value: Text, **names: str) -> str:
    # Plain replacement, not str.format: a department name may contain braces.
    text = value.get(lang())
    for placeholder, name in names.items():
        text = text.replace("{" + placeholder + "}", name)
    return text


HTML_LANG = {"en": "en", "zh": "zh-CN"}


# WCAG 2.1 AA on every survey step (issue 19; tests/browser/test_survey_accessibility_browser.py runs
# axe-core). Streamlit's captions (~3.9:1) and the chosen segment's red text (~3.6:1) fall short of
# 4.5:1: darker greys and red here give 6-7:1 on the page and on the chosen segment's tint. Focus is
# a 3 px ring on every control, including the label of a visually hidden radio input. Streamlit's
# English key hints ("Press Ctrl+Enter to apply") are not shown in the Chinese survey.
SURVEY_CSS = (
    "<style>"
    "[data-testid='stMain'] [data-testid='stCaptionContainer'],"
    " [data-testid='stMain'] [data-testid='stCaptionContainer'] p { color: #555867; opacity: 1; }"
    "[data-testid='stButtonGroup'] button[data-selected='true'] p { color: #a51d1d; }"
    "[data-testid='stMain'] :is(button, input, textarea, a):focus-visible,"
    " [data-testid='stMain'] label:has(input:focus-visible)"
    " { outline: 3px solid #1d4ed8; outline-offset: 2px; }"
    "html:lang(zh) [data-testid='InputInstructions'] { display: none; }"
    "</style>"
)


# Streamlit keeps a text box's value only when the box loses focus (or on Ctrl+Enter): a comment typed
# on a phone and the app left without tapping elsewhere was lost (issue 19). This keeps it as it is
# typed: after a pause of 1.5 s, and at once when the page is hidden (another app, another tab, the
# screen locked), the box is committed with the Ctrl+Enter Streamlit listens for, so it keeps the
# focus and a phone keeps its keyboard. Installed once per page; it only sends what was typed.
KEEP_TYPED_TEXT_JS = """<script>
(() => {
  if (window.icsatKeepsTypedText) return;
  window.icsatKeepsTypedText = true;
  const pending = new Set();
  let timer = null;
  const commit = () => {
    for (const box of pending) {
      if (box.isConnected) {
        box.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", code: "Enter", keyCode: 13,
          which: 13, ctrlKey: true, bubbles: true, cancelable: true}));
      }
    }
    pending.clear();
  };
  document.addEventListener("input", (event) => {
    if (!(event.target instanceof HTMLTextAreaElement)) return;
    pending.add(event.target);
    clearTimeout(timer);
    timer = setTimeout(commit, 1500);
  }, true);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") { clearTimeout(timer); commit(); }
  });
  window.addEventListener("pagehide", () => { clearTimeout(timer); commit(); });
})();
</script>"""


def page_meta(step_title: str | None = None) -> None:
    """The browser tab's title and the page's `<html lang>` follow the step and the language (issue
    19: screen readers pick their voice from lang; the tab says where the person is). The title is
    plain text, never Markdown; the lang value comes from a closed mapping."""
    title = t("survey_title") if step_title is None else f"{step_title} · {t('survey_title')}"
    st.set_page_config(page_title=title)
    st.html(
        f"<script>document.documentElement.lang = '{HTML_LANG.get(lang(), 'en')}';</script>{KEEP_TYPED_TEXT_JS}",
        unsafe_allow_javascript=True,
    )
    st.html(SURVEY_CSS)


def step_title(ctx: flow.SurveyContext, step: str, position: int) -> str:
    """'IT (2/5)': the step's short name and where it is in the survey, for the tab's title."""
    current, total, _ = flow.progress(ctx, step, position)
    if step == "provider":
        chosen = flow.chosen_providers(ctx)
        name = flow.department_names().get(chosen[position], chosen[position])
    else:
        name = t(f"survey_tab_{step}")
    return f"{name} ({current}/{total})"


def language_switch() -> None:
    """English / Chinese, on the page itself (the sidebar is hidden on phones)."""
    if st.session_state.get("survey.lang") != lang():
        st.session_state["survey.lang"] = lang()
    st.segmented_control(
        t("survey_language"),
        options=list(LANGUAGES),
        format_func=LANGUAGE_NAMES.get,
        key="survey.lang",
        on_change=flow.switch_language,
        label_visibility="collapsed",
    )


def no_link() -> None:
    """Shown without a token: how to get in."""
    st.header(t("survey_title"))
    st.info(t("survey_no_link"))


def refused(status: str) -> None:
    """Shown for an unknown, expired, used or closed link: the reason, and nothing else."""
    st.header(t("survey_title"))
    message = t(REFUSALS.get(status, "survey_refused_unknown"))
    if status == "used":
        st.success(message)
    else:
        st.warning(message)


def thank_you() -> None:
    """After a committed submission."""
    st.header(t("survey_title"))
    st.success(t("survey_thanks_title"))
    st.write(t("survey_thanks_body", **st.session_state["survey.privacy"]))


def header(ctx: flow.SurveyContext) -> dict[str, str]:
    """Title, wave and department; returns the department names in the current language, escaped for
    Markdown (every place the forms show a name renders Markdown: headings, labels, captions)."""
    names = {code: md_escape(name) for code, name in flow.department_names().items()}
    st.header(_text(ctx.survey.title))
    st.caption(
        t("survey_wave", wave=ctx.check.wave.name(lang()))
        + " · "
        + t("survey_department", dept=names.get(ctx.rater_dept, md_escape(ctx.rater_dept)))
    )
    # The unfinished answers belong to the link, not to the browser: say so (issue 16).
    st.caption(t("survey_link_personal"))
    privacy(ctx, names)
    notice = st.session_state.get("survey.notice")
    if notice:
        st.info(t(notice))
        st.session_state["survey.notice"] = None
    return names


def privacy_note(ctx: flow.SurveyContext) -> None:
    """The short note on the first page: the wave's thresholds, and that comments are read as written."""
    st.markdown(t("survey_privacy_note", **flow.privacy_numbers(ctx)))


def privacy(ctx: flow.SurveyContext, names: dict[str, str]) -> None:
    """'How is my privacy protected?' on every step (issue 19): the wave's k and k_comments, comments
    read word for word, the link kept apart from names, what the header's department is for."""
    dept = names.get(ctx.rater_dept, md_escape(ctx.rater_dept))  # escaped: this is Markdown
    with st.expander(t("survey_privacy_title")):
        for key in ("survey_privacy_groups", "survey_privacy_comments", "survey_privacy_link"):
            st.markdown(t(key, **flow.privacy_numbers(ctx)))
        st.markdown(t("survey_privacy_department", dept=dept))


def saved_count() -> None:
    """How many answers the link's draft holds: each answer is saved as it is given, and this says so."""
    st.caption(t("survey_saved_count", count=flow.answer_count(flow.draft())))


def problems(names: dict[str, str]) -> None:
    """The problems of the last attempt to move on, in the person's language."""
    found = st.session_state.get("survey.problems") or []
    if not found:
        return
    lines = []
    for problem in found:
        code = problem.get("code", "malformed")
        key = "survey_submit_failed" if code == "submit_failed" else f"survey_err_{code}"
        provider = problem.get("provider")
        lines.append(t(key, provider=names.get(provider, provider or ""), limit=problem.get("limit") or ""))
    st.error("\n".join(f"- {line}" for line in dict.fromkeys(lines)))


def _frequency_label(ctx: flow.SurveyContext, option_id: str) -> str:
    for option in ctx.survey.frequency_options:
        if option.id == option_id:
            return option.label.get(lang())
    return option_id


def screener(ctx: flow.SurveyContext, names: dict[str, str]) -> None:
    """Step 1: how often the person worked with each other department ("never" skips it)."""
    progress(ctx, "screener")
    st.write(_text(ctx.survey.intro))
    privacy_note(ctx)
    st.subheader(t("survey_screener_title"))
    st.caption(t("survey_screener_help"))
    problems(names)
    saved = flow.draft().get("frequency", {})
    option_ids = [o.id for o in ctx.survey.frequency_options]
    # Labels bound now, in the language of this run (format_func may be called later).
    labels = {o.id: o.label.get(lang()) for o in ctx.survey.frequency_options}
    groups = [
        ("survey_screener_served", [p for p in ctx.providers if p in ctx.serving]),
        ("survey_screener_others", [p for p in ctx.providers if p not in ctx.serving]),
    ]
    for title, codes in groups:
        if not codes:
            continue
        st.markdown(f"**{t(title)}**")
        for code in codes:
            current = saved.get(code, NEVER)
            key = flow.frequency_key(code)
            flow.seed(key, current if current in option_ids else NEVER)
            st.radio(
                names.get(code, code),
                options=option_ids,
                format_func=labels.get,
                horizontal=True,
                key=key,
                on_change=flow.keep,
                args=(key, ("frequency", code)),
            )
    saved_count()
    st.button(t("survey_next"), key="survey.screener_next", type="primary", on_click=flow.screener_next, args=(ctx,))


def progress(ctx: flow.SurveyContext, step: str, position: int = 0) -> None:
    """'Step 3 of 6 · about 5 min left': every step counts, not only the departments (issue 19)."""
    current, total, minutes = flow.progress(ctx, step, position)
    st.progress(current / total, text=t("survey_progress", current=current, total=total, minutes=minutes))


def _index(options: list[Any], value: Any) -> int | None:
    return options.index(value) if value in options else None


# The 0-10 buttons share the row equally and shrink to their number (Streamlit's class for a keyed
# element is "st-key-" + the key with every other character as "-").
ONE_ROW_SCALE_CSS = (
    "<style>"
    "[class*='st-key-survey-rec-'] [data-testid='stButtonGroup'] { flex-wrap: nowrap; gap: 2px; }"
    "[class*='st-key-survey-rec-'] button { flex: 1 1 0; min-width: 0; padding-left: 0; padding-right: 0; }"
    "</style>"
)


def _back_next(step: str, move: Any, args: tuple) -> None:
    """The end of a step: how many answers are saved, then Back and Next (`move(*args, -1 or +1)`)."""
    saved_count()
    back, forward = st.columns(2)
    with back:
        st.button(t("survey_back"), key=f"survey.{step}_back", on_click=move, args=(*args, -1), width="stretch")
    with forward:
        st.button(
            t("survey_next"), key=f"survey.{step}_next", type="primary", on_click=move, args=(*args, 1), width="stretch"
        )


def provider_form(ctx: flow.SurveyContext, names: dict[str, str], position: int) -> None:
    """Step 2: one form per chosen provider: statements 1-5 or not applicable, recommend 0-10, two texts."""
    chosen = flow.chosen_providers(ctx)
    provider = chosen[position]
    name = names.get(provider, provider)
    progress(ctx, "provider", position)
    st.subheader(name)
    frequency = flow.draft().get("frequency", {}).get(provider, NEVER)
    st.caption(t("survey_frequency_chosen", frequency=_frequency_label(ctx, frequency)))
    problems(names)
    saved = flow.draft().get("ratings", {}).get(provider, {})
    items, comments = saved.get("items", {}), saved.get("comments", {})
    likert = flow.likert_options()
    likert_labels = {v: ctx.survey.not_applicable.get(lang()) if v == NOT_APPLICABLE else str(v) for v in likert}
    survey = ctx.survey
    st.caption(
        t(
            "survey_scale_legend",
            low=survey.likert_labels[1].get(lang()),
            high=survey.likert_labels[5].get(lang()),
        )
    )
    for dimension in survey.dimensions:
        st.markdown(f"**{dimension.label.get(lang())}**")
        for item in dimension.items:
            key = flow.item_key(provider, item.id)
            flow.seed(key, items.get(item.id))
            st.radio(
                _text(item.text, provider=name),
                options=likert,
                index=None,
                format_func=likert_labels.get,
                horizontal=True,
                key=key,
                on_change=flow.keep,
                args=(key, ("ratings", provider, "items", item.id)),
            )
    scores = list(range(survey.recommend_min, survey.recommend_max + 1))
    st.markdown(f"**{_text(survey.recommend_text, provider=name)}**")
    key = flow.recommend_key(provider)
    flow.seed(key, saved.get("recommend"))
    # 0-10 as one row of eleven buttons, one tap per answer, also 390 px wide (issue 19): radios
    # wrap into two rows on a phone.
    st.html(ONE_ROW_SCALE_CSS)
    st.segmented_control(
        _text(survey.recommend_text, provider=name),
        options=scores,
        key=key,
        label_visibility="collapsed",
        on_change=flow.keep,
        args=(key, ("ratings", provider, "recommend")),
        width="stretch",
    )
    st.caption(
        t(
            "survey_recommend_legend",
            low=survey.recommend_low.get(lang()),
            high=survey.recommend_high.get(lang()),
        )
    )
    for question in survey.open_questions:
        key = flow.text_key(provider, question.id)
        flow.seed(key, comments.get(question.id, ""))
        st.text_area(
            _text(question.text, provider=name),
            max_chars=question.max_length,
            key=key,
            on_change=flow.keep,
            args=(key, ("ratings", provider, "comments", question.id), question.max_length),
        )
        st.caption(t("survey_text_limit", limit=question.max_length))
    _back_next("provider", flow.provider_move, (ctx, provider, position))


def self_assessment(ctx: flow.SurveyContext, names: dict[str, str]) -> None:
    """Step 3 (when the wave asks for it): how the person's department thinks its customers rate it."""
    progress(ctx, "self")
    st.subheader(t("survey_self_title"))
    st.write(_text(ctx.survey.self_assessment_intro))
    st.caption(t("survey_self_optional"))
    problems(names)
    saved = flow.draft().get("self", {})
    mine = names.get(ctx.rater_dept, ctx.rater_dept)
    scores = [1, 2, 3, 4, 5]
    st.caption(
        t(
            "survey_scale_legend",
            low=ctx.survey.likert_labels[1].get(lang()),
            high=ctx.survey.likert_labels[5].get(lang()),
        )
    )
    for customer in ctx.customers:
        st.markdown(f"**{t('survey_self_customer', customer=names.get(customer, customer), provider=mine)}**")
        for dimension in ctx.survey.dimensions:
            key = flow.self_key(customer, dimension.id)
            flow.seed(key, saved.get(customer, {}).get(dimension.id))
            st.radio(
                dimension.label.get(lang()),
                options=scores,
                index=None,
                horizontal=True,
                key=key,
                help=dimension.description.get(lang()),
                on_change=flow.keep,
                args=(key, ("self", customer, dimension.id)),
            )
    _back_next("self", flow.self_move, (ctx,))


def review(ctx: flow.SurveyContext, names: dict[str, str]) -> None:
    """Step 4: what will be submitted, with Edit per department, then Submit (once)."""
    chosen = flow.chosen_providers(ctx)
    progress(ctx, "review")
    st.subheader(t("survey_review_title"))
    st.caption(t("survey_review_help"))
    problems(names)
    ratings = flow.draft().get("ratings", {})
    total = len(ctx.survey.item_ids)
    for position, provider in enumerate(chosen):
        rating = ratings.get(provider, {})
        with st.container(border=True):
            st.markdown(f"**{names.get(provider, provider)}**")
            frequency = flow.draft().get("frequency", {}).get(provider, NEVER)
            recommend = rating.get("recommend")
            st.write(
                t("survey_frequency_chosen", frequency=_frequency_label(ctx, frequency))
                + " · "
                + t("survey_review_answered", answered=flow.answered_items(ctx, provider), total=total)
                + " · "
                + t(
                    "survey_review_recommend", value=t("survey_review_not_answered") if recommend is None else recommend
                )
            )
            for question in ctx.survey.open_questions:
                text = rating.get("comments", {}).get(question.id)
                if text:
                    st.caption(_text(question.text, provider=names.get(provider, provider)))
                    st.text(text)
            st.button(
                t("survey_edit"),
                key=f"survey.edit.{provider}",
                on_click=flow.edit,
                args=(ctx, "provider", position),
            )
    if ctx.self_assessment:
        count = sum(len(v) for v in flow.draft().get("self", {}).values())
        with st.container(border=True):
            st.write(t("survey_review_self", count=count))
            st.button(t("survey_edit"), key="survey.edit.self", on_click=flow.edit, args=(ctx, "self"))
    back, forward = st.columns(2)
    with back:
        st.button(t("survey_back"), key="survey.review_back", on_click=flow.review_back, args=(ctx,), width="stretch")
    with forward:
        st.button(
            t("survey_submit"),
            key="survey.submit",
            type="primary",
            on_click=flow.submit,
            args=(ctx,),
            width="stretch",
        )
