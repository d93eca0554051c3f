"""AppTest of the staff survey page (views/survey.py), step by step, on a copy of the demo database.

The demo's wave 2027-Q1 is open, enables the self-assessment, and has no responses. Invitations are
created directly in the database before the page runs.
"""

import datetime as dt

import pandas as pd
import pytest

from data.db import Database
from data.invitations import create_invitations, hash_token
from data.submissions import load_draft
from data.waves import set_wave_status
from tests.conftest import assert_serialisable_state, run_page

PAGE = "views/survey.py"
WAVE = "2027-Q1"


def _invite(db_path, dept: str = "SALES", expires_days: int = 30, wave: str = WAVE, language: str | None = None) -> str:
    db = Database(db_path)
    roster = pd.DataFrame({"row": [2], "email": ["someone@example.com"], "name": [""], "department": [dept]})
    if language is not None:
        roster["language"] = [language]
    link = create_invitations(db, wave, roster, base_url="http://x", expires_days=expires_days)["link"].iloc[0]
    db.close()
    return link.split("token=")[1]


def _open(db_path, token: str, *, lang: str = "en", state: dict | None = None):
    """The page opened from a personal link (first run without, then with the token, as a browser would)."""
    at = run_page(PAGE, db_path, role=None, lang=lang, state=state)
    at.query_params["token"] = token
    return at.run()


def _db():
    from ui.connection import get_database

    return get_database()


def _click(at, label: str, index: int = 0):
    buttons = [b for b in at.button if b.label == label]
    assert buttons, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    return buttons[index].click().run()


def _texts(at) -> str:
    parts = [e.value for kind in ("header", "subheader", "caption", "markdown", "info", "warning", "error", "success")
             for e in getattr(at, kind)]  # fmt: skip
    return "\n".join(str(p) for p in parts)


def _screener(at, choices: dict[str, str]):
    for code, frequency in choices.items():
        at.radio(key=f"survey.freq.{code}").set_value(frequency)
    return _click(at, "Next")


def _rate(at, provider: str, *, score=4, recommend=None, change: str | None = None, na=()):
    for radio in at.radio:
        if radio.key and radio.key.startswith(f"survey.item.{provider}."):
            radio.set_value("na" if radio.key.rsplit(".", 1)[1] in na else score)
    if recommend is not None:
        at.segmented_control(key=f"survey.rec.{provider}").set_value(recommend)
    if change is not None:
        at.text_area(key=f"survey.text.{provider}.change").input(change)
    return _click(at, "Next")


def test_without_a_link_the_page_says_how_to_get_in(demo_db_path):
    at = run_page(PAGE, demo_db_path, role=None)
    assert not at.exception
    assert "Open the personal link from your invitation" in at.info[0].value
    assert not at.radio


def test_the_token_is_taken_from_the_link_and_removed_from_the_address_bar(demo_db_path):
    token = _invite(demo_db_path)
    at = _open(demo_db_path, token)
    assert not at.exception
    assert at.query_params == {}
    assert at.session_state["survey.token"] == token
    assert at.header[0].value == "Internal customer satisfaction survey"
    assert "Survey round: 2027 Q1 · Your department: Sales" in _texts(at)
    assert_serialisable_state(at)


