"""The rater x provider heatmap on small hand-made cells: what it draws, hides and marks."""

import math

import numpy as np
import pandas as pd
import pytest

from tests.ui.charts import trace
from ui.charts import heatmap
from ui.charts.style import FONT_FAMILY

HEAT_TEXTS = {
    "hidden": "hidden",
    "no_data": "no data",
    "hover": "{rater} rates {provider}",
    "mean": "Mean",
    "x_title": "provider",
    "y_title": "rater",
    "significant": "significant",
}


NAMES = {"A": "Alpha", "B": "Beta", "C": "Gamma"}


def _cells() -> pd.DataFrame:
    # A->B good, B->A poor, A->C hidden (suppressed, no figures), C->A no row at all (no data)
    return pd.DataFrame(
        {
            "rater_dept": ["A", "B", "A", "B", "C"],
            "provider_dept": ["B", "A", "C", "C", "B"],
            "n": [20.0, 12.0, np.nan, 9.0, 15.0],
            "mean": [80.0, 40.0, np.nan, 60.0, 70.0],
            "ci_low": [75.0, 30.0, np.nan, 50.0, 64.0],
            "ci_high": [85.0, 50.0, np.nan, 70.0, 76.0],
            "suppressed": [False, False, True, False, False],
        }
    )


def test_significant_cells_are_those_whose_interval_excludes_the_centre():
    # centre 62: A->B (75..85) above, B->A (30..50) below, B->C (50..70) and C->B (64..76)? 64 > 62 -> above
    assert heatmap.significant_cells(_cells(), 62.0) == {("A", "B"), ("B", "A"), ("C", "B")}
    assert heatmap.significant_cells(_cells(), 65.0) == {("A", "B"), ("B", "A")}


def test_heatmap_hidden_cells_have_no_value_and_differ_from_no_data():
    fig = heatmap.satisfaction_heatmap(_cells(), ["A", "B", "C"], NAMES, centre=62.0, texts=HEAT_TEXTS)
    hidden, values = trace(fig, "hidden"), trace(fig, "values")
    y, x = list(values.y).index("Alpha"), list(values.x).index("Gamma")
    assert hidden.z[y][x] == 1 and math.isnan(values.z[y][x])
    assert "hidden" in hidden.text[y][x]
    # C rates A: no row, so neither a hidden mark nor a value
    y, x = list(values.y).index("Gamma"), list(values.x).index("Alpha")
    assert math.isnan(hidden.z[y][x]) and math.isnan(values.z[y][x])
    # the hidden cell also gets an x marker, so it does not rely on grey alone
    hidden_marks = trace(fig, "hidden_marks")
    assert list(zip(hidden_marks.x, hidden_marks.y, strict=True)) == [("Gamma", "Alpha")]


def test_heatmap_centres_colours_on_the_org_mean_and_orders_best_first():
    fig = heatmap.satisfaction_heatmap(_cells(), ["A", "B", "C"], NAMES, centre=62.0, texts=HEAT_TEXTS)
    values = trace(fig, "values")
    assert values.zmid == 62.0 and values.zmin == pytest.approx(62 - 22) and values.zmax == pytest.approx(62 + 22)
    # providers by mean of shown cells: B (75), C (60), A (40)
    assert list(values.x) == ["Beta", "Gamma", "Alpha"]
    assert [t.name for t in fig.data] == ["hidden", "values", "significant", "cells", "hidden_marks"]
    assert values.colorscale[0][1].startswith("rgb") and fig.layout.font.family == FONT_FAMILY


def test_heatmap_click_layer_carries_the_pair_codes_and_hover_text():
    fig = heatmap.satisfaction_heatmap(_cells(), ["A", "B", "C"], NAMES, centre=62.0, texts=HEAT_TEXTS)
    layer = trace(fig, "cells")
    pairs = [tuple(c) for c in layer.customdata]
    assert ("A", "B") in pairs and ("A", "C") in pairs  # shown and hidden cells can be clicked
    assert ("C", "A") not in pairs  # no data: nothing to open
    text = layer.hovertext[pairs.index(("A", "B"))]
    assert "Alpha rates Beta" in text and "80" in text and "n = 20" in text
    assert "hidden" in layer.hovertext[pairs.index(("A", "C"))]
    assert "80" not in layer.hovertext[pairs.index(("A", "C"))]


def test_heatmap_rings_marked_cells_but_never_a_hidden_one():
    fig = heatmap.satisfaction_heatmap(
        _cells(), ["A", "B", "C"], NAMES, centre=62.0, texts=HEAT_TEXTS, marked={("B", "A"), ("A", "C")}
    )
    rings = trace(fig, "significant")
    assert list(zip(rings.x, rings.y, strict=True)) == [("Alpha", "Beta")]
