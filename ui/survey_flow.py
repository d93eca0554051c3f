"""The staff survey's state and steps: token, draft, navigation and submission (no drawing here).

Session state (all plain, serialisable values, namespaced "survey."):

- survey.token       the token from the link (taken from the address bar, which is then cleared)
- survey.draft       the answers so far, in the shape `surveys.answers` validates, plus the step
                     ("screener", "provider", "self", "review") and the position among the chosen
                     providers; saved server-side against the token hash at every step
- survey.saved       the link's draft as this session last read or wrote it (what it changed since is
                     what `save_changes` writes, so another tab's answers are not overwritten)
- survey.draft_for   the token hash the draft belongs to
- survey.done        "ok" after this session's submission was committed
- survey.privacy     the submitted wave's {"k", "k_comments"}, for the thank-you page's privacy words
- survey.problems    problems to show on the current step: [{"code", "provider", "field", "limit"}]
- survey.notice      a text key to show once (draft restored, control characters removed)
- survey.bad_tokens  how many unknown tokens this session tried (each further one waits longer)
- survey.counted     True once the current unknown token has been counted in survey.bad_tokens (a
                     rerun of the same link is not counted again)
- survey.lang_applied True once the wave's default language has been applied to this session (the
                     person's own choice wins afterwards)
                     once (every answer is kept as it is given: no form, an on_change per widget)

The answer widgets keep their own keys under "survey." too (survey.lang, survey.freq.<provider> ...),
seeded from the draft before they are drawn (`seed`); `init_state` sets only the keys above.

Navigation happens in button callbacks, so every rerun of this page starts from a callback; each
callback also keeps the sidebar's language picker in line with the language chosen here.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from data.invitations import TokenCheck, check_token
from data.org import list_relationships, names_by_code
from data.submissions import PendingSubmission, draft_changes, load_draft, merge_draft, with_value
from data.waves import survey_for_version
from services.versions import changed, data_version
from settings import settings
from surveys.answers import NEVER, NOT_APPLICABLE, AnswerError, Problem, clean_text, validate_submission
from surveys.definition import Survey
from ui.connection import get_submission_writer
from ui.frame import callback, db, lang, uninterrupted
from ui.i18n import LANGUAGES
from ui.results import RESULTS_TTL, departments

STEPS = ("screener", "provider", "self", "review")
FREE_BAD_TOKENS = 3  # unknown tokens a session may try before each further try waits
MAX_WAIT_SECONDS = 8.0


@dataclass(frozen=True)
class SurveyContext:
    """What one valid link gives access to (rebuilt on every run; never stored in the session)."""

    check: TokenCheck
    survey: Survey
    providers: tuple[str, ...]  # departments to offer, those serving the respondent's first
    serving: frozenset[str]  # providers the relationship map says serve the respondent's department
    customers: tuple[str, ...]  # departments the respondent's department serves (self-assessment)

    @property
    def rater_dept(self) -> str:
        return self.check.dept_code

    @property
    def self_assessment(self) -> bool:
        return bool(self.check.wave.self_assessment and self.customers)


# The survey and the relationship map do not depend on answers: keyed on the organisation's data
# version only, so a submission (which changes its wave's version) leaves them cached for the
# other respondents.
def _survey(survey_version: str) -> Survey:
    return _cached_survey(survey_version, data_version())


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def _cached_survey(survey_version: str, version: tuple[int, ...]) -> Survey:
    return survey_for_version(db(), survey_version)


def _relationships() -> pd.DataFrame:
    return _cached_relationships(data_version())


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def _cached_relationships(version: tuple[int, ...]) -> pd.DataFrame:
    return list_relationships(db())


def init_state() -> None:
    """The survey's session keys, set once per session."""
    for key, value in (
        ("survey.token", None),
        ("survey.draft", {}),
        ("survey.saved", {}),
        ("survey.draft_for", None),
        ("survey.done", None),
        ("survey.privacy", {}),
        ("survey.problems", []),
        ("survey.notice", None),
        ("survey.bad_tokens", 0),
        ("survey.counted", False),
        ("survey.lang_applied", False),
    ):
        st.session_state.setdefault(key, value)


def capture_token() -> None:
    """Take the token from the link into the session and clear it from the address bar."""
    token = st.query_params.get("token")
    if token is None:
        return
    if token != st.session_state["survey.token"]:
        # Another link in the same browser tab: start over for that link.
        st.session_state["survey.token"] = token
        st.session_state["survey.draft"] = {}
        st.session_state["survey.saved"] = {}
        st.session_state["survey.draft_for"] = None
        st.session_state["survey.done"] = None
        st.session_state["survey.problems"] = []
        st.session_state["survey.counted"] = False
    st.query_params.clear()


