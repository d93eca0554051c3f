"""Hotspot flags: every planted pattern of the demo is found, null data is (almost) never flagged."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.hotspots import FLAGS, HOTSPOT_COLUMNS, HotspotConfig, find_hotspots
from data.db import Database
from data.demo import PLANTED, WAVES, build_demo
from report import build_wave_report

CLOSED_WAVES = [w[0] for w in WAVES]


@pytest.fixture(scope="module")
def planted_db(demo_db_template: Path):
    db = Database(demo_db_template, read_only=True)
    yield db
    db.close()


def _flags(report) -> dict[tuple[str, str], set[str]]:
    return {
        (row.rater_dept, row.provider_dept): set(row.flags.split(","))
        for row in report.hotspots[["rater_dept", "provider_dept", "flags"]].itertuples()
    }


@pytest.mark.parametrize("wave_id", CLOSED_WAVES)
def test_every_planted_pattern_is_flagged(planted_db, wave_id):
    report = build_wave_report(planted_db, wave_id)
    flags = _flags(report)
    assert "friction" in flags[PLANTED["friction"]]
    a, b = PLANTED["mutual"]
    assert {"friction", "mutual"} <= flags[(a, b)] and {"friction", "mutual"} <= flags[(b, a)]
    a, b = PLANTED["asymmetric"]
    assert "asymmetric" in flags[(a, b)] and "asymmetric" in flags[(b, a)]
    legal = report.cells[(report.cells["provider_dept"] == PLANTED["polarised"]) & ~report.cells["suppressed"]]
    assert len(legal) >= 4
    for rater in legal["rater_dept"]:
        assert "polarised" in flags[(rater, PLANTED["polarised"])], rater
    if wave_id == CLOSED_WAVES[-1]:
        assert "declining" in flags[PLANTED["declining"]]
        assert PLANTED["small_cell"] not in flags


def test_hotspot_rows_explain_themselves_in_both_languages(planted_db):
    report = build_wave_report(planted_db, CLOSED_WAVES[-1])
    hotspots = report.hotspots
    assert hotspots.columns.tolist()[: len(HOTSPOT_COLUMNS)] == HOTSPOT_COLUMNS
    assert hotspots["severity"].is_monotonic_decreasing
    row = hotspots.set_index(["rater_dept", "provider_dept"]).loc[PLANTED["friction"]]
    assert row["reason_en"].startswith("Sales rates Production ")
    assert "below what Production usually gets and what Sales usually gives (n = " in row["reason_en"]
    assert row["reason_zh"].startswith("销售部对生产部的评分") and row["reason_zh"].endswith("。")
    mutual = hotspots.set_index(["rater_dept", "provider_dept"]).loc[PLANTED["mutual"]]
    assert "Quality rates R&D" in mutual["reason_en"] and "below expectations too" in mutual["reason_en"]
    # every shown hotspot rests on a shown cell with n >= k
    assert (hotspots["n"] >= report.k).all()


@pytest.mark.parametrize("seed", [7, 11])
def test_null_data_is_rarely_flagged(tmp_path, seed):
    db = Database(tmp_path / "null.duckdb")
    build_demo(db, seed, plant=False)
    flagged = eligible = 0
    for wave_id in CLOSED_WAVES:
        report = build_wave_report(db, wave_id)
        eligible += int((~report.cells["suppressed"]).sum())
        flagged += len(report.hotspots)
    db.close()
    assert eligible > 150
    assert flagged / eligible <= 0.05, (flagged, eligible)


def _cell(rater, provider, n, mean, sd=12.0, effect=0.0, promoters=0, detractors=0):
    return {
        "wave_id": "W",
        "rater_dept": rater,
        "provider_dept": provider,
        "n": n,
        "mean": mean,
        "sd": sd,
        "ci_high": mean + 2 * sd / np.sqrt(n),
        "n_recommend": n,
        "promoters": promoters,
        "detractors": detractors,
        "frequency": 3.0,
        "relationship_effect": effect,
        "relationship_ci_low": effect - 4,
        "relationship_ci_high": effect + 4,
    }


def test_thresholds_come_from_the_config_and_hidden_cells_are_never_flagged():
    cells = pd.DataFrame(
        [
            _cell("A", "B", 20, 60, effect=-12),  # friction at the default -10
            _cell("B", "A", 20, 62, promoters=5, detractors=5),  # exactly 25% / 25%: polarised
            _cell("C", "B", 20, 30, effect=-30),  # would be friction and low, but hidden
        ]
    )
    hidden = pd.Series([False, False, True])
    found = find_hotspots(cells, hidden, org_mean=60.0, k=5).set_index(["rater_dept", "provider_dept"])
    assert found.loc[("A", "B"), "flags"] == "friction"
    assert found.loc[("B", "A"), "flags"] == "polarised"
    assert ("C", "B") not in found.index
    strict = find_hotspots(cells, hidden, org_mean=60.0, k=5, config=HotspotConfig(friction_effect=-15))
    assert "friction" not in set(strict["flags"])
    assert set(FLAGS) == {"friction", "low", "asymmetric", "mutual", "polarised", "declining"}
