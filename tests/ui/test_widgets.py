"""ui.widgets: the trend chart shared by the department, hotspots and trends pages."""

import json

from streamlit.testing.v1 import AppTest


def _trend_page(waves: list[str]) -> None:
    import pandas as pd
    import streamlit as st

    from ui.widgets import show_trend

    st.session_state.setdefault("lang", "en")
    series = pd.DataFrame(
        {
            "series": "Sales",
            "wave": waves,
            "mean": [60.0 + i for i in range(len(waves))],
            "ci_low": 55.0,
            "ci_high": 70.0,
            "n": 12,
            "significant": False,
        }
    )
    show_trend(series, key="test.trend")


def test_one_wave_is_not_a_trend_yet():
    at = AppTest.from_function(_trend_page, args=(["2026 Q4"],)).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["Only one wave has responses so far: trends need at least two."]
    assert not at.get("plotly_chart")


def test_two_waves_draw_the_trend_oldest_first():
    at = AppTest.from_function(_trend_page, args=(["2026 Q3", "2026 Q4"],)).run()
    assert not at.exception and not at.info
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    assert spec["data"][0]["x"] == ["2026 Q3", "2026 Q4"]