def slow_down(seconds: float) -> None:
    """Wait before answering (a guessed link costs time)."""
    time.sleep(seconds)


def current_check() -> TokenCheck | None:
    """The check of this session's token (None without one). Unknown tokens beyond the first few
    make this session wait, longer each time, so that guessing links is slow."""
    token = st.session_state["survey.token"]
    if token is None:
        return None
    check = check_token(db(), token)
    if check.status == "unknown" and not st.session_state.get("survey.counted"):
        # Counted once per token tried, so reruns of the same page (a language switch) do not wait.
        st.session_state["survey.bad_tokens"] += 1
        st.session_state["survey.counted"] = True
        extra = st.session_state["survey.bad_tokens"] - FREE_BAD_TOKENS
        if extra > 0:
            slow_down(min(MAX_WAIT_SECONDS, 0.5 * 2 ** (extra - 1)))
    return check


def build_context(check: TokenCheck) -> SurveyContext:
    """The survey, the departments to offer and the self-assessment customers of a valid link."""
    survey = _survey(check.wave.survey_version)
    deps = departments()
    rels = _relationships()
    mine = check.dept_code
    active = [c for c in deps.loc[deps["active"], "code"] if c != mine]
    serving = set(rels.loc[rels["customer_dept"] == mine, "provider_dept"]) & set(active)
    # One order in every language (issue 19): those serving the respondent's department first, then
    # by English name and code, so that a language switch moves nothing.
    english = names_by_code(deps, "en")
    by_name = sorted(active, key=lambda c: (english.get(c, c).casefold(), c))
    providers = tuple([c for c in by_name if c in serving] + [c for c in by_name if c not in serving])
    customers = tuple(c for c in by_name if c in set(rels.loc[rels["provider_dept"] == mine, "customer_dept"]))
    return SurveyContext(check, survey, providers, frozenset(serving), customers)


def department_names() -> dict[str, str]:
    """Department code -> name in the current language."""
    return names_by_code(departments(), lang())


def _browser_preferences() -> tuple[str | None, str]:
    """(navigator.language, the Accept-Language header) of this session's browser."""
    locale = getattr(st.context, "locale", None)
    headers = getattr(st.context, "headers", None) or {}
    return (str(locale) if locale else None), str(headers.get("Accept-Language") or "")


def browser_language() -> str | None:
    """The browser's first preferred language when it is one of ours ("en-GB" -> "en", "zh-CN" ->
    "zh"), else None: navigator.language, or the first entry of Accept-Language without it."""
    locale, accept = _browser_preferences()
    first = locale or accept.split(",", 1)[0].split(";", 1)[0]
    code = first.strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in LANGUAGES else None


def apply_wave_language(ctx: SurveyContext) -> None:
    """The survey's language, once per session unless the person chose one in this session: the
    choice made earlier with this link (on its draft), else the roster's (on the invitation), else the
    browser's preferred language when it is en or zh, else the wave's default (issue 19)."""
    if st.session_state["survey.lang_applied"]:
        return
    st.session_state["survey.lang_applied"] = True
    if st.session_state.get("lang_chosen"):
        return
    remembered = draft().get("lang")
    for choice in (remembered, ctx.check.language, browser_language(), ctx.check.wave.default_lang):
        if choice in LANGUAGES:
            st.session_state["lang"] = choice
            return


def _keep_language() -> None:
    # app.py's sidebar picker would put back its own value on the next run; in a callback its
    # widget state may be set, so keep it equal to the language in use.
    if "app.lang_picker" in st.session_state:
        st.session_state["app.lang_picker"] = lang()


@callback
def switch_language() -> None:
    """Callback of the page's language switch: the choice is remembered on the link's draft."""
    choice = st.session_state.get("survey.lang")
    if choice in ("en", "zh"):
        st.session_state["lang"] = choice
        st.session_state["lang_chosen"] = True
        if st.session_state["survey.draft_for"] is not None:
            _change({**draft(), "lang": choice})
        _relabel_choices()
    _keep_language()


_LABELLED_CHOICES = ("survey.freq.", "survey.item.", "survey.rec.", "survey.self.")


def _relabel_choices() -> None:
    # The browser keeps a radio's answer as its option's label ("Weekly"), which matches no option
    # in the other language ("每周"), so it would show nothing chosen. Setting every choice again
    # here (the values are still read with the old labels) has the next run send each one to the
    # browser with the new labels.
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(_LABELLED_CHOICES)]:
        st.session_state[key] = st.session_state[key]


