"""AppTest of the Overview page on the demo organisation."""

import html
import re

from data.demo import DEPARTMENTS
from tests.conftest import assert_serialisable_state, chart_specs, run_page


def _heatmap(at) -> dict:
    charts = chart_specs(at)
    assert charts, "the overview draws no chart"
    return charts[0]


def _trace(spec: dict, name: str) -> dict:
    """The heatmap's trace named `name` (ui/charts/heatmap.py names each one)."""
    return next(trace for trace in spec["data"] if trace.get("name") == name)


def test_overview_heatmap_shows_the_demo_departments(demo_db_path):
    at = run_page("views/overview.py", demo_db_path)
    assert not at.exception
    assert_serialisable_state(at)
    spec = _heatmap(at)
    values = _trace(spec, "values")
    # Plotly reads labels as HTML, so names arrive escaped ("R&amp;D"); the browser shows "R&D"
    names = {html.escape(name, quote=False) for _, name, _, _ in DEPARTMENTS}
    assert set(values["x"]) <= names and len(set(values["x"])) >= 12
    assert set(values["y"]) <= names and len(set(values["y"])) >= 12
    # the planted friction: Sales rates Production well below the organisation's mean
    y, x = values["y"].index("Sales"), values["x"].index("Production")
    assert values["z"][y][x] < values["zmid"] - 15


def test_overview_hides_small_cells_without_a_value(demo_db_path):
    at = run_page("views/overview.py", demo_db_path)
    spec = _heatmap(at)
    hidden, values = _trace(spec, "hidden"), _trace(spec, "values")
    # Legal rates Marketing with 2 responses in the latest wave (planted): drawn as hidden, no value
    y, x = hidden["y"].index("Legal"), hidden["x"].index("Marketing")
    assert hidden["z"][y][x] == 1
    assert values["z"][y][x] is None
    assert "hidden" in hidden["text"][y][x]


def test_overview_in_chinese_uses_chinese_department_names(demo_db_path):
    at = run_page("views/overview.py", demo_db_path, lang="zh")
    assert at.title[0].value == "总览"
    assert "销售部" in _trace(_heatmap(at), "values")["y"]


def test_overview_empty_database_says_there_is_no_wave(empty_db_path):
    at = run_page("views/overview.py", empty_db_path)
    assert not at.exception
    assert "No survey wave yet" in at.info[0].value


def test_overview_refuses_a_visitor_who_is_not_signed_in(demo_db_path):
    at = run_page("views/overview.py", demo_db_path, role=None)
    assert "sign in" in at.warning[0].value
    assert not at.get("plotly_chart")


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_overview_headline_shows_loyalty_response_rate_and_hotspots(demo_db_path):
    at = run_page("views/overview.py", demo_db_path)
    inps = _metric(at, "Internal loyalty (iNPS)")
    assert inps.startswith(("+", "-")) and -100 <= int(inps) <= 100
    assert any("95% interval" in c.value for c in at.caption)
    # the demo invites more people than answer (data/demo.py: rates 50-90%)
    rate = _metric(at, "Response rate")
    assert rate.endswith("%") and 50 <= int(rate[:-1]) <= 90
    assert int(_metric(at, "Hotspots")) >= 3
    # the comparison wave defaults to the one before: the change is shown as a delta
    assert any(m.label == "Mean satisfaction" and m.proto.delta for m in at.metric)


def test_overview_rings_cells_that_differ_significantly_from_the_mean(demo_db_path):
    spec = _heatmap(run_page("views/overview.py", demo_db_path))
    rings = _trace(spec, "significant")
    assert ("Production", "Sales") in set(zip(rings["x"], rings["y"], strict=True))  # planted friction
    assert ("Marketing", "Legal") not in set(zip(rings["x"], rings["y"], strict=True))  # hidden: never ringed


def _pair_headings(at) -> list[str]:
    """The ranked pairs of the top list: "**1. A ↔ B** · Severity 24 · serious" (markdown)."""
    return [m.value for m in at.markdown if re.match(r"\*\*\d+\. ", m.value)]


def test_overview_top_hotspots_name_each_pair_once_with_both_directions(demo_db_path):
    at = run_page("views/overview.py", demo_db_path)
    assert "Top hotspots" in [h.value for h in at.subheader]
    headings = _pair_headings(at)
    assert len(headings) == 5
    pairs = [h.split("**")[1].split(". ", 1)[1] for h in headings]
    sides = [set(p.split(" ↔ ")) for p in pairs]
    assert len({frozenset(s) for s in sides}) == 5  # each pair of departments once
    # planted (data/demo.py PLANTED): the two-sided conflict R&D <-> Quality in ONE place, with both directions
    assert {"R&D", "Quality"} in sides and {"Sales", "Production"} in sides
    shown = [m.value for m in at.markdown]
    assert any(v.startswith("**R&D → Quality**") for v in shown) and any(
        v.startswith("**Quality → R&D**") for v in shown
    )
    assert any("Sales" in v and "Production" in v and "points below" in v for v in shown)  # the whole reason
    # severity with its meaning, and the scale on screen
    severities = [float(re.search(r"Severity (\d+)", h).group(1)) for h in headings]
    assert severities == sorted(severities, reverse=True)  # most severe first
    assert all(h.endswith(("serious", "clear", "minor")) for h in headings)
    assert any("20 or more" in c.value for c in at.caption)
    # flags are explained where they are shown
    assert any("friction (" in v for v in shown)


