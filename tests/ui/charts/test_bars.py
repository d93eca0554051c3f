"""Bar charts per dimension or department on small hand-made frames."""

import numpy as np
import pandas as pd
import pytest

from tests.ui.charts import trace
from ui.charts import bars
from ui.charts.style import HIDDEN_COLOUR


def test_loyalty_bar_shows_shares_that_add_up_to_100():
    frame = pd.DataFrame(
        {"label": ["Dept", "Org"], "promoters": [5, 30], "passives": [3, 50], "detractors": [2, 20], "inps": [30, 10]}
    )
    texts = {"detractors": "D", "passives": "P", "promoters": "Pr", "share": "share"}
    fig = bars.loyalty_bar(frame, texts=texts)
    shares = np.array([list(trace(fig, name).x) for name in ("D", "P", "Pr")])
    assert [trace.name for trace in fig.data] == ["D", "P", "Pr"]
    assert shares.sum(axis=0) == pytest.approx([100, 100])
    assert shares[:, 0] == pytest.approx([20, 30, 50])


def test_customer_view_lists_hidden_rows_without_a_value():
    view = pd.DataFrame(
        {
            "label": ["Alpha", "Beta"],
            "n": [12.0, np.nan],
            "mean": [55.0, np.nan],
            "ci_low": [50.0, np.nan],
            "ci_high": [60.0, np.nan],
            "suppressed": [False, True],
        }
    )
    fig = bars.customer_view_bars(view, centre=62.0, texts={"hidden": "hidden", "mean": "Mean", "org": "Org"})
    bar = trace(fig, "Mean")
    assert list(bar.text) == ["55 (n=12)", "hidden"]
    assert bar.marker.color[1] == HIDDEN_COLOUR


def test_perception_gap_joins_self_and_customers_per_dimension():
    gaps = pd.DataFrame({"label": ["Speed", "Care"], "self_score": [70.0, 60.0], "customer_score": [50.0, 65.0]})
    fig = bars.perception_gap(gaps, texts={"self": "Self", "customers": "Customers", "score": "Score"})
    lines = [t for t in fig.data if t.name == "gap_line"]
    assert [list(t.x) for t in lines] == [[50.0, 70.0], [65.0, 60.0]]
    assert list(trace(fig, "Self").x) == [70.0, 60.0] and list(trace(fig, "Customers").x) == [50.0, 65.0]


def test_score_bars_label_values_horizontally_on_the_full_0_100_axis():
    dims = pd.DataFrame({"label": ["Understanding", "Value"], "score": [72.0, 41.0], "org_score": [65.0, 60.0]})
    pair = pd.DataFrame({"label": ["Understanding", "Value"], "forward": [72.0, np.nan], "backward": [38.0, 55.0]})
    for fig in (
        bars.dimension_bars(dims, texts={"provider": "P", "org": "O", "score": "Score"}),
        bars.pair_directions(pair, texts={"forward": "A → B", "backward": "B → A", "score": "Score"}),
    ):
        assert list(fig.layout.xaxis.range) == [0, 100] and list(fig.layout.xaxis.tickvals)[-1] == 100
        for bar in (t for t in fig.data if t.type == "bar"):
            assert bar.textangle == 0 and bar.textposition == "outside" and bar.cliponaxis is False


def test_every_chart_can_be_saved_as_an_image():
    from ui.charts.style import CHART_CONFIG

    assert CHART_CONFIG["displayModeBar"] in (True, "hover") and "toImage" in CHART_CONFIG["modeBarButtons"][0]
    assert CHART_CONFIG["toImageButtonOptions"]["format"] == "png"