def ensure_draft(ctx: SurveyContext) -> None:
    """Continue from the server-side draft when this session has none for this link yet."""
    if st.session_state["survey.draft_for"] == ctx.check.token_hash:
        return
    saved = load_draft(db(), ctx.check.token_hash)
    st.session_state["survey.draft"] = saved or {}
    st.session_state["survey.saved"] = saved or {}  # what the link's draft held when last read or written
    st.session_state["survey.draft_for"] = ctx.check.token_hash
    if saved and has_answers(saved):
        st.session_state["survey.notice"] = "survey_draft_restored"


def answer_count(saved: dict[str, Any]) -> int:
    """Answers a draft holds: screener choices other than "never", statements, 0-10 answers, comments
    and predictions (not the step or the language)."""
    count = sum(1 for f in (saved.get("frequency") or {}).values() if f != NEVER)
    for rating in (saved.get("ratings") or {}).values():
        count += len(rating.get("items") or {}) + len(rating.get("comments") or {})
        count += rating.get("recommend") is not None
    return count + sum(len(v) for v in (saved.get("self") or {}).values())


def has_answers(saved: dict[str, Any]) -> bool:
    """Whether a draft holds any answer, not only the step or the language."""
    return answer_count(saved) > 0


def _change(updated: dict[str, Any]) -> None:
    """The draft changed in a callback: kept in the session now, saved by `save_changes` (at most
    once per run, however many widgets changed)."""
    st.session_state["survey.draft"] = updated


def note_timing(event: str, **fields: Any) -> None:
    """For bench/survey.py only (setting ICSAT_SURVEY_TIMING, unset in production: nothing written):
    append one event (`run` with its seconds, `saved` with the answer count) and the wall clock to a
    JSON-lines file, so a script in another process can time them (the server owns the DuckDB file,
    so the draft cannot be read from outside while it runs)."""
    path = settings().survey_timing
    if path is not None:
        with path.open("a", encoding="utf-8") as log:
            log.write(json.dumps({"event": event, "at": time.time(), **fields}) + "\n")


# Where this session is in the survey and in which language: its own, whatever another session of
# the same link does (they are saved with the draft, so that the link reopens there).
NAVIGATION = ("step", "pos", "lang")


def save_changes(ctx: SurveyContext) -> None:
    """Write what changed in this session since the link's draft was last read or written (by this
    run's callbacks, or by a run that was stopped before it could save) into that draft: one read
    and one UPDATE, nothing when nothing changed. Only this session's changes are written, so a
    second tab or device with the same link adds its own answers instead of writing over these
    (issue 19); theirs show here from now on."""
    with uninterrupted():
        if st.session_state["survey.draft_for"] != ctx.check.token_hash:
            return
        mine = draft()
        changes = draft_changes(st.session_state["survey.saved"], mine)
        if not changes:
            return
        merged = merge_draft(db(), ctx.check.token_hash, changes)
        if merged is not None:
            st.session_state["survey.saved"] = merged
            own = {key: mine[key] for key in NAVIGATION if key in mine}
            st.session_state["survey.draft"] = {**{k: v for k, v in merged.items() if k not in NAVIGATION}, **own}
    note_timing("saved", answers=answer_count(draft()))


@callback
def keep(key: str, path: tuple[str, ...], limit: int | None = None) -> None:
    """Callback of every answer widget: the new value goes into the draft at `path` at once, so that
    closing the tab loses nothing (issue 19). Free text is cleaned of control characters first and
    cut at `limit` (the browser stops typing there; only a forged message brings more)."""
    _keep_language()
    value = st.session_state.get(key)
    if isinstance(value, str) and path[0] == "ratings":
        text, had_controls = clean_text(value[:limit] if limit else value)
        if had_controls:
            st.session_state["survey.notice"] = "survey_text_cleaned"
            st.session_state[key] = text
        value = text or None
    _change(with_value(draft(), path, value))


def seed(key: str, value: Any) -> None:
    """Before a widget is drawn: give it the draft's value. The draft is the truth; a widget's own
    state can be stale (a new session, another tab) or lost (a radio's state is its option label, so
    after a language switch it matches no option)."""
    if st.session_state.get(key) != value:
        st.session_state[key] = value


def draft() -> dict[str, Any]:
    """This session's answers so far."""
    return st.session_state["survey.draft"]


def chosen_providers(ctx: SurveyContext) -> list[str]:
    """The providers to rate, in screener order: those not marked "never"."""
    frequency = draft().get("frequency", {})
    return [p for p in ctx.providers if frequency.get(p, NEVER) != NEVER]


