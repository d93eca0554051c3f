"""The report facade on the demo organisation: contracts, suppression, filters, trends, comments, history."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.aggregates import cell_moments, cell_response_counts
from data.db import Database
from data.demo import OPEN_WAVE, PLANTED, WAVES
from report import build_history, build_wave_report, wave_comments
from surveys.definition import load_survey

LATEST = WAVES[-1][0]
CELL_CONTRACT = [
    "wave_id",
    "rater_dept",
    "provider_dept",
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "favourable",
    "inps",
    "inps_ci_low",
    "inps_ci_high",
    "suppressed",
    "k",
]


@pytest.fixture(scope="module")
def db(demo_db_template: Path):
    database = Database(demo_db_template, read_only=True)
    yield database
    database.close()


@pytest.fixture(scope="module")
def report(db):
    return build_wave_report(db, LATEST)


def test_tables_have_the_documented_columns(report):
    assert set(CELL_CONTRACT) <= set(report.cells.columns)
    assert {f"dim_{d}" for d in report.dimensions} <= set(report.cells.columns)
    assert {"relationship_effect", "relationship_ci_low", "relationship_ci_high", "relationship_type"} <= set(
        report.cells.columns
    )
    assert {"provider_dept", "provider_effect", "n_raters", "suppressed"} <= set(report.providers.columns)
    assert {"rater_dept", "rater_effect", "n_providers", "suppressed"} <= set(report.raters.columns)
    assert len(report.org) == 1 and report.org["n"].iloc[0] > 1000
    assert {"rater_dept", "provider_dept", "flags", "severity", "reason_en", "reason_zh"} <= set(
        report.hotspots.columns
    )
    assert set(report.reliability["measure"]) == {"alpha", "icc1"}
    assert set(report.drivers["quadrant"]) <= {"fix_first", "keep_up", "secondary", "possible_overkill", "unclear"}
    assert {"importance_ci_low", "importance_ci_high"} <= set(report.drivers.columns)
    assert set(report.trends["level"]) == {"cell", "provider", "rater", "organisation"}
    assert {"dept_code", "invited", "responded", "rate", "low_participation"} <= set(report.participation.columns)
    assert report.names("zh")["SALES"] == "销售部"


def test_small_cell_is_hidden_without_figures(report):
    cells = report.cells.set_index(["rater_dept", "provider_dept"])
    small = cells.loc[PLANTED["small_cell"]]
    assert bool(small["suppressed"]) and np.isnan(small["n"]) and np.isnan(small["mean"])
    assert small["k"] == 5


def test_cells_are_shown_exactly_when_k_people_answered_and_totals_hold_only_shown_cells(db, report):
    # Suppression by construction: no cell is hidden as a complement, and every total is the sum of
    # its shown cells (counted from storage here, not by the code under test).
    counts = cell_response_counts(db, LATEST).set_index(["rater_dept", "provider_dept"])["n"]
    cells = report.cells.set_index(["rater_dept", "provider_dept"])
    n = counts.loc[cells.index]
    assert (cells["suppressed"] == (n < report.k)).all()
    assert cells["suppressed"].sum() >= 1  # the planted small cell
    shown_n = n[~cells["suppressed"]]
    for level, key in ((1, "provider_dept"), (0, "rater_dept")):
        totals = getattr(report, "providers" if key == "provider_dept" else "raters").set_index(key)["n"]
        expected = shown_n.groupby(level=level).sum()
        pd.testing.assert_series_equal(totals.loc[expected.index], expected.astype(float), check_names=False)
    assert report.org["n"].iloc[0] == shown_n.sum()


def test_cells_agree_with_the_sql_aggregation(db, report):
    survey = load_survey()
    moments = cell_moments(db, [LATEST], list(survey.item_ids)).set_index(["rater_dept", "provider_dept"])
    shown = report.cells[~report.cells["suppressed"]].set_index(["rater_dept", "provider_dept"])
    sql_mean = moments["sum_score"] / moments["n"]
    np.testing.assert_allclose(shown["mean"], sql_mean.loc[shown.index], rtol=1e-9)
    np.testing.assert_allclose(shown["n"], moments["n"].loc[shown.index])
    np.testing.assert_allclose(shown["promoters"], moments["promoters"].loc[shown.index])


def test_planted_decline_shows_in_trends(report):
    trends = report.trends
    row = trends[(trends["level"] == "cell") & (trends["rater_dept"] == "CS") & (trends["provider_dept"] == "LOG")]
    assert row["change"].iloc[0] < -10 and row["p_value"].iloc[0] < 0.05 and row["significant"].iloc[0] == 1
    assert row["previous_wave_id"].iloc[0] == WAVES[-2][0]
    hidden = trends[trends["suppressed"]]
    assert hidden["mean"].isna().all() and hidden["change"].isna().all()


def test_participation_flags_the_planted_low_rates(report):
    low = set(report.participation.loc[report.participation["low_participation"], "dept_code"])
    assert {"LOG", "LEGAL"} <= low
    assert (report.participation["rate"] <= 1).all()


def test_perception_gaps_are_suppressed_like_their_cells(report):
    gaps = report.gaps
    assert set(gaps["level"]) == {"pair", "provider"}
    shown = gaps[~gaps["suppressed"]]
    assert (shown["n_self"] >= report.k).all() and (shown["n_customers"] >= report.k).all()
    np.testing.assert_allclose(shown["gap"], shown["self_mean"] - shown["customer_mean"])
    # the demo's providers predict their customers' ratings too kindly
    assert shown[shown["level"] == "provider"]["gap"].mean() > 5


def test_reliability_and_drivers(report):
    alpha = report.reliability[report.reliability["measure"] == "alpha"]
    assert set(alpha["dimension"]) == set(report.dimensions)
    assert (alpha["value"] > 0.6).all()
    icc = report.reliability[report.reliability["measure"] == "icc1"]["value"].iloc[0]
    assert 0 < icc < 1
    org = report.drivers[report.drivers["scope"] == "organisation"]
    assert org["importance"].sum() == pytest.approx(100)
    providers = report.drivers[report.drivers["scope"] == "provider"]
    assert (providers["n"] >= 30).all() and providers["provider_dept"].nunique() >= 5


def test_filters(db, report):
    process = build_wave_report(db, LATEST, relationship_type="process")
    assert set(process.cells["relationship_type"]) == {"process"}
    assert process.org["n"].iloc[0] < report.org["n"].iloc[0]
    communication = build_wave_report(db, LATEST, dimension="communication")
    shown = communication.cells[~communication.cells["suppressed"]]
    np.testing.assert_allclose(shown["mean"], shown["dim_communication"])
    with pytest.raises(ValueError, match="unknown dimension"):
        build_wave_report(db, LATEST, dimension="nonsense")
    with pytest.raises(ValueError, match="unknown relationship type"):
        build_wave_report(db, LATEST, relationship_type="friends")
    with pytest.raises(ValueError, match="unknown wave"):
        build_wave_report(db, "1999-Q1")


def test_a_wave_without_responses_gives_empty_tables(db):
    report = build_wave_report(db, OPEN_WAVE[0])  # the demo's open wave has no responses yet
    for name in ("cells", "providers", "raters", "org", "hotspots", "trends", "drivers"):
        assert getattr(report, name).empty, name
    assert report.collecting and report.responded_total == 0


def test_comments_respect_the_comment_threshold_and_carry_no_dates(db):
    counts = cell_response_counts(db, LATEST)
    comments = wave_comments(db, LATEST, seed=1)
    assert list(comments.columns) == ["rater_dept", "provider_dept", "question", "text"]
    allowed = set(map(tuple, counts[counts["n"] >= 10][["rater_dept", "provider_dept"]].to_numpy()))
    assert set(map(tuple, comments[["rater_dept", "provider_dept"]].to_numpy())) <= allowed
    assert len(comments) > 50
    again = wave_comments(db, LATEST, seed=2)
    assert sorted(comments["text"]) == sorted(again["text"]) and comments["text"].tolist() != again["text"].tolist()
    small = wave_comments(db, LATEST, rater_dept=PLANTED["small_cell"][0], provider_dept=PLANTED["small_cell"][1])
    assert small.empty


def test_history_over_waves(db):
    org = build_history(db, level="organisation")
    assert org["wave_id"].tolist() == [w[0] for w in WAVES]
    assert np.isnan(org["change"].iloc[0]) and not org["suppressed"].any()
    cell = build_history(db, level="cell", rater_dept="CS", provider_dept="LOG")
    assert cell["change"].iloc[-1] < -10 and cell["p_value"].iloc[-1] < 0.05
    small = build_history(db, level="cell", rater_dept="LEGAL", provider_dept="MKT")
    assert small.set_index("wave_id").loc[LATEST, "suppressed"]
    provider = build_history(db, level="provider", provider_dept="PROD", dimension="communication")
    assert len(provider) == 3 and (provider["mean"] < org["mean"].to_numpy()).all()
    with pytest.raises(ValueError, match="needs"):
        build_history(db, level="cell", rater_dept="CS")
    with pytest.raises(ValueError, match="unknown level"):
        build_history(db, level="galaxy")


def test_a_type_filter_does_not_reveal_small_groups_by_difference(db):
    # Marketing's customers outside the cross-functional map include Legal with 2 responses (the
    # planted small cell). Both of Marketing's totals are sums of shown cells, so their difference is a
    # sum of shown cells too: 0 or at least k, never Legal's 2.
    view = build_wave_report(db, LATEST, relationship_type="cross_functional").providers.set_index("provider_dept")
    full = build_wave_report(db, LATEST).providers.set_index("provider_dept")
    counts = cell_response_counts(db, LATEST)
    shown = counts[counts["n"] >= 5]
    for provider, row in view[~view["suppressed"]].iterrows():
        difference = full.loc[provider, "n"] - row["n"]
        assert difference == 0 or difference >= 5, provider
        assert full.loc[provider, "n"] == shown[shown["provider_dept"] == provider]["n"].sum()
    assert not view.loc["MKT", "suppressed"]  # nothing had to be hidden to get there


def test_cells_hidden_in_the_full_matrix_stay_hidden_in_filtered_views(db, report):
    hidden = set(map(tuple, report.cells.loc[report.cells["suppressed"], ["rater_dept", "provider_dept"]].to_numpy()))
    for relationship_type in ("functional", "process", "hierarchical", "cross_functional"):
        view = build_wave_report(db, LATEST, relationship_type=relationship_type).cells
        shown = set(map(tuple, view.loc[~view["suppressed"], ["rater_dept", "provider_dept"]].to_numpy()))
        assert not shown & hidden, relationship_type


@pytest.mark.parametrize(
    "filters", [{}, {"dimension": "communication"}, {"relationship_type": "process"}], ids=["all", "dimension", "type"]
)
def test_trends_compare_with_the_previous_waves_own_report(db, filters):
    # The previous wave's side of the trends is aggregated in SQL; it must equal what that wave's own
    # report shows, under the same filters, at every level.
    now = build_wave_report(db, LATEST, **filters)
    before = build_wave_report(db, WAVES[-2][0], **filters)
    for level, table, keys in (
        ("cell", before.cells, ["rater_dept", "provider_dept"]),
        ("provider", before.providers, ["provider_dept"]),
        ("rater", before.raters, ["rater_dept"]),
    ):
        trends = now.trends[(now.trends["level"] == level) & now.trends["previous_mean"].notna()]
        assert len(trends) >= 5, level
        merged = trends.merge(table[~table["suppressed"]], on=keys, suffixes=("", "_own"))
        assert len(merged) == len(trends), level  # every previous figure shown is one the old report shows
        np.testing.assert_allclose(merged["previous_mean"], merged["mean_own"], rtol=1e-9)
        np.testing.assert_array_equal(merged["previous_n"], merged["n_own"])
    org = now.trends[now.trends["level"] == "organisation"]
    np.testing.assert_allclose(org["previous_mean"], before.org["mean"], rtol=1e-9)


def test_a_pilot_draft_or_an_empty_wave_never_becomes_the_comparison(demo_db_path):
    # issue 17: a draft that opened just before the latest wave emptied the trends and removed every
    # `declining` flag. The comparison is the latest closed wave with responses that opened earlier.
    import datetime as dt

    from data.waves import create_wave, get_wave

    db = Database(demo_db_path)
    version = get_wave(db, LATEST).survey_version
    for wave_id, opens_on, status in (
        ("PILOT", dt.date(2026, 10, 1), "draft"),
        ("EMPTY", dt.date(2026, 9, 1), "closed"),
    ):
        create_wave(
            db,
            wave_id,
            name_en=wave_id,
            name_zh=wave_id,
            survey_version=version,
            opens_on=opens_on,
            closes_on=opens_on + dt.timedelta(days=5),
            status=status,
        )
    report = build_wave_report(db, LATEST)
    db.close()
    assert report.previous_wave_id == WAVES[-2][0]
    cell = report.trends[report.trends["level"] == "cell"]
    assert cell["previous_mean"].notna().sum() > 40
    declining = report.hotspots.set_index(["rater_dept", "provider_dept"]).loc[PLANTED["declining"]]
    assert declining["declining"]