def test_overview_selected_cell_shows_both_directions(demo_db_path):
    at = run_page("views/overview.py", demo_db_path, state={"overview.pair": ["RND", "QA"]})
    labels = [m.label for m in at.metric]
    assert "R&D → Quality" in labels and "Quality → R&D" in labels
    assert any(b.label == "Open this pair in Hotspots" for b in at.button)


def test_overview_selected_hidden_cell_shows_no_value(demo_db_path):
    at = run_page("views/overview.py", demo_db_path, state={"overview.pair": ["LEGAL", "MKT"]})
    assert _metric(at, "Legal → Marketing") == "—"


def test_overview_relationship_filter_keeps_only_that_type(demo_db_path):
    at = run_page("views/overview.py", demo_db_path, query={"type": "functional"})
    values = _trace(_heatmap(at), "values")
    # Sales -> Production is a process relationship (data/demo.py), so it has no functional cell
    if "Sales" in values["y"] and "Production" in values["x"]:
        assert values["z"][values["y"].index("Sales")][values["x"].index("Production")] is None
    # every provider of a functional relationship in the demo is IT, HR, Finance or Legal
    clickable = _trace(_heatmap(at), "cells")["customdata"]
    assert clickable and {provider for _, provider in clickable} <= {"IT", "HR", "FIN", "LEGAL"}


def test_overview_everything_hidden_says_so(demo_db_path):
    from data.db import Database

    db = Database(demo_db_path)
    db.connection().execute("UPDATE waves SET k_min = 500, k_comments = 500")
    db.close()
    at = run_page("views/overview.py", demo_db_path)
    assert not at.exception
    assert any("below the anonymity threshold" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_overview_wave_without_responses_says_so(empty_db_path):
    import datetime as dt

    from data.db import Database
    from data.waves import create_wave, register_survey
    from surveys.definition import load_survey

    db = Database(empty_db_path)
    version = register_survey(db, load_survey())
    create_wave(
        db,
        "2027-Q1",
        name_en="2027 Q1",
        name_zh="2027年第一季度",
        survey_version=version,
        opens_on=dt.date(2027, 1, 4),
        closes_on=dt.date(2027, 1, 22),
    )
    db.close()
    at = run_page("views/overview.py", empty_db_path, lang="zh")
    assert not at.exception
    assert "本轮次尚无回复" in at.info[0].value


def test_overview_compared_with_an_older_wave_shows_the_loyalty_change_too(demo_db_path):
    at = run_page("views/overview.py", demo_db_path, query={"compare": "2026-Q2"})
    assert not at.exception
    loyalty = next(m for m in at.metric if m.label == "Internal loyalty (iNPS)")
    assert loyalty.proto.delta  # against the wave just before, only the mean's change is known
    assert any("Change since 2026 Q2" in c.value for c in at.caption)


def test_overview_filters_name_the_four_internal_customer_types_in_chinese(demo_db_path):
    at = run_page("views/overview.py", demo_db_path, lang="zh")
    rtype = at.selectbox(key="overview.type.zh")
    assert rtype.label == "内部客户类型"
    assert {"全部关系", "等级客户", "功能客户", "流程客户", "跨部门流程客户"} == set(rtype.options)


def test_overview_has_a_phone_rendering_ranking_each_pair_once(demo_db_path):
    at = run_page("views/overview.py", demo_db_path)
    # both renderings are sent; CSS on their keyed containers shows one (tests/browser checks which)
    ranking = next(m.value for m in at.markdown if m.value.startswith("1. **") and " ↔ " in m.value)
    items = [line for line in ranking.split("\n") if re.match(r"\d+\. \*\*", line)]
    assert len(items) == 15
    pairs = [frozenset(line.split("**")[1].split(" ↔ ")) for line in items]
    assert len(set(pairs)) == 15  # each pair once
    lowest = [float(x) for x in re.findall(r"\*\*(\d+)\*\*", ranking)]
    assert lowest and min(lowest) < 40  # the planted conflicts come first (means 33-38)
    assert any("pairs with the lowest rating" in c.value for c in at.caption)


def test_a_phone_opens_a_pair_from_the_ranked_list(demo_db_path):
    """Issue 20 on a phone: the heatmap is hidden below 640 px, so the ranked list offers its pairs;
    one chosen shows both directions and opens in Hotspots, as a click on a cell does."""
    at = run_page("views/overview.py", demo_db_path)
    picker = at.selectbox(key="overview.phone_pair.en")
    assert len(picker.options) == 15 and all(" ↔ " in o for o in picker.options)
    assert not [b for b in at.button if b.key == "overview.open_pair"]
    first = picker.options[0]  # the lowest-rated pair, as the list above names it
    picker.select_index(0).run()
    assert not at.exception
    assert [b for b in at.button if b.key == "overview.open_pair"]  # "Open this pair in Hotspots"
    shown = [m.value for m in at.markdown if m.value.startswith("**Selected: ")]
    a, b = first.split(" ↔ ")
    assert shown and a in shown[0] and b in shown[0]
