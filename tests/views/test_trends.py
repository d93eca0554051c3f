"""AppTest of the Trends page on the demo organisation (three waves; planted decline: data/demo.py)."""

from tests.conftest import assert_serialisable_state, chart_specs, run_page


def test_trends_show_the_organisation_over_three_waves(demo_db_path):
    at = run_page("views/trends.py", demo_db_path)
    assert not at.exception
    assert_serialisable_state(at)
    line = chart_specs(at)[0]["data"][0]
    assert line["name"] == "Organisation"
    assert line["x"] == ["2026 Q2", "2026 Q3", "2026 Q4"]
    assert all(40 < y < 80 for y in line["y"])


def test_trends_mark_the_planted_decline_of_a_pair(demo_db_path):
    # Customer Service's view of Logistics: pair effect +6, 0, -18 across the waves (data/demo.py)
    state = {"trends.scope": "pair", "trends.rater": "CS", "trends.pair_provider": "LOG"}
    at = run_page("views/trends.py", demo_db_path, state=state)
    traces = chart_specs(at)[0]["data"]
    line = next(t for t in traces if t["name"] == "Customer Service → Logistics")
    assert line["y"][2] < line["y"][1] - 10
    stars = next(t for t in traces if t["name"] == "significant change")
    assert "2026 Q4" in stars["x"]
    # the table of biggest changes since the comparison wave (2026 Q3 by default) leads with it
    changes = at.dataframe[0].value
    assert changes.iloc[0]["pair"] == "Customer Service → Logistics"
    assert changes.iloc[0]["change"] < -10 and changes.iloc[0]["p_value"] < 0.05


def test_trends_of_a_department_include_the_organisation(demo_db_path):
    at = run_page("views/trends.py", demo_db_path, lang="zh", state={"trends.scope": "dept", "trends.provider": "PROD"})
    names = [t["name"] for t in chart_specs(at)[0]["data"]]
    assert "生产部（客户评价）" in names and "全公司" in names
    assert chart_specs(at)[0]["data"][0]["x"] == ["2026年第二季度", "2026年第三季度", "2026年第四季度"]


def test_trends_without_comparison_have_no_change_table(demo_db_path):
    at = run_page("views/trends.py", demo_db_path, query={"compare": "none"})
    assert not at.exception
    assert not at.dataframe


def test_trends_refuse_a_visitor(demo_db_path):
    at = run_page("views/trends.py", demo_db_path, role=None)
    assert "sign in" in at.warning[0].value


def test_trends_empty_database(empty_db_path):
    at = run_page("views/trends.py", empty_db_path)
    assert "No survey wave yet" in at.info[0].value


def test_trends_everything_hidden_says_so(demo_db_path):
    from data.db import Database

    db = Database(demo_db_path)
    db.connection().execute("UPDATE waves SET k_min = 500, k_comments = 500")
    db.close()
    at = run_page("views/trends.py", demo_db_path, state={"trends.scope": "dept", "trends.provider": "PROD"})
    assert not at.exception
    assert any("below the anonymity threshold" in i.value for i in at.info)
