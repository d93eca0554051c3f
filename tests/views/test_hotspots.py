"""AppTest of the Hotspots page on the demo organisation (planted patterns: data/demo.py PLANTED)."""

import re

import pytest

from tests.conftest import assert_serialisable_state, chart_specs, run_page


def _ranked(at) -> list[str]:
    """The ranked pairs: "**1. A ↔ B** · Severity 24 · serious" (markdown headings of the list)."""
    return [m.value for m in at.markdown if re.match(r"\*\*\d+\. ", m.value)]


def _pair(heading: str) -> set[str]:
    return set(heading.split("**")[1].split(". ", 1)[1].split(" ↔ "))


def test_hotspots_list_each_pair_once_with_both_directions_and_whole_reasons(demo_db_path):
    at = run_page("views/hotspots.py", demo_db_path)
    assert not at.exception
    assert_serialisable_state(at)
    ranked = _ranked(at)
    assert [int(h.split("**")[1].split(".")[0]) for h in ranked] == list(range(1, len(ranked) + 1))
    pairs = [frozenset(_pair(h)) for h in ranked]
    assert len(pairs) == len(set(pairs))  # no pair twice
    assert frozenset({"R&D", "Quality"}) in pairs[:4]  # the two-sided conflict, once
    severities = [float(re.search(r"Severity (\d+)", h).group(1)) for h in ranked]
    assert severities == sorted(severities, reverse=True)
    shown = [m.value for m in at.markdown]
    # Sales -> Production: friction, explained, and the reason whole (no table cell cuts it)
    assert any(v.startswith("**Sales → Production**") for v in shown)
    assert any(v.startswith("friction (") for v in shown)
    assert any(v.startswith("Sales rates Production") and v.endswith(".") for v in shown)
    assert any("declining (" in v for v in shown)  # Customer Service -> Logistics
    # the reverse direction without a flag says what that means
    assert any("No flag" in c.value for c in at.caption)
    assert any(c.value.startswith("Declining compares with 2026 Q3,") for c in at.caption)
    assert not at.dataframe  # a list, not a table that truncates the reasons


def test_hotspots_pair_shows_both_directions_trend_and_comments_as_text(demo_db_path):
    at = run_page("views/hotspots.py", demo_db_path, state={"hotspots.focus": ["RND", "QA"]})
    assert at.selectbox(key="hotspots.pick.en").value == "RND|QA"
    assert at.query_params["pair"] == "RND~QA"  # the pair shown is in the address
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
    assert {"销售部", "生产部"} in [_pair(h) for h in _ranked(at)]
    shown = [m.value for m in at.markdown]
    assert any(v.startswith("摩擦（") for v in shown) and any(v.startswith("销售部对生产部") for v in shown)


def test_the_pair_picker_follows_a_switch_to_chinese(demo_db_path):
    at = run_page("views/hotspots.py", demo_db_path, state={"hotspots.focus": ["SALES", "PROD"]})
    assert at.selectbox(key="hotspots.pick.en").value == "SALES|PROD"
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    picker = at.selectbox(key="hotspots.pick.zh")  # a widget of its own per language (see worded_select)
    assert picker.label == "查看部门组合" and picker.value == "SALES|PROD"
    assert "销售部 ↔ 生产部" in picker.options and not any("Sales" in o for o in picker.options)
    assert {m.label for m in at.metric} == {"销售部 → 生产部", "生产部 → 销售部"}


def test_a_pair_in_the_address_opens_it_and_a_choice_changes_the_address(demo_db_path):
    at = run_page("views/hotspots.py", demo_db_path, query={"pair": "PROD~SALES"})
    assert not at.exception and not at.warning
    picker = at.selectbox(key="hotspots.pick.en")
    assert picker.value == "PROD|SALES"  # in the direction the address names
    assert {m.label for m in at.metric} == {"Production → Sales", "Sales → Production"}
    other = next(o for o in picker.options if o != "Production ↔ Sales")
    picker.select(other).run()
    chosen = at.selectbox(key="hotspots.pick.en").value
    assert chosen != "PROD|SALES" and at.query_params["pair"] == chosen.replace("|", "~")


NO_SUCH_PAIR = "The address named a pair of departments that does not exist here; choose a pair below."


@pytest.mark.parametrize(
    ("lang", "value", "message"),
    [
        ("en", "SALES~NOWHERE", NO_SUCH_PAIR),
        ("en", "SALES~SALES", NO_SUCH_PAIR),
        ("zh", "<b>x</b>", "链接中的部门组合不存在；请在下方选择一个部门组合。"),
    ],
)
def test_a_pair_in_the_address_that_does_not_exist_is_said_in_the_user_s_language(demo_db_path, lang, value, message):
    at = run_page("views/hotspots.py", demo_db_path, lang=lang, query={"pair": value})
    assert not at.exception
    assert [w.value for w in at.warning] == [message]
    assert _ranked(at)  # the page is shown, with its first pair
    assert at.query_params.get("pair") != value


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_hotspots_open_to_dashboard_roles(demo_db_path, role):
    at = run_page("views/hotspots.py", demo_db_path, role=role)
    assert not at.exception and len(_ranked(at))


def test_hotspots_refuse_a_visitor(demo_db_path):
    at = run_page("views/hotspots.py", demo_db_path, role=None)
    assert "sign in" in at.warning[0].value
    assert not _ranked(at)


def test_hotspots_empty_database(empty_db_path):
    at = run_page("views/hotspots.py", empty_db_path)
    assert not at.exception
    assert "No survey wave yet" in at.info[0].value
