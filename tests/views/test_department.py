"""AppTest of the Department report on the demo organisation (planted patterns: data/demo.py)."""

from tests.conftest import assert_serialisable_state, chart_specs, run_page


def _chart(at, first_trace_name: str) -> dict:
    return next(c for c in chart_specs(at) if c["data"] and c["data"][0].get("name") == first_trace_name)


def test_department_report_shows_production_through_its_customers_eyes(demo_db_path):
    at = run_page("views/department.py", demo_db_path, state={"department.provider": "PROD"})
    assert not at.exception
    assert_serialisable_state(at)
    metrics = {m.label: m.value for m in at.metric}
    assert 0 <= int(metrics["Mean satisfaction"]) <= 100
    assert int(metrics["Customer departments"]) >= 4
    # each customer's view: Sales (planted friction) is Production's unhappiest customer
    view = _chart(at, "Mean satisfaction")["data"][0]
    assert view["y"][0] == "Sales"
    assert view["x"][0] == min(x for x in view["x"] if x)
    # dimensions against the organisation: Production communicates poorly (planted -15)
    dims = _chart(at, "Production")["data"]
    communication = dims[0]["y"].index("Communication")
    assert dims[0]["x"][communication] < dims[1]["x"][communication] - 5
    # loyalty: the department and the organisation, shares adding up to 100
    loyalty = _chart(at, "Detractors (0-6)")["data"]
    assert loyalty[0]["y"] == ["Production", "Organisation"]
    assert abs(sum(trace["x"][0] for trace in loyalty) - 100) < 1e-6
    subheaders = [s.value for s in at.subheader]
    assert "What to fix first" in subheaders and "Trend" in subheaders


def test_department_perception_gap_uses_the_self_assessment(demo_db_path):
    # the demo's latest wave has self-assessments that are kinder than the customers (data/demo.py)
    at = run_page("views/department.py", demo_db_path, state={"department.provider": "PROD"})
    gap = next(c for c in chart_specs(at) if any(t.get("name") == "Self-assessment" for t in c["data"]))
    self_trace = next(t for t in gap["data"] if t.get("name") == "Self-assessment")
    customer_trace = next(t for t in gap["data"] if t.get("name") == "Customers' rating")
    assert sum(self_trace["x"]) > sum(customer_trace["x"])
    assert any("blind spot" in m.value for m in at.markdown)


def test_department_polarised_provider_has_many_promoters_and_detractors(demo_db_path):
    # Legal's customers split into promoters and detractors (planted)
    at = run_page("views/department.py", demo_db_path, state={"department.provider": "LEGAL"})
    loyalty = _chart(at, "Detractors (0-6)")["data"]
    detractors, _, promoters = (trace["x"][0] for trace in loyalty)
    assert detractors >= 25 and promoters >= 25


def test_department_lists_a_hidden_customer_without_a_value(demo_db_path):
    # Legal rates Marketing with 2 responses in the latest wave (planted small cell)
    at = run_page("views/department.py", demo_db_path, state={"department.provider": "MKT"})
    view = _chart(at, "Mean satisfaction")["data"][0]
    legal = view["y"].index("Legal")
    assert view["text"][legal] == "hidden"
    assert view["x"][legal] == 0 and view["error_x"]["array"][legal] == 0


def test_department_report_in_chinese(demo_db_path):
    at = run_page("views/department.py", demo_db_path, lang="zh", state={"department.provider": "PROD"})
    assert at.title[0].value == "部门报告"
    assert any("生产部" in c.value for c in at.caption)
    view = _chart(at, "平均满意度")["data"][0]
    assert "销售部" in view["y"]


def test_department_refuses_a_visitor(demo_db_path):
    at = run_page("views/department.py", demo_db_path, role=None)
    assert "sign in" in at.warning[0].value
    assert not at.get("plotly_chart")


def test_department_empty_database(empty_db_path):
    at = run_page("views/department.py", empty_db_path, lang="zh")
    assert not at.exception
    assert "尚无调查轮次" in at.info[0].value
