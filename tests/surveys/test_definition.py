"""The survey loader: the default questionnaire, and one test per rule a broken definition breaks."""

import pytest
import yaml

from surveys.definition import (
    DEFAULT_SURVEY_PATH,
    FREQUENCIES,
    SurveyDefinitionError,
    load_survey,
    parse_survey,
)


def test_default_questionnaire_matches_the_design():
    survey = load_survey()
    assert survey.dimension_ids == (
        "understanding",
        "responsiveness",
        "reliability",
        "communication",
        "empathy",
        "value",
    )
    for dim in survey.dimensions:
        assert 2 <= len(dim.items) <= 3
        assert all(item.id.startswith(dim.id + "_") for item in dim.items)
        assert dim.label.zh and dim.label.en
    assert "reliability_2" in survey.item_ids
    assert tuple(o.id for o in survey.frequency_options) == FREQUENCIES
    assert {q.id for q in survey.open_questions} == {"change", "need"}
    assert (survey.recommend_min, survey.recommend_max) == (0, 10)
    assert survey.survey_version == "icsat-default-v1"
    # every text names the provider so it reads "{provider} ..." once filled in
    assert all("{provider}" in item.text.en and "{provider}" in item.text.zh for item in survey.items)
    assert survey.dimension("empathy").label.zh == "换位思考"


def _broken(edit) -> str:
    doc = yaml.safe_load(DEFAULT_SURVEY_PATH.read_text(encoding="utf-8"))
    edit(doc)
    return yaml.safe_dump(doc, allow_unicode=True)


def _error(edit) -> str:
    with pytest.raises(SurveyDefinitionError) as err:
        parse_survey(_broken(edit), "broken.yaml")
    return str(err.value)


def test_duplicate_item_id_names_file_item_and_rule():
    def edit(doc):
        doc["dimensions"][2]["items"][1]["id"] = "reliability_1"

    message = _error(edit)
    assert message.startswith("broken.yaml: item reliability_1:")
    assert "duplicate id" in message


def test_missing_translation_names_the_item_and_language():
    def edit(doc):
        del doc["dimensions"][0]["items"][1]["text"]["zh"]

    message = _error(edit)
    assert "broken.yaml" in message and "understanding_2" in message and "missing translation 'zh'" in message


def test_bad_likert_scale_is_refused():
    def edit(doc):
        doc["likert"]["max"] = 7

    assert "bad scale" in _error(edit)


def test_bad_recommend_scale_is_refused():
    def edit(doc):
        doc["recommend"]["max"] = 5

    message = _error(edit)
    assert "recommend" in message and "bad scale" in message


def test_item_of_an_unknown_dimension_is_refused():
    def edit(doc):
        doc["dimensions"][1]["items"][0]["id"] = "speed_1"

    message = _error(edit)
    assert "item speed_1" in message and "unknown dimension 'speed'" in message


def test_bad_item_id_is_refused():
    def edit(doc):
        doc["dimensions"][1]["items"][0]["id"] = "Responsiveness-1"

    assert "bad id" in _error(edit)


def test_frequency_options_must_be_the_five_in_order():
    def edit(doc):
        doc["frequency"]["options"].reverse()

    assert "frequency.options" in _error(edit)


def test_missing_field_is_named():
    def edit(doc):
        del doc["recommend"]["text"]

    assert "missing field 'text'" in _error(edit)


def test_too_many_items_in_a_dimension():
    def edit(doc):
        doc["dimensions"][0]["items"].append({"id": "understanding_3", "text": {"en": "x", "zh": "x"}})
        doc["dimensions"][0]["items"].append({"id": "understanding_4", "text": {"en": "x", "zh": "x"}})

    assert "two or three items" in _error(edit)


def test_not_yaml_and_unreadable_files():
    with pytest.raises(SurveyDefinitionError, match=r"broken\.yaml: not valid YAML"):
        parse_survey("a: [", "broken.yaml")
    with pytest.raises(SurveyDefinitionError, match=r"missing\.yaml: cannot be read"):
        load_survey("/nonexistent/missing.yaml")


def test_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes(DEFAULT_SURVEY_PATH.read_text(encoding="utf-8").encode("gb18030"))
    with pytest.raises(SurveyDefinitionError, match=r"gbk\.yaml: not UTF-8"):
        load_survey(path)