def test_the_survey_says_plainly_that_the_link_is_personal(demo_db_path):
    # Issue 16, problem 7: the draft (comments included) belongs to the link, so whoever opens the same
    # link sees it; the page says so instead of pretending otherwise.
    at = _open(demo_db_path, _invite(demo_db_path))
    assert "This link is personal" in _texts(at) and "sees your unfinished answers" in _texts(at)
    zh = _open(demo_db_path, _invite(demo_db_path), lang="zh")
    assert "此链接仅供您本人使用" in _texts(zh)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("unknown", "This survey link is not valid"),
        ("expired", "This survey link has expired"),
        ("used", "already been completed with this link"),
        ("wave_not_open", "This survey round is not open at the moment"),
    ],
)
def test_each_refused_link_gets_its_own_message_and_nothing_else(demo_db_path, status, expected):
    token = _invite(demo_db_path) if status != "unknown" else "x" * 43
    db = Database(demo_db_path)
    if status == "expired":
        db.connection().execute(
            "UPDATE invitations SET expires_at = ? WHERE token_hash = ?", [dt.datetime(2026, 1, 1), hash_token(token)]
        )
    elif status == "used":
        db.connection().execute("UPDATE invitations SET used = TRUE WHERE token_hash = ?", [hash_token(token)])
    elif status == "wave_not_open":
        set_wave_status(db, WAVE, "closed")
    db.close()
    at = _open(demo_db_path, token)
    assert not at.exception
    messages = [m.value for m in (*at.warning, *at.success)]
    assert len(messages) == 1 and expected in messages[0]
    assert not at.radio and not at.get("form") and not at.error


def test_refused_messages_in_chinese(demo_db_path):
    at = _open(demo_db_path, "y" * 43, lang="zh")
    assert at.header[0].value == "员工调查"
    assert "此调查链接无效" in at.warning[0].value


def test_repeated_bad_links_from_one_session_slow_down(demo_db_path, monkeypatch):
    waits = []
    monkeypatch.setattr("ui.survey_flow.slow_down", waits.append)
    at = run_page(PAGE, demo_db_path, role=None)
    for attempt in range(6):
        at.query_params["token"] = f"{attempt}" * 43
        at.run()
        assert "not valid" in at.warning[0].value
    # three free tries, then each further one waits longer
    assert waits[:3] == [0.5, 1.0, 2.0] and waits[-1] >= 2.0
    assert at.session_state["survey.bad_tokens"] == 6
    # the same bad link rerun (e.g. a language switch) does not wait again
    at.run()
    assert len(waits) == 3


def test_screener_lists_the_departments_that_serve_the_respondent_first(demo_db_path):
    at = _open(demo_db_path, _invite(demo_db_path))
    labels = [r.label for r in at.radio]
    assert "Sales" not in labels and len(labels) == 12  # every other active department
    # the demo map: Production, Logistics, Finance, Marketing, Customer Service, IT, HR, Legal serve Sales
    serving = {"Production", "Logistics", "Finance", "Marketing", "Customer Service", "IT", "Human Resources", "Legal"}
    assert set(labels[: len(serving)]) == serving
    assert "Departments that serve yours" in _texts(at) and "Other departments" in _texts(at)
    assert all(r.value == "never" for r in at.radio)
    assert at.radio[0].options == ["Never", "Less than monthly", "Monthly", "Weekly", "Daily"]


def test_choosing_nobody_is_refused_with_a_message(demo_db_path):
    at = _open(demo_db_path, _invite(demo_db_path))
    at = _click(at, "Next")
    assert "Choose at least one department you worked with" in at.error[0].value
    assert at.radio(key="survey.freq.PROD")  # still on the screener


def test_provider_forms_progress_back_next_and_validation(demo_db_path):
    at = _open(demo_db_path, _invite(demo_db_path))
    at = _screener(at, {"PROD": "weekly", "IT": "daily"})
    # screener order: IT (serves Sales) before Production alphabetically among the serving ones
    assert at.subheader[0].value == "IT"
    assert at.get("progress")[0].proto.text == "Step 2 of 5 · about 8 min left"
    assert "You worked with them: Daily" in _texts(at)
    recommend = at.segmented_control(key="survey.rec.IT")
    assert recommend.value is None and recommend.options == [str(n) for n in range(11)]  # no default
    assert at.radio(key="survey.item.IT.reliability_1").options == ["1", "2", "3", "4", "5", "Not applicable"]
    assert at.radio(key="survey.item.IT.reliability_1").label == "IT delivers what they promised."
    assert "Optional, up to 1000 characters" in _texts(at)
    # nothing answered: refused with a clear message
    at = _click(at, "Next")
    assert "Answer at least one question about IT" in at.error[0].value
    # 0 is a real answer
    at.segmented_control(key="survey.rec.IT").set_value(0)
    at = _click(at, "Next")
    assert at.subheader[0].value == "Production"
    assert at.get("progress")[0].proto.text == "Step 3 of 5 · about 6 min left"
    # Back keeps what was answered
    at = _click(at, "Back")
    assert at.subheader[0].value == "IT"
    assert at.segmented_control(key="survey.rec.IT").value == 0
    # and back again to the screener, which keeps the choices
    at = _click(at, "Back")
    assert at.radio(key="survey.freq.PROD").value == "weekly"
    assert at.radio(key="survey.freq.IT").value == "daily"
    assert_serialisable_state(at)


