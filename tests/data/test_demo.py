"""The demo organisation: size, determinism and the planted patterns, checked in the raw data."""

import pandas as pd
import pytest

from data.db import Database
from data.demo import DEPARTMENTS, PLANTED, WAVES, build_demo, departments_frame, relationships_frame
from data.responses import response_scores
from surveys.definition import load_survey


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def demo(request, tmp_path_factory):
    """The demo built by this module, on DuckDB and on PostgreSQL."""
    if request.param == "duckdb":
        db = Database(tmp_path_factory.mktemp("d") / "demo.duckdb")
        build_demo(db, seed=7)
        yield db
        db.close()
    else:
        from tests.conftest import _pg_copy

        server = request.getfixturevalue("pg_server")
        for db in _pg_copy(server, request.getfixturevalue("pg_empty_template")):
            build_demo(db, seed=7)
            yield db


def _cell_means(db, wave_id):
    scores = response_scores(db, [wave_id])
    return scores.groupby(["rater_dept", "provider_dept"])["satisfaction"].agg(["mean", "size"])


def test_the_company_is_realistic():
    deps = departments_frame()
    rels = relationships_frame()
    assert len(deps) >= 12 and deps["name_zh"].str.len().min() > 0
    assert len(rels) >= 40
    assert set(rels["type"]) == {"hierarchical", "functional", "process", "cross_functional"}
    chain = {("SALES", "PROD"), ("PROD", "PUR"), ("PUR", "FIN")}
    assert chain <= set(map(tuple, rels[["customer_dept", "provider_dept"]].to_numpy()))


def test_three_waves_with_at_least_3000_responses(demo):
    con = demo.connection()
    per_wave = dict(con.execute("SELECT wave_id, count(*) FROM responses GROUP BY 1").fetchall())
    assert set(per_wave) == {w[0] for w in WAVES}
    assert sum(per_wave.values()) >= 3000
    # every response's items come from the survey definition
    items = {i for (i,) in con.execute("SELECT DISTINCT item_id FROM answers").fetchall()}
    assert items == set(load_survey().item_ids)


def test_same_seed_same_data_other_seed_other_data():
    survey = load_survey()
    from data.demo import generate_responses

    a, b, c = (generate_responses(survey, s) for s in (3, 3, 4))
    pd.testing.assert_frame_equal(a["responses"], b["responses"])
    pd.testing.assert_frame_equal(a["answers"], b["answers"])
    assert not a["responses"]["recommend"].equals(c["responses"]["recommend"])


def test_planted_friction_mutual_and_asymmetric_pairs_show_in_the_raw_means(demo):
    means = _cell_means(demo, "2026-Q4")["mean"]
    org = response_scores(demo, ["2026-Q4"])["satisfaction"].mean()
    rater, provider = PLANTED["friction"]
    assert means[(rater, provider)] < org - 15
    a, b = PLANTED["mutual"]
    assert means[(a, b)] < org - 15 and means[(b, a)] < org - 15
    a, b = PLANTED["asymmetric"]
    assert means[(a, b)] - means[(b, a)] >= 15


def test_planted_polarised_provider_splits_its_customers(demo):
    scores = response_scores(demo, ["2026-Q4"])
    legal = scores[scores["provider_dept"] == PLANTED["polarised"]]["recommend"]
    assert (legal >= 9).mean() >= 0.25 and (legal <= 6).mean() >= 0.25


def test_planted_decline_across_waves(demo):
    pair = PLANTED["declining"]
    series = [_cell_means(demo, w[0])["mean"][pair] for w in WAVES]
    assert series[0] > series[1] > series[2] and series[1] - series[2] >= 10


def test_planted_small_cell_is_below_the_threshold(demo):
    sizes = _cell_means(demo, "2026-Q4")["size"]
    assert sizes[PLANTED["small_cell"]] < 5


def test_demo_refuses_a_database_that_already_has_an_organisation(demo):
    with pytest.raises(ValueError, match="empty database"):
        build_demo(demo, seed=7)


def test_department_codes_are_unique():
    codes = [code for code, *_ in DEPARTMENTS]
    assert len(codes) == len(set(codes))
