"""AppTest of the Hotspots page on the demo organisation (planted patterns: data/demo.py PLANTED)."""

import pytest

from tests.conftest import assert_serialisable_state, chart_specs, run_page


def _ranked(at):
    return at.dataframe[0].value


def test_hotspots_rank_the_planted_conflicts_with_flags_and_reasons(demo_db_path):
    at = run_page("views/hotspots.py", demo_db_path)
    assert not at.exception
    assert_serialisable_state(at)
    ranked = _ranked(at)
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    assert ranked["severity"].is_monotonic_decreasing
    top = list(ranked["pair"].head(6))
    assert "R&D → Quality" in top and "Quality → R&D" in top  # the two-sided conflict
    friction = ranked[ranked["pair"] == "Sales → Production"].iloc[0]
    assert "friction" in friction["flags"]
    assert "Sales" in friction["reason"] and "Production" in friction["reason"]
    declining = ranked[ranked["pair"] == "Customer Service → Logistics"].iloc[0]
    assert "declining" in declining["flags"]
    # the page says which wave `declining` compares with (the latest closed wave before 2026 Q4)
    assert any(c.value.startswith("Declining compares with 2026 Q3,") for c in at.caption)


def test_hotspots_pair_shows_both_directions_trend_and_comments_as_text(demo_db_path):
    at = run_page("views/hotspots.py", demo_db_path, state={"hotspots.focus": ["RND", "QA"]})
    assert at.selectbox(key="hotspots.pick").value == "RND|QA"
    labels = {m.label: m.value for m in at.metric}
    assert int(labels["R&D → Quality"]) < 55 and int(labels["Quality → R&D"]) < 55
    charts = chart_specs(at)
    by_dimension = charts[0]["data"]
    # chart texts are escaped for Plotly, which reads them as HTML (the browser shows "R&D")
    assert [trace["name"] for trace in by_dimension] == ["R&amp;D → Quality", "Quality → R&amp;D"]
    trend = charts[1]
    assert {trace["name"] for trace in trend["data"]} >= {"R&amp;D → Quality", "Quality → R&amp;D"}
    assert len(set(trend["data"][0]["x"])) == 3  # three waves
    # both cells have more than k_comments = 10 responses, so comments show, as plain text elements
    assert len(at.text) >= 2
    assert all("<" not in t.value for t in at.text)
    assert any("random order" in c.value for c in at.caption)


def test_hotspots_hidden_pair_opened_from_the_overview_shows_nothing(demo_db_path):
    # Legal rates Marketing with 2 responses in the latest wave (planted small cell)
    at = run_page("views/hotspots.py", demo_db_path, state={"hotspots.focus": ["LEGAL", "MKT"]})
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Legal → Marketing"] == "—"
    assert any("at least 10 responses" in c.value for c in at.caption)
    for chart in chart_specs(at):
        for trace in chart["data"]:
            if trace.get("name") == "Legal → Marketing" and trace.get("type") == "bar":
                assert all(v is None for v in trace["x"])


def test_hotspots_in_chinese(demo_db_path):
    at = run_page("views/hotspots.py", demo_db_path, lang="zh")
    assert at.title[0].value == "冲突热点"
    ranked = _ranked(at)
    assert "销售部 → 生产部" in list(ranked["pair"])
    row = ranked[ranked["pair"] == "销售部 → 生产部"].iloc[0]
    assert "摩擦" in row["flags"] and "销售部" in row["reason"]


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_hotspots_open_to_dashboard_roles(demo_db_path, role):
    at = run_page("views/hotspots.py", demo_db_path, role=role)
    assert not at.exception and len(_ranked(at))


def test_hotspots_refuse_a_visitor(demo_db_path):
    at = run_page("views/hotspots.py", demo_db_path, role=None)
    assert "sign in" in at.warning[0].value
    assert not at.dataframe


def test_hotspots_empty_database(empty_db_path):
    at = run_page("views/hotspots.py", empty_db_path)
    assert not at.exception
    assert "No survey wave yet" in at.info[0].value