def test_the_whole_flow_submits_once_and_thanks(demo_db_path):
    token = _invite(demo_db_path)
    at = _open(demo_db_path, token)
    at = _screener(at, {"PROD": "weekly", "HR": "monthly"})
    assert at.subheader[0].value == "Human Resources"
    at = _rate(at, "HR", score=5, recommend=10)
    at = _rate(
        at, "PROD", score=2, recommend=0, change='<script>alert("x")</script> deliver on time', na=("reliability_1",)
    )
    # the self-assessment: Sales predicts how its customers rate it
    assert at.subheader[0].value == "How do your internal customers see your department?"
    assert "How do you think Marketing rates Sales?" in _texts(at)
    at.radio(key="survey.self.MKT.value").set_value(3)
    at = _click(at, "Next")
    assert at.subheader[0].value == "Review your answers"
    shown = _texts(at)
    assert "14 of 14 statements answered" in shown
    assert "Recommend (0-10): 0" in shown and "Recommend (0-10): 10" in shown
    assert "Self-assessment: 1 predictions" in shown
    # the comment is shown back as plain text
    assert [t.value for t in at.text] == ['<script>alert("x")</script> deliver on time']
    at = _click(at, "Submit my answers")
    assert not at.exception
    assert at.success[0].value == "Thank you! Your answers have been recorded."
    db = _db()
    rows = (
        db.connection()
        .execute(
            "SELECT provider_dept, rater_dept, frequency, recommend FROM responses"
            " WHERE wave_id = ? ORDER BY provider_dept",
            [WAVE],
        )
        .fetchall()
    )
    assert rows == [("HR", "SALES", "monthly", 10), ("PROD", "SALES", "weekly", 0)]
    na = (
        db.connection()
        .execute(
            "SELECT count(*) FROM answers a JOIN responses r USING (response_id)"
            " WHERE r.wave_id = ? AND r.provider_dept = 'PROD' AND a.value IS NULL",
            [WAVE],
        )
        .fetchone()[0]
    )
    assert na == 1
    selfs = db.connection().execute(
        "SELECT customer_dept, dimension, value FROM self_assessments WHERE wave_id = ?", [WAVE]
    )
    assert selfs.fetchall() == [("MKT", "value", 3)]
    assert (
        db.connection().execute("SELECT used FROM invitations WHERE token_hash = ?", [hash_token(token)]).fetchone()[0]
    )
    assert load_draft(db, hash_token(token)) is None
    # opening the link again says it is done
    again = _open(demo_db_path, token)
    assert "already been completed" in again.success[0].value


def test_submitting_twice_with_one_link_stores_one_set_of_answers(demo_db_path):
    token = _invite(demo_db_path, dept="HR")
    first = _open(demo_db_path, token)
    first = _screener(first, {"IT": "weekly"})
    first = _rate(first, "IT", recommend=6)
    first = _click(first, "Next")  # the self-assessment left empty
    assert first.subheader[0].value == "Review your answers"
    # the same link open in a second tab (or a second click that arrives late), also at the review
    second = _open(demo_db_path, token)
    assert second.subheader[0].value == "Review your answers"
    first = _click(first, "Submit my answers")
    assert first.success[0].value == "Thank you! Your answers have been recorded."
    second = _click(second, "Submit my answers")
    assert "already been completed with this link" in second.success[0].value
    first = first.run()  # the thank-you page stays
    assert first.success[0].value == "Thank you! Your answers have been recorded."
    count = _db().connection().execute("SELECT count(*) FROM responses WHERE wave_id = ?", [WAVE]).fetchone()[0]
    assert count == 1


