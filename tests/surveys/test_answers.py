"""Validation of one staff submission (surveys/answers.py) against the default survey."""

import pytest

from surveys.answers import NOT_APPLICABLE, PROBLEM_CODES, AnswerError, clean_text, validate_submission
from surveys.definition import load_survey
from ui.i18n import catalogue

SURVEY = load_survey()
PROVIDERS = ["PROD", "HR", "IT", "SALES"]


def _validate(raw, **kwargs):
    options = {"rater_dept": "SALES", "providers": PROVIDERS, "self_customers": ["MKT"], "self_assessment": True}
    return validate_submission(SURVEY, raw, **{**options, **kwargs})


def _codes(raw, **kwargs) -> list[str]:
    with pytest.raises(AnswerError) as caught:
        _validate(raw, **kwargs)
    return [p.code for p in caught.value.problems]


def _one(rating, provider="PROD", frequency="weekly"):
    return {"frequency": {provider: frequency}, "ratings": {provider: rating}}


def test_a_full_submission_is_returned_in_validated_form():
    raw = {
        "frequency": {"PROD": "weekly", "HR": "never", "IT": "daily"},
        "ratings": {
            "PROD": {
                "items": {"reliability_1": 2, "empathy_1": NOT_APPLICABLE, "value_1": None},
                "recommend": 7,
                "comments": {"change": "  Tell us early.  ", "need": ""},
            },
            "IT": {"items": {"responsiveness_1": 5}},
        },
        "self": {"MKT": {"value": 4, "empathy": None}},
    }
    valid = _validate(raw)
    assert valid.rater_dept == "SALES"
    assert [r.provider for r in valid.ratings] == ["PROD", "IT"]  # "never" skips HR
    prod = valid.ratings[0]
    # "not applicable" is stored as None; a skipped item (None) is absent
    assert prod.answers == {"reliability_1": 2, "empathy_1": None}
    assert prod.recommend == 7
    assert prod.comments == {"change": "Tell us early."}
    assert valid.ratings[1].recommend is None
    assert valid.self_assessment == (("MKT", "value", 4),)


def test_recommend_zero_is_a_real_answer_and_missing_is_distinct():
    zero = _validate(_one({"recommend": 0}))
    assert zero.ratings[0].recommend == 0
    missing = _validate(_one({"items": {"value_1": 3}}))
    assert missing.ratings[0].recommend is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (0, "score_out_of_range"),
        (6, "score_out_of_range"),
        (-1, "score_out_of_range"),
        ("3", "score_not_number"),
        ("abc", "score_not_number"),
        (2.5, "score_not_number"),
        (True, "score_not_number"),
        ([3], "score_not_number"),
    ],
)
def test_out_of_range_or_non_numeric_scores_are_refused(value, code):
    assert _codes(_one({"items": {"reliability_1": value}})) == [code]


@pytest.mark.parametrize(
    ("value", "code"), [(11, "recommend_out_of_range"), (-1, "recommend_out_of_range"), ("9", "recommend_not_number")]
)
def test_recommend_outside_0_to_10_is_refused(value, code):
    assert _codes(_one({"recommend": value})) == [code]


def test_unknown_providers_items_questions_and_frequencies_are_refused():
    assert _codes(_one({"recommend": 5}, provider="NOPE")) == ["unknown_provider"]
    # one's own department is not a provider one can rate
    assert _codes(_one({"recommend": 5}, provider="SALES")) == ["unknown_provider"]
    assert _codes(_one({"items": {"reliability_9": 3}})) == ["unknown_item"]
    assert _codes(_one({"comments": {"why": "x"}})) == ["unknown_question"]
    assert _codes(_one({"recommend": 5}, frequency="hourly")) == ["bad_frequency"]


def test_nothing_chosen_and_a_chosen_provider_left_blank_are_refused():
    assert _codes({"frequency": {"PROD": "never", "HR": "never"}}) == ["no_provider"]
    assert _codes({}) == ["no_provider"]
    assert _codes(_one({})) == ["provider_unanswered"]
    assert _codes(_one({"comments": {"change": "   "}})) == ["provider_unanswered"]


def test_text_over_the_limit_is_refused_and_at_the_limit_accepted():
    limit = SURVEY.open_question("change").max_length
    assert _validate(_one({"comments": {"change": "x" * limit}})).ratings[0].comments["change"] == "x" * limit
    with pytest.raises(AnswerError) as caught:
        _validate(_one({"comments": {"change": "x" * (limit + 1)}}))
    problem = caught.value.problems[0]
    assert (problem.code, problem.provider, problem.field, problem.limit) == ("text_too_long", "PROD", "change", limit)


def test_control_characters_are_refused_by_validation_and_removed_by_clean_text():
    assert _codes(_one({"comments": {"need": "fine\x00 text"}})) == ["text_control"]
    assert _codes(_one({"comments": {"need": "bell\x07"}})) == ["text_control"]
    assert clean_text("a\x00b\x1b[31mc\r\nd\te ") == ("ab[31mc\nd\te", True)
    assert clean_text("plain\nlines") == ("plain\nlines", False)
    # newlines and tabs are ordinary text
    assert _validate(_one({"comments": {"need": "one\r\ntwo\tthree"}})).ratings[0].comments["need"] == "one\ntwo\tthree"


def test_html_and_script_are_kept_as_plain_text():
    text = '<script>alert("x")</script><b>bold</b> & =SUM(A1)'
    assert _validate(_one({"comments": {"change": text}})).ratings[0].comments["change"] == text


def test_self_assessment_rules():
    base = _one({"recommend": 8})
    assert _codes({**base, "self": {"MKT": {"value": 6}}}) == ["self_out_of_range"]
    assert _codes({**base, "self": {"HR": {"value": 3}}}) == ["self_unknown_customer"]
    assert _codes({**base, "self": {"MKT": {"speed": 3}}}) == ["self_unknown_dimension"]
    assert _codes({**base, "self": {"MKT": {"value": 3}}}, self_assessment=False) == ["self_not_enabled"]


def test_a_rating_left_for_a_department_later_set_to_never_is_dropped():
    raw = {
        "frequency": {"PROD": "never", "IT": "weekly"},
        "ratings": {"PROD": {"recommend": 3}, "IT": {"recommend": 9}},
    }
    assert [r.provider for r in _validate(raw).ratings] == ["IT"]


def test_every_problem_is_reported_at_once():
    raw = {
        "frequency": {"PROD": "weekly", "IT": "daily"},
        "ratings": {"PROD": {"items": {"value_1": 9}}, "IT": {"recommend": 12}},
    }
    assert sorted(_codes(raw)) == ["recommend_out_of_range", "score_out_of_range"]


def test_malformed_input_is_refused_not_crashed():
    assert _codes(["not", "a", "dict"]) == ["malformed"]
    assert _codes({"frequency": "PROD"}) == ["malformed"]
    assert "malformed" in _codes(_one({"items": "all fives"}))


def test_every_problem_code_has_a_message_in_both_languages():
    texts = catalogue()
    for code in PROBLEM_CODES:
        entry = texts[f"survey_err_{code}"]
        assert entry["en"].strip() and entry["zh"].strip()