def step(ctx: SurveyContext) -> tuple[str, int]:
    """(step, position among the chosen providers), repaired if the draft points nowhere."""
    current = draft().get("step", "screener")
    position = int(draft().get("pos", 0) or 0)
    chosen = chosen_providers(ctx)
    if current not in STEPS or (current != "screener" and not chosen):
        return "screener", 0
    if current == "provider" and not 0 <= position < len(chosen):
        return "provider", 0
    if current == "self" and not ctx.self_assessment:
        return "review", 0
    return current, position


# About how long each step takes on a phone (minutes), for "about N min left": the screener and the
# review a minute each, a department's form two (statements, the 0-10 question, two optional
# texts), the self-assessment some seconds per prediction.
SCREENER_MINUTES = REVIEW_MINUTES = 1
PROVIDER_MINUTES = 2
SECONDS_PER_PREDICTION = 8


def progress(ctx: SurveyContext, current: str, position: int = 0) -> tuple[int, int, int]:
    """(step number, steps in all, minutes left including this step) of the whole survey: the
    screener, each chosen department, the self-assessment when the wave asks for it, the review.
    On the screener the departments chosen so far count (they change as the person answers)."""
    steps = [("screener", 0, SCREENER_MINUTES)]
    steps += [("provider", i, PROVIDER_MINUTES) for i in range(len(chosen_providers(ctx)))]
    if ctx.self_assessment:
        predictions = len(ctx.customers) * len(ctx.survey.dimension_ids)
        steps.append(("self", 0, max(1, -(-predictions * SECONDS_PER_PREDICTION // 60))))
    steps.append(("review", 0, REVIEW_MINUTES))
    index = next((i for i, (name, pos, _) in enumerate(steps) if (name, pos) == (current, position)), 0)
    return index + 1, len(steps), sum(minutes for _, _, minutes in steps[index:])


def _go(ctx: SurveyContext, to: str, position: int = 0) -> None:
    _change({**draft(), "step": to, "pos": position})


def _problems(problems: list[Problem]) -> None:
    st.session_state["survey.problems"] = [
        {"code": p.code, "provider": p.provider, "field": p.field, "limit": p.limit} for p in problems
    ]


def _validated(ctx: SurveyContext, raw: dict[str, Any]):
    """The survey's own validation of `raw` for this person (surveys.answers); raises AnswerError."""
    return validate_submission(
        ctx.survey,
        raw,
        rater_dept=ctx.rater_dept,
        providers=ctx.providers,
        self_customers=ctx.customers,
        self_assessment=ctx.self_assessment,
    )


def _validate(ctx: SurveyContext, raw: dict[str, Any]) -> list[Problem]:
    try:
        _validated(ctx, raw)
    except AnswerError as exc:
        return exc.problems
    return []


def _after_provider_steps(ctx: SurveyContext) -> str:
    return "self" if ctx.self_assessment else "review"


# Widget keys: stable and namespaced, one per department and question.
def frequency_key(provider: str) -> str:
    return f"survey.freq.{provider}"


def item_key(provider: str, item_id: str) -> str:
    return f"survey.item.{provider}.{item_id}"


def recommend_key(provider: str) -> str:
    return f"survey.rec.{provider}"


def text_key(provider: str, question: str) -> str:
    return f"survey.text.{provider}.{question}"


def self_key(customer: str, dimension: str) -> str:
    return f"survey.self.{customer}.{dimension}"


@callback
def screener_next(ctx: SurveyContext) -> None:
    """Callback: keep the screener's answers; on to the first chosen provider."""
    _keep_language()
    frequency = {p: st.session_state.get(frequency_key(p)) or NEVER for p in ctx.providers}
    st.session_state["survey.draft"] = {**draft(), "frequency": frequency}
    if all(f == NEVER for f in frequency.values()):
        _problems([Problem("no_provider")])
        _go(ctx, "screener")
        return
    st.session_state["survey.problems"] = []
    _go(ctx, "provider", 0)


def _read_provider_form(ctx: SurveyContext, provider: str) -> dict[str, Any]:
    items = {}
    for item in ctx.survey.items:
        value = st.session_state.get(item_key(provider, item.id))
        if value is not None:
            items[item.id] = value
    comments = {}
    for question in ctx.survey.open_questions:
        text, had_controls = clean_text(st.session_state.get(text_key(provider, question.id)) or "")
        if had_controls:
            st.session_state["survey.notice"] = "survey_text_cleaned"
        if text:
            comments[question.id] = text
    return {"items": items, "recommend": st.session_state.get(recommend_key(provider)), "comments": comments}


@callback
def provider_move(ctx: SurveyContext, provider: str, position: int, direction: int) -> None:
    """Callback of a provider form's Back (-1) and Next (+1): keep the answers, validate on Next."""
    _keep_language()
    ratings = {**draft().get("ratings", {}), provider: _read_provider_form(ctx, provider)}
    st.session_state["survey.draft"] = {**draft(), "ratings": ratings}
    chosen = chosen_providers(ctx)
    if direction < 0:
        st.session_state["survey.problems"] = []
        if position > 0:
            _go(ctx, "provider", position - 1)
        else:
            _go(ctx, "screener")
        return
    problems = _validate(
        ctx, {"frequency": {provider: draft()["frequency"][provider]}, "ratings": {provider: ratings[provider]}}
    )
    if problems:
        _problems(problems)
        _go(ctx, "provider", position)
        return
    st.session_state["survey.problems"] = []
    if position + 1 < len(chosen):
        _go(ctx, "provider", position + 1)
    else:
        _go(ctx, _after_provider_steps(ctx))


@callback
def self_move(ctx: SurveyContext, direction: int) -> None:
    """Callback of the self-assessment's Back and Next: keep the predictions."""
    _keep_language()
    predictions: dict[str, dict[str, int]] = {}
    for customer in ctx.customers:
        for dimension in ctx.survey.dimension_ids:
            value = st.session_state.get(self_key(customer, dimension))
            if value is not None:
                predictions.setdefault(customer, {})[dimension] = value
    st.session_state["survey.draft"] = {**draft(), "self": predictions}
    st.session_state["survey.problems"] = []
    if direction < 0:
        _go(ctx, "provider", max(len(chosen_providers(ctx)) - 1, 0))
    else:
        _go(ctx, "review")


@callback
def review_back(ctx: SurveyContext) -> None:
    """Callback of the review's Back."""
    _keep_language()
    st.session_state["survey.problems"] = []
    if ctx.self_assessment:
        _go(ctx, "self")
    else:
        _go(ctx, "provider", max(len(chosen_providers(ctx)) - 1, 0))


@callback
def edit(ctx: SurveyContext, to: str, position: int = 0) -> None:
    """Callback of the review's Edit buttons."""
    _keep_language()
    st.session_state["survey.problems"] = []
    _go(ctx, to, position)


def submission_raw(ctx: SurveyContext) -> dict[str, Any]:
    """The draft reduced to what is submitted (the chosen providers only)."""
    current = draft()
    chosen = chosen_providers(ctx)
    ratings = current.get("ratings", {})
    return {
        "frequency": dict(current.get("frequency", {})),
        "ratings": {p: ratings.get(p, {}) for p in chosen},
        "self": current.get("self", {}) if ctx.self_assessment else {},
    }


def privacy_numbers(ctx: SurveyContext) -> dict[str, int]:
    """The wave's thresholds the privacy words name: results need k people, comments k_comments."""
    return {"k": ctx.check.wave.k_min, "k_comments": ctx.check.wave.k_comments}


@callback
def submit(ctx: SurveyContext) -> None:
    """Callback of Submit: validate everything, hand it to the writer, wait for the commit."""
    _keep_language()
    if st.session_state["survey.done"]:
        return  # a second click that arrived after the first one was committed
    raw = submission_raw(ctx)
    try:
        valid = _validated(ctx, raw)
    except AnswerError as exc:
        _problems(exc.problems)
        return
    result = get_submission_writer().submit(PendingSubmission(ctx.check.token_hash, ctx.check.wave.wave_id, valid))
    if result.ok:
        st.session_state["survey.done"] = "ok"
        st.session_state["survey.privacy"] = privacy_numbers(ctx)
        st.session_state["survey.draft"] = {}
        st.session_state["survey.problems"] = []
        changed(ctx.check.wave.wave_id)  # that wave's results only; every other cache stays
    elif result.status == "error":
        st.session_state["survey.problems"] = [{"code": "submit_failed"}]
    # used, expired, wave_not_open: the next check of the token says so, and nothing was written


def answered_items(ctx: SurveyContext, provider: str) -> int:
    """Statements answered (a score or "not applicable") for one provider in the draft."""
    items = draft().get("ratings", {}).get(provider, {}).get("items", {})
    return sum(1 for item in ctx.survey.item_ids if items.get(item) is not None)


def likert_options() -> list[Any]:
    """The options of a statement: 1-5, then "not applicable"."""
    return [1, 2, 3, 4, 5, NOT_APPLICABLE]