def test_a_wave_closed_while_the_form_was_open_writes_nothing(demo_db_path):
    at = _open(demo_db_path, _invite(demo_db_path, dept="IT"))
    at = _screener(at, {"HR": "weekly"})
    at = _rate(at, "HR", recommend=7)
    at = _click(at, "Next")
    assert at.subheader[0].value == "Review your answers"
    set_wave_status(_db(), WAVE, "closed")
    at = _click(at, "Submit my answers")
    assert "This survey round is not open at the moment" in at.warning[0].value
    assert not at.success
    count = _db().connection().execute("SELECT count(*) FROM responses WHERE wave_id = ?", [WAVE]).fetchone()[0]
    assert count == 0


def test_coming_back_with_the_same_link_continues_from_the_draft(demo_db_path):
    token = _invite(demo_db_path)
    at = _open(demo_db_path, token)
    at = _screener(at, {"PROD": "weekly", "IT": "daily"})
    at.segmented_control(key="survey.rec.IT").set_value(8)
    at = _click(at, "Next")
    assert at.subheader[0].value == "Production"
    # a new session (reload, another day) with the same link
    later = _open(demo_db_path, token)
    assert "Welcome back: your answers so far have been restored." in later.info[0].value
    assert later.subheader[0].value == "Production"
    later = _click(later, "Back")
    assert later.segmented_control(key="survey.rec.IT").value == 8


def test_text_over_the_limit_is_refused(demo_db_path):
    token = _invite(demo_db_path)
    at = _open(demo_db_path, token)
    at = _screener(at, {"PROD": "weekly"})
    # the browser stops typing at the limit, which the page shows
    assert at.text_area(key="survey.text.PROD.need").max_chars == 1000
    # a longer text that reaches the server anyway (a tampered draft) is refused at submission
    from data.submissions import save_draft

    draft = {
        "step": "review",
        "frequency": {"PROD": "weekly"},
        "ratings": {"PROD": {"recommend": 5, "comments": {"need": "x" * 1001}}},
    }
    save_draft(_db(), hash_token(token), draft)
    later = _open(demo_db_path, token)
    later = _click(later, "Submit my answers")
    assert "longer than 1000 characters" in later.error[0].value
    assert not later.success
    assert _db().connection().execute("SELECT count(*) FROM responses WHERE wave_id = ?", [WAVE]).fetchone()[0] == 0


def test_the_page_in_chinese(demo_db_path):
    at = _open(demo_db_path, _invite(demo_db_path), lang="zh")
    assert at.header[0].value == "内部客户满意度调查"
    assert "您与哪些部门合作过？" in _texts(at)
    assert "销售部" in _texts(at)  # the respondent's department
    labels = [r.label for r in at.radio]
    assert "生产部" in labels and at.radio[0].options[0] == "从未"
    at.radio(key="survey.freq.PROD").set_value("weekly")
    at = _click(at, "下一步")
    assert at.get("progress")[0].proto.text == "第2步，共4步 · 约剩6分钟"
    assert at.radio(key="survey.item.PROD.reliability_1").label == "生产部能兑现他们的承诺。"


def test_the_language_switch_on_the_page(demo_db_path):
    at = _open(demo_db_path, _invite(demo_db_path))
    assert at.header[0].value == "Internal customer satisfaction survey"
    at.segmented_control(key="survey.lang").set_value("zh").run()
    assert at.header[0].value == "内部客户满意度调查"
    assert at.session_state["lang"] == "zh" and at.session_state["lang_chosen"]


