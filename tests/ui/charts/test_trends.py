"""Satisfaction over waves on a small hand-made frame."""

import numpy as np
import pandas as pd

from tests.ui.charts import trace
from ui.charts import trends


def test_trend_lines_mark_only_significant_shown_changes():
    trend = pd.DataFrame(
        {
            "series": ["Org"] * 3 + ["Pair"] * 3,
            "wave": ["Q2", "Q3", "Q4"] * 2,
            "mean": [60.0, 61.0, 62.0, 70.0, np.nan, 50.0],
            "ci_low": [58.0, 59.0, 60.0, 65.0, np.nan, 45.0],
            "ci_high": [62.0, 63.0, 64.0, 75.0, np.nan, 55.0],
            "n": [900, 950, 980, 30, np.nan, 28],
            "significant": [False, False, False, False, True, True],
        }
    )
    fig = trends.trend_lines(trend, texts={"mean": "Mean", "wave": "Wave", "significant": "sig"})
    assert [trace.name for trace in fig.data] == ["Org", "Pair", "sig"]
    marks = trace(fig, "sig")
    assert list(marks.x) == ["Q4"] and list(marks.y) == [50.0]
    assert list(fig.layout.xaxis.categoryarray) == ["Q2", "Q3", "Q4"]


def test_trend_axis_fits_the_data_and_its_intervals_not_the_whole_scale():
    trend = pd.DataFrame(
        {
            "series": ["Org"] * 3,
            "wave": ["Q2", "Q3", "Q4"],
            "mean": [60.0, 63.0, 66.0],
            "ci_low": [58.0, 61.0, 64.0],
            "ci_high": [62.0, 65.0, 68.0],
            "n": [900, 950, 980],
            "significant": [False, True, True],
        }
    )
    fig = trends.trend_lines(trend, texts={"mean": "Mean", "wave": "Wave", "significant": "sig"})
    low, high = fig.layout.yaxis.range
    assert 40 <= low < 58 and 68 < high <= 85  # the 6-point rise is visible; every interval fits
    assert list(trace(fig, "Org").error_y.array) == [2.0, 2.0, 2.0]  # the 95% interval is drawn
    # never beyond the 0-100 scale
    near_top = trend.assign(mean=[95.0, 97.0, 99.0], ci_low=[92.0, 94.0, 96.0], ci_high=[98.0, 100.0, 100.0])
    assert (
        trends.trend_lines(near_top, texts={"mean": "M", "wave": "W", "significant": "s"}).layout.yaxis.range[1] == 100
    )
