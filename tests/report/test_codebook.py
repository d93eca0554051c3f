"""The codebook: the survey's questions in both languages, and a meaning for every exported column."""

from __future__ import annotations

import pandas as pd
import pytest

from data.db import Database
from data.waves import get_wave, survey_for_version
from report.codebook import CODEBOOK_COLUMNS, UNDESCRIBED, build_codebook
from report.exports import (
    AGGREGATE_TABLES,
    aggregate_tables,
    export_table,
    responses_columns,
    wave_codebook,
    wave_report,
)
from surveys.definition import load_survey

WAVE = "2026-Q4"


def test_the_responses_rows_carry_every_question_with_its_wording_in_both_languages():
    survey = load_survey()
    book = build_codebook(survey)
    assert tuple(book.columns) == CODEBOOK_COLUMNS
    responses = book[book["table"] == "responses"]
    # the codebook lists the responses table's columns in the file's order
    assert list(responses["column"]) == responses_columns(survey.item_ids)
    item = responses.set_index("column").loc["reliability_2"]
    assert item["question_id"] == "reliability_2"
    assert item["dimension"] == "reliability"
    assert item["kind"] == "likert"
    assert item["text_en"] == "{provider} gets it right the first time."
    assert item["text_zh"] == "{provider}第一次就能把事情做对。"
    assert item["scale"].startswith("1-5 (1 = Strongly disagree / 非常不同意")
    assert "empty = Not applicable" in item["scale"]
    recommend = responses.set_index("column").loc["recommend"]
    assert (recommend["kind"], recommend["scale"][:4]) == ("recommend", "0-10")
    frequency = responses.set_index("column").loc["frequency"]
    assert frequency["scale"] == "less_than_monthly, monthly, weekly, daily"
    assert responses.set_index("column").loc["need", "text_zh"] == "您最需要{provider}提供什么？"


@pytest.fixture(scope="module")
def demo_tables(demo_db_template):
    db = Database(demo_db_template, read_only=True)
    report = wave_report(db, WAVE)
    book = wave_codebook(db, WAVE, report)
    tables = aggregate_tables(report)
    db.close()
    return book, tables


def test_every_column_of_every_exported_table_has_a_meaning_in_both_languages(demo_tables):
    book, tables = demo_tables
    for table in AGGREGATE_TABLES:
        described = book.loc[book["table"] == table, "column"].tolist()
        assert described == list(tables[table].columns), table
    assert not (book["text_en"] == UNDESCRIBED).any(), book.loc[book["text_en"] == UNDESCRIBED, ["table", "column"]]
    assert book["text_en"].str.len().gt(3).all() and book["text_zh"].str.len().gt(1).all()
    assert not book.duplicated(["table", "column"]).any()


def test_dimension_columns_and_table_specific_columns_say_what_they_hold(demo_tables):
    book, _ = demo_tables
    rows = book.set_index(["table", "column"])
    assert rows.loc[("cells", "dim_empathy"), "dimension"] == "empathy"
    assert "换位思考" in rows.loc[("cells", "dim_empathy"), "text_zh"]
    assert "Cronbach" in rows.loc[("reliability", "measure"), "text_en"]
    assert rows.loc[("reliability", "value"), "dimension"] is None or pd.isna(
        rows.loc[("reliability", "value"), "dimension"]
    )
    assert "percent" in rows.loc[("drivers", "importance"), "scale"]
    assert "threshold" in rows.loc[("cells", "k"), "text_en"]


def test_the_codebook_file_is_an_export_of_its_own(demo_db_path, tmp_path):
    db = Database(demo_db_path)
    path = tmp_path / "codebook.csv"
    export_table(db, "codebook", WAVE, "csv", path, actor="t")
    book = pd.read_csv(path, encoding="utf-8-sig")
    survey = survey_for_version(db, get_wave(db, WAVE).survey_version)
    assert set(survey.item_ids) <= set(book["question_id"].dropna())
    assert set(book["table"]) == {"responses", *AGGREGATE_TABLES}
    db.close()