def test_the_wave_language_is_the_default_until_the_person_chooses(demo_db_path):
    db = Database(demo_db_path)
    db.connection().execute("UPDATE waves SET default_lang = 'zh' WHERE wave_id = ?", [WAVE])
    db.close()
    token = _invite(demo_db_path)
    at = _open(demo_db_path, token, state={"lang_chosen": False})
    assert at.header[0].value == "内部客户满意度调查"
    chosen = _open(demo_db_path, token, lang="en")  # run_page marks English as chosen
    assert chosen.header[0].value == "Internal customer satisfaction survey"


def test_control_characters_are_removed_from_text_with_a_notice(demo_db_path):
    token = _invite(demo_db_path)
    at = _open(demo_db_path, token)
    at = _screener(at, {"PROD": "weekly"})
    at.text_area(key="survey.text.PROD.change").input("late\x07 again\x00")
    at = _click(at, "Next")
    assert "Invisible control characters were removed from your text." in at.info[0].value
    assert load_draft(_db(), hash_token(token))["ratings"]["PROD"]["comments"] == {"change": "late again"}


def test_department_names_are_shown_as_typed_on_the_survey_forms(demo_db_path):
    # Issue 16: names go into Markdown (headings, question labels, the screener); a name written as a
    # link or with a bare URL must stay text there too.
    from ui.frame import md_escape

    name = "IT [x](https://evil.example) www.evil.example"
    db = Database(demo_db_path)
    db.connection().execute("UPDATE departments SET name_en = ? WHERE code = 'IT'", [name])
    db.close()
    at = _open(demo_db_path, _invite(demo_db_path))
    assert md_escape(name) in [r.label for r in at.radio]  # the screener
    at = _screener(at, {"IT": "daily"})
    assert at.subheader[0].value == md_escape(name)
    assert at.radio(key="survey.item.IT.reliability_1").label == f"{md_escape(name)} delivers what they promised."


def test_a_submission_leaves_other_waves_cached_and_refreshes_its_own(demo_db_path, monkeypatch):
    """During a live wave each submission changes that wave's results only: another wave's cached
    report and the survey definition respondents share stay cached; the wave's own next read is new."""
    from ui import results, survey_flow

    at = _open(demo_db_path, _invite(demo_db_path, dept="HR"))  # the page run clears every cache first
    at = _screener(at, {"IT": "weekly"})
    at = _rate(at, "IT", recommend=6)
    at = _click(at, "Next")
    assert at.subheader[0].value == "Review your answers"
    version = results.waves()[-1].survey_version
    before_open = results.wave_report(WAVE).responded_total
    results.wave_report("2026-Q4")
    survey_flow._survey(version)
    built, read = [], []
    monkeypatch.setattr(results, "build_wave_report", lambda db, wave_id, **kw: built.append(wave_id))
    monkeypatch.setattr(survey_flow, "survey_for_version", lambda db, v: read.append(v))

    at = _click(at, "Submit my answers")
    assert at.success[0].value == "Thank you! Your answers have been recorded."
    results.wave_report("2026-Q4")
    survey_flow._survey(version)
    assert built == [] and read == []  # both still cached
    monkeypatch.undo()
    assert results.wave_report(WAVE).responded_total == before_open + 1


# Issue 19: every answer is kept as it is given, in every language.


def _draft(token: str) -> dict:
    return load_draft(_db(), hash_token(token)) or {}


def test_each_answer_is_saved_on_the_link_as_it_is_given(demo_db_path):
    token = _invite(demo_db_path)
    at = _open(demo_db_path, token)
    at.radio(key="survey.freq.PROD").set_value("weekly").run()
    assert _draft(token)["frequency"]["PROD"] == "weekly"  # no Next tapped
    at = _click(at, "Next")
    at.radio(key="survey.item.PROD.reliability_1").set_value(2).run()
    assert _draft(token)["ratings"]["PROD"]["items"] == {"reliability_1": 2}
    at.segmented_control(key="survey.rec.PROD").set_value(0).run()
    at.text_area(key="survey.text.PROD.need").input("reliable dates").run()
    saved = _draft(token)["ratings"]["PROD"]
    assert saved["recommend"] == 0 and saved["comments"] == {"need": "reliable dates"}
    at.radio(key="survey.item.PROD.reliability_1").set_value("na").run()
    assert _draft(token)["ratings"]["PROD"]["items"] == {"reliability_1": "na"}
    # the page says so: the screener choice, the statement, the 0-10 answer and the comment
    assert "Answers saved with your link: 4" in _texts(at)
    assert_serialisable_state(at)


