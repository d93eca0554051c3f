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
    # one order for rows and columns: A-B answered each other 32 times, B-C 24, A-C never
    assert list(values.x) == list(values.y) == ["Alpha", "Beta", "Gamma"]
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


def test_heatmap_rows_and_columns_share_one_order_that_keeps_partners_together():
    # A works with C (40 responses both ways), B with D (30); A-B only 6, nobody else
    cells = pd.DataFrame(
        {
            "rater_dept": ["A", "C", "B", "D", "A"],
            "provider_dept": ["C", "A", "D", "B", "B"],
            "n": [20.0, 20.0, 15.0, 15.0, 6.0],
            "mean": [70.0, 60.0, 50.0, 55.0, 65.0],
            "suppressed": [False] * 5,
        }
    )
    order = heatmap.department_order(cells, ["A", "B", "C", "D", "E"])
    assert order == ["C", "A", "B", "D", "E"]  # each next to its partner; E (no answers) last
    assert heatmap.department_order(cells.iloc[::-1], ["E", "D", "C", "B", "A"]) == order  # deterministic
    # the organisation chart first: under P1 sit A and B, under P2 C and D
    parents = {"A": "P1", "B": "P1", "C": "P2", "D": "P2", "E": None, "P1": None, "P2": None}
    grouped = heatmap.department_order(cells, ["A", "B", "C", "D", "E", "P1", "P2"], parents)
    assert grouped.index("P1") + 1 == grouped.index("A") or grouped.index("P1") + 1 == grouped.index("B")
    assert abs(grouped.index("A") - grouped.index("B")) == 1 and abs(grouped.index("C") - grouped.index("D")) == 1


def test_heatmap_hover_shows_both_directions_but_nothing_of_a_hidden_one():
    cells = pd.concat(
        [
            _cells(),
            pd.DataFrame(
                {
                    "rater_dept": ["C"],
                    "provider_dept": ["A"],
                    "n": [11.0],
                    "mean": [55.0],
                    "ci_low": [45.0],
                    "ci_high": [65.0],
                    "suppressed": [False],
                }
            ),
        ],
        ignore_index=True,
    )
    fig = heatmap.satisfaction_heatmap(cells, ["A", "B", "C"], NAMES, centre=62.0, texts=HEAT_TEXTS)
    layer = trace(fig, "cells")
    pairs = [tuple(c) for c in layer.customdata]
    text = layer.hovertext[pairs.index(("B", "A"))]
    assert "Beta rates Alpha" in text and "40" in text and "n = 12" in text
    assert "Alpha rates Beta" in text and "80" in text and "n = 20" in text
    text = layer.hovertext[pairs.index(("C", "A"))]
    assert "Gamma rates Alpha" in text and "55" in text
    assert "Alpha rates Gamma" in text and "hidden" in text
