"""Drivers and priorities: relative importance and the importance-performance quadrants."""

import numpy as np
import pandas as pd

from analysis.drivers import driver_table, quadrant

DIMENSIONS = ("understanding", "responsiveness", "reliability")


def _scores(seed=2, n=400):
    rng = np.random.default_rng(seed)
    providers = rng.choice(["P1", "P2"], n)
    dims = {
        "dim_understanding": rng.normal(70, 15, n),  # strong, matters most
        "dim_responsiveness": rng.normal(45, 15, n),  # weak, matters
        "dim_reliability": rng.normal(60, 15, n),  # matters little
    }
    recommend = (
        0.08 * dims["dim_understanding"] + 0.06 * dims["dim_responsiveness"] + 0.005 * dims["dim_reliability"]
    ) + rng.normal(0, 1, n)
    return pd.DataFrame({"provider_dept": providers, "recommend": recommend, **dims})


def test_organisation_quadrants_are_those_of_its_own_importance_and_performance():
    # issue 17: pandas 3 keeps None as NaN in a key built with astype(str), so every organisation
    # row fell out of its group and came out `secondary`. Known answer: `quadrant` on the
    # organisation's own rows (splits at 100 / dimensions and at the mean performance).
    table = driver_table(_scores(), DIMENSIONS, wave_id="W", min_n=30)
    org = table[table["scope"] == "organisation"].reset_index(drop=True)
    assert len(org) == 3
    expected = quadrant(org["importance"], org["performance"])
    assert org["quadrant"].tolist() == expected.tolist()
    assert set(org["quadrant"]) != {"secondary"}
    for provider, rows in table[table["scope"] == "provider"].groupby("provider_dept"):
        rows = rows.reset_index(drop=True)
        assert rows["quadrant"].tolist() == quadrant(rows["importance"], rows["performance"]).tolist(), provider