def test_a_half_filled_form_is_there_again_in_a_new_session(demo_db_path):
    token = _invite(demo_db_path)
    at = _open(demo_db_path, token)
    at = _screener(at, {"PROD": "weekly", "IT": "daily"})
    at.radio(key="survey.item.IT.reliability_1").set_value(5).run()
    at.radio(key="survey.item.IT.reliability_2").set_value(3).run()
    at.text_area(key="survey.text.IT.change").input("answer tickets").run()
    # the tab is closed; the link opened again (another device, another day)
    later = _open(demo_db_path, token)
    assert "Welcome back: your answers so far have been restored." in later.info[0].value
    assert later.subheader[0].value == "IT"
    assert later.radio(key="survey.item.IT.reliability_1").value == 5
    assert later.radio(key="survey.item.IT.reliability_2").value == 3
    assert later.radio(key="survey.item.IT.reliability_3").value is None
    assert later.text_area(key="survey.text.IT.change").value == "answer tickets"
    later = _click(later, "Back")
    assert later.radio(key="survey.freq.PROD").value == "weekly"
    assert later.radio(key="survey.freq.IT").value == "daily"


def test_welcome_back_only_when_answers_were_restored(demo_db_path):
    token = _invite(demo_db_path)
    at = _open(demo_db_path, token)
    at.segmented_control(key="survey.lang").set_value("zh").run()  # a choice, no answer
    again = _open(demo_db_path, token)
    assert not again.info
    screener_only = _open(demo_db_path, token)
    screener_only.radio(key="survey.freq.IT").set_value("monthly").run()
    assert "Welcome back" in _open(demo_db_path, token).info[0].value


def test_switching_language_keeps_the_screener_choices(demo_db_path):
    at = _open(demo_db_path, _invite(demo_db_path))
    at.radio(key="survey.freq.PROD").set_value("weekly").run()
    at.radio(key="survey.freq.IT").set_value("daily").run()
    at.segmented_control(key="survey.lang").set_value("zh").run()
    assert at.header[0].value == "内部客户满意度调查"
    assert at.radio(key="survey.freq.PROD").value == "weekly"
    assert at.radio(key="survey.freq.IT").value == "daily"
    assert at.radio(key="survey.freq.HR").value == "never"
    at = _click(at, "下一步")
    assert at.subheader[0].value == "信息技术部"  # IT, the first of the two chosen, not of twelve
    frequency = at.session_state["survey.draft"]["frequency"]
    assert {code: f for code, f in frequency.items() if f != "never"} == {"IT": "daily", "PROD": "weekly"}


def test_switching_language_keeps_a_half_filled_form(demo_db_path):
    at = _open(demo_db_path, _invite(demo_db_path))
    at = _screener(at, {"PROD": "weekly"})
    at.radio(key="survey.item.PROD.reliability_1").set_value("na").run()
    at.radio(key="survey.item.PROD.reliability_2").set_value(4).run()
    at.text_area(key="survey.text.PROD.need").input("dates").run()
    at.segmented_control(key="survey.lang").set_value("zh").run()
    assert at.subheader[0].value == "生产部"
    assert at.radio(key="survey.item.PROD.reliability_1").value == "na"
    assert at.radio(key="survey.item.PROD.reliability_2").value == 4
    assert at.text_area(key="survey.text.PROD.need").value == "dates"
    at.segmented_control(key="survey.lang").set_value("en").run()
    assert at.radio(key="survey.item.PROD.reliability_1").value == "na"


