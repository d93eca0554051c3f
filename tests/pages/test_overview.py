"""AppTest of the Overview page on the demo organisation."""

from data.demo import DEPARTMENTS
from tests.conftest import assert_serialisable_state, chart_specs, run_page


def _heatmap(at) -> dict:
    charts = chart_specs(at)
    assert charts, "the overview draws no chart"
    return charts[0]


def test_overview_heatmap_shows_the_demo_departments(demo_db_path):
    at = run_page("pages/overview.py", demo_db_path)
    assert not at.exception
    assert_serialisable_state(at)
    spec = _heatmap(at)
    values = spec["data"][1]
    names = {name for _, name, _, _ in DEPARTMENTS}
    assert set(values["x"]) <= names and len(set(values["x"])) >= 12
    assert set(values["y"]) <= names and len(set(values["y"])) >= 12
    # the planted friction: Sales rates Production well below the organisation's mean
    y, x = values["y"].index("Sales"), values["x"].index("Production")
    assert values["z"][y][x] < values["zmid"] - 15


def test_overview_hides_small_cells_without_a_value(demo_db_path):
    at = run_page("pages/overview.py", demo_db_path)
    spec = _heatmap(at)
    hidden, values = spec["data"][0], spec["data"][1]
    # Legal rates Marketing with 2 responses in the latest wave (planted): drawn as hidden, no value
    y, x = hidden["y"].index("Legal"), hidden["x"].index("Marketing")
    assert hidden["z"][y][x] == 1
    assert values["z"][y][x] is None
    assert "hidden" in hidden["text"][y][x]


def test_overview_in_chinese_uses_chinese_department_names(demo_db_path):
    at = run_page("pages/overview.py", demo_db_path, lang="zh")
    assert at.title[0].value == "总览"
    assert "销售部" in _heatmap(at)["data"][1]["y"]


def test_overview_empty_database_says_there_is_no_wave(empty_db_path):
    at = run_page("pages/overview.py", empty_db_path)
    assert not at.exception
    assert "No survey wave yet" in at.info[0].value


def test_overview_refuses_a_visitor_who_is_not_signed_in(demo_db_path):
    at = run_page("pages/overview.py", demo_db_path, role=None)
    assert "sign in" in at.warning[0].value
    assert not at.get("plotly_chart")
