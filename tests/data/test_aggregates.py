"""The aggregation SQL on a tiny hand-made wave (every expected number is worked out in a comment)."""

import datetime as dt
import uuid

import numpy as np
import pandas as pd
import pytest

from data.aggregates import (
    cell_comments,
    cell_moments,
    participation_counts,
    response_items,
    self_assessment_means,
)
from data.demo import departments_frame, relationships_frame
from data.org import insert_organisation
from data.responses import insert_responses
from data.waves import create_wave, register_survey
from surveys.definition import load_survey

ITEMS = ["understanding_1", "understanding_2", "communication_1"]


@pytest.fixture
def tiny(memory_db):
    survey = load_survey()
    register_survey(memory_db, survey)
    insert_organisation(memory_db, departments_frame(), relationships_frame())
    create_wave(
        memory_db,
        "W1",
        name_en="W1",
        name_zh="W1",
        survey_version=survey.survey_version,
        opens_on=dt.date(2026, 1, 5),
        closes_on=dt.date(2026, 1, 20),
    )
    # Sales rates Production (a "process" pair) twice, HR rates Legal (not in the map) once.
    rows = [
        ("SALES", "PROD", "weekly", 9, [5, 3, None]),  # scores 100, 50 (NA) -> 75; 1 favourable
        ("SALES", "PROD", "daily", 4, [1, 2, 1]),  # scores 0, 25, 0 -> 8.333; none favourable
        ("HR", "LEGAL", "monthly", None, [4, 4, 4]),  # 75; 3 favourable; no recommend
    ]
    responses, answers = [], []
    for rater, provider, frequency, recommend, values in rows:
        rid = str(uuid.uuid4())
        responses.append((rid, "W1", rater, provider, frequency, recommend, str(uuid.uuid4()), dt.date(2026, 1, 6)))
        answers += [(rid, item, value) for item, value in zip(ITEMS, values, strict=True)]
    insert_responses(
        memory_db,
        pd.DataFrame(
            responses,
            columns=[
                "response_id",
                "wave_id",
                "rater_dept",
                "provider_dept",
                "frequency",
                "recommend",
                "submission_id",
                "submitted_on",
            ],
        ),
        pd.DataFrame(answers, columns=["response_id", "item_id", "value"]).astype({"value": "Int64"}),
        pd.DataFrame({"response_id": [responses[0][0]], "question": ["change"], "text": ["Call us back"]}),
    )
    return memory_db


def test_cell_moments_by_hand(tiny):
    moments = cell_moments(tiny, ["W1"], ITEMS).set_index(["rater_dept", "provider_dept"])
    sp = moments.loc[("SALES", "PROD")]
    # sum = 75 + 8.3333 = 83.3333; sum of squares = 5625 + 69.4444 = 5694.4444
    assert sp["n"] == 2 and sp["sum_score"] == pytest.approx(83.33333, abs=1e-4)
    assert sp["sum_sq"] == pytest.approx(5694.4444, abs=1e-3)
    assert (sp["n_items"], sp["n_favourable"]) == (5, 1)
    assert (sp["n_recommend"], sp["promoters"], sp["passives"], sp["detractors"]) == (2, 1, 0, 1)
    hl = moments.loc[("HR", "LEGAL")]
    assert hl["n_recommend"] == 0 and hl["sum_score"] == pytest.approx(75.0)


def test_filters_relationship_type_and_items(tiny):
    process = cell_moments(tiny, ["W1"], ITEMS, relationship_type="process")
    assert process[["rater_dept", "provider_dept"]].values.tolist() == [["SALES", "PROD"]]
    # communication only: SALES->PROD answers NA and 1 -> one response with score 0
    communication = cell_moments(tiny, ["W1"], ["communication_1"]).set_index(["rater_dept", "provider_dept"])
    assert communication.loc[("SALES", "PROD"), "n"] == 1
    assert communication.loc[("SALES", "PROD"), "sum_score"] == 0
    with pytest.raises(ValueError, match="unknown relationship type"):
        cell_moments(tiny, ["W1"], ITEMS, relationship_type="x'; DROP TABLE answers; --")


def test_response_items_unpacks_every_answer(tiny):
    data = response_items(tiny, ["W1"], ITEMS)
    frame = data.responses.assign(first=data.values[:, 0], second=data.values[:, 1], third=data.values[:, 2])
    frame = frame.sort_values(["rater_dept", "frequency"]).reset_index(drop=True)
    assert frame["rater_dept"].astype(str).tolist() == ["HR", "SALES", "SALES"]
    np.testing.assert_array_equal(data.item_ids, ITEMS)
    hr, weekly, daily = frame.iloc[0], frame.iloc[1], frame.iloc[2]
    assert (hr["first"], hr["second"], hr["third"]) == (4, 4, 4) and np.isnan(hr["recommend"])
    assert (weekly["first"], weekly["second"]) == (5, 3) and np.isnan(weekly["third"])
    assert (daily["first"], daily["second"], daily["third"]) == (1, 2, 1)
    assert weekly["frequency"] == 3 and daily["frequency"] == 4  # weights: weekly 3, daily 4


def test_comments_participation_and_self_assessment_reads(tiny):
    comments = cell_comments(tiny, "W1", provider_dept="PROD")
    assert comments.columns.tolist() == ["rater_dept", "provider_dept", "question", "text"]
    assert comments["text"].tolist() == ["Call us back"]
    assert cell_comments(tiny, "W1", provider_dept="LEGAL").empty
    assert participation_counts(tiny, "W1").empty
    assert self_assessment_means(tiny, "W1").empty