def test_departments_are_in_one_order_in_both_languages(demo_db_path):
    token = _invite(demo_db_path)
    en = [r.key for r in _open(demo_db_path, token).radio]
    zh = [r.key for r in _open(demo_db_path, token, lang="zh").radio]
    assert en == zh and len(en) == 12


# Issue 19: the survey's language: the person's choice, else the roster's, else the browser's, else the wave's.
NEW_BROWSER = {"lang_chosen": False}  # a first visit: nobody chose a language yet
EN_TITLE, ZH_TITLE = "Internal customer satisfaction survey", "内部客户满意度调查"


def test_the_roster_language_wins_over_the_browser_and_the_wave(demo_db_path, monkeypatch):
    monkeypatch.setattr("ui.survey_flow.browser_language", lambda: "en")
    at = _open(demo_db_path, _invite(demo_db_path, language="zh"), state=NEW_BROWSER)
    assert at.header[0].value == ZH_TITLE


@pytest.mark.parametrize(("browser", "title"), [("zh", ZH_TITLE), ("en", EN_TITLE), (None, ZH_TITLE)])
def test_the_browser_language_wins_over_the_wave_when_it_is_en_or_zh(demo_db_path, monkeypatch, browser, title):
    db = Database(demo_db_path)
    db.connection().execute("UPDATE waves SET default_lang = 'zh' WHERE wave_id = ?", [WAVE])
    db.close()
    monkeypatch.setattr("ui.survey_flow.browser_language", lambda: browser)
    at = _open(demo_db_path, _invite(demo_db_path), state=NEW_BROWSER)
    assert at.header[0].value == title


@pytest.mark.parametrize(
    ("locale", "accept", "expected"),
    [
        ("zh-CN", "", "zh"),
        ("en-GB", "zh-CN", "en"),
        ("fr-FR", "zh", None),
        (None, "zh-TW,zh;q=0.9", "zh"),
        (None, "", None),
    ],
)
def test_the_browser_language_is_its_first_preference(monkeypatch, locale, accept, expected):
    from ui import survey_flow

    monkeypatch.setattr(survey_flow, "_browser_preferences", lambda: (locale, accept))
    assert survey_flow.browser_language() == expected


def test_a_language_chosen_in_the_survey_is_remembered_for_the_link(demo_db_path, monkeypatch):
    monkeypatch.setattr("ui.survey_flow.browser_language", lambda: "en")
    token = _invite(demo_db_path)
    at = _open(demo_db_path, token, state=NEW_BROWSER)
    assert at.header[0].value == EN_TITLE
    at.segmented_control(key="survey.lang").set_value("zh").run()
    later = _open(demo_db_path, token, state=NEW_BROWSER)  # another day, another browser
    assert later.header[0].value == ZH_TITLE
    # and back: the choice wins over the roster's language too
    roster_zh = _invite(demo_db_path, language="zh")
    at = _open(demo_db_path, roster_zh, state=NEW_BROWSER)
    at.segmented_control(key="survey.lang").set_value("en").run()
    assert _open(demo_db_path, roster_zh, state=NEW_BROWSER).header[0].value == EN_TITLE


# Issue 19: progress counts every step and says about how long is left.


def _progress(at) -> str:
    return at.get("progress")[0].proto.text


def test_progress_counts_every_step_and_the_minutes_left(demo_db_path):
    at = _open(demo_db_path, _invite(demo_db_path))
    # screener, self-assessment (Sales serves others; the wave asks for it: 3 min) and review so far
    assert _progress(at) == "Step 1 of 3 · about 5 min left"
    at.radio(key="survey.freq.PROD").set_value("weekly").run()
    at.radio(key="survey.freq.IT").set_value("daily").run()
    assert _progress(at) == "Step 1 of 5 · about 9 min left"  # the choices count as they are made
    at = _click(at, "Next")
    assert _progress(at) == "Step 2 of 5 · about 8 min left"
    at = _rate(at, "IT", recommend=5)
    assert _progress(at) == "Step 3 of 5 · about 6 min left"
    at = _rate(at, "PROD", recommend=5)
    assert _progress(at) == "Step 4 of 5 · about 4 min left"
    at = _click(at, "Next")
    assert _progress(at) == "Step 5 of 5 · about 1 min left"
    zh = at.segmented_control(key="survey.lang").set_value("zh").run()
    assert _progress(zh) == "第5步，共5步 · 约剩1分钟"


# Issue 19: anonymity explained with the wave's own numbers, on every step.


def test_the_privacy_note_gives_the_waves_numbers_on_every_step(demo_db_path):
    db = Database(demo_db_path)
    db.connection().execute("UPDATE waves SET k_min = 7, k_comments = 12 WHERE wave_id = ?", [WAVE])
    db.close()
    at = _open(demo_db_path, _invite(demo_db_path))
    first = _texts(at)
    assert "at least 7 people" in first and "at least 12 people" in first  # the short note on the first page
    for step in ("screener", "provider", "review"):
        expanders = [e for e in at.expander if e.label == "How is my privacy protected?"]
        assert len(expanders) == 1, step
        inside = "\n".join(m.value for m in expanders[0].markdown)
        assert "at least 7 people" in inside and "at least 12 people" in inside
        assert "word for word" in inside and "do not name" in inside
        assert "not stored with your name" in inside
        assert "Sales" in inside  # what the header's department is used for
        if step == "screener":
            at = _screener(at, {"IT": "daily"})
        elif step == "provider":
            at = _rate(at, "IT", recommend=7)  # on to the self-assessment
            assert at.subheader[0].value == "How do your internal customers see your department?"
            assert [e.label for e in at.expander] == ["How is my privacy protected?"]
            at = _click(at, "Next")
    assert "Survey round" in _texts(at) and at.subheader[0].value == "Review your answers"
    # the intro and the thank-you page say the same as the note, never a vague "several people"
    at = _click(at, "Submit my answers")
    assert at.success[0].value == "Thank you! Your answers have been recorded."
    assert "at least 7 people" in _texts(at) and "at least 12 people" in _texts(at)
    assert "several" not in first and "several" not in _texts(at)
    assert "privacy note below" in first
    zh = _open(demo_db_path, _invite(demo_db_path), lang="zh")
    assert [e.label for e in zh.expander] == ["我的隐私如何受到保护？"]
    assert "至少7人" in _texts(zh) and "至少12人" in _texts(zh)


def test_two_sessions_of_one_link_add_their_answers_to_each_other(demo_db_path):
    """Issue 19: a second tab or device with the same link. Each session writes only what it changed,
    so neither erases the other's answers (before, each wrote its whole draft: the last one won)."""
    token = _invite(demo_db_path)
    first = _screener(_open(demo_db_path, token), {"IT": "daily"})
    second = _open(demo_db_path, token)
    assert second.subheader[0].value == "IT"  # it continues where the first one is
    first.radio(key="survey.item.IT.reliability_1").set_value(4).run()
    second.radio(key="survey.item.IT.reliability_2").set_value(5).run()
    assert second.radio(key="survey.item.IT.reliability_1").value == 4  # the first one's answer shows
    assert "Answers saved with your link: 3" in _texts(second)
    first.radio(key="survey.item.IT.understanding_1").set_value("na").run()
    assert first.radio(key="survey.item.IT.reliability_2").value == 5
    assert load_draft(_db(), hash_token(token))["ratings"]["IT"]["items"] == {
        "reliability_1": 4,
        "reliability_2": 5,
        "understanding_1": "na",
    }
    # each keeps its own step: the second one going back to the screener does not move the first
    second = _click(second, "Back")
    first.radio(key="survey.item.IT.understanding_2").set_value(3).run()
    assert first.subheader[0].value == "IT"
