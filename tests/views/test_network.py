"""AppTest of the Network page on the demo organisation (planted patterns: data/demo.py)."""

import re

from tests.conftest import assert_serialisable_state, chart_specs, run_page


def _graph(at) -> dict:
    return chart_specs(at)[0]


def _caption(at) -> str:
    return next(c.value for c in at.caption if " of " in c.value and "drawn" in c.value)


def test_network_draws_only_the_pairs_that_need_attention_and_its_caption_says_what_is_drawn(demo_db_path):
    at = run_page("views/network.py", demo_db_path)
    assert not at.exception
    assert_serialisable_state(at)
    spec = _graph(at)
    nodes = next(t for t in spec["data"] if t.get("name") == "departments")
    assert len(nodes["customdata"]) == 13  # the demo's 13 departments, as places on the circle
    arrows = [a for a in spec["layout"]["annotations"] if a.get("showarrow")]
    drawn, rated = (int(x) for x in re.search(r"(\d+) of (\d+)", _caption(at)).groups())
    assert len(arrows) == drawn and 0 < drawn < rated / 3  # not a hairball
    # every arrow is in the table, with why it is drawn
    table = at.dataframe[0].value
    assert len(table) == drawn
    assert "Sales → Production" in list(table["pair"])  # planted friction
    why = table.set_index("pair").loc["Sales → Production", "why"]
    assert "friction" in why
    # hidden pairs are not drawn at all: Legal -> Marketing (planted small cell) has no arrow nor hover
    edges = next(t for t in spec["data"] if t.get("name") == "edges")
    assert len(edges["hovertext"]) == drawn and not any(
        h.startswith("Legal rates Marketing") for h in edges["hovertext"]
    )
    # red rings: exactly the departments the caption names
    ringed = {c for c, w in zip(nodes["customdata"], nodes["marker"]["line"]["width"], strict=True) if w > 2}
    names = {
        "LEGAL": "Legal",
        "PROD": "Production",
        "LOG": "Logistics",
        "RND": "R&D",
        "QA": "Quality",
        "HR": "Human Resources",
    }
    assert ringed, "the demo has a department with several weak incoming arrows"
    circled = next(c.value for c in at.caption if c.value.startswith("Circled in red"))
    assert all(names.get(c, c) in circled for c in ringed)
    assert circled.split(": ", 1)[1].count(", ") + 1 == len(ringed)  # and no other


def test_network_in_chinese_labels_nodes_in_chinese(demo_db_path):
    at = run_page("views/network.py", demo_db_path, lang="zh")
    labels = [a["text"] for a in _graph(at)["layout"]["annotations"] if not a.get("showarrow")]
    assert any("销售部" in label for label in labels) and any("生产部" in label for label in labels)


def test_network_refuses_a_visitor(demo_db_path):
    at = run_page("views/network.py", demo_db_path, role=None)
    assert "sign in" in at.warning[0].value


def test_network_everything_hidden(demo_db_path):
    from data.db import Database

    db = Database(demo_db_path)
    db.connection().execute("UPDATE waves SET k_min = 500, k_comments = 500")
    db.close()
    at = run_page("views/network.py", demo_db_path)
    assert any("below the anonymity threshold" in i.value for i in at.info)


def _labels(at) -> list[str]:
    return [a["text"] for a in _graph(at)["layout"]["annotations"] if not a.get("showarrow")]


def test_a_rerun_draws_the_same_graph_without_building_it_again_and_a_switch_to_chinese_redraws_it(
    demo_db_path, monkeypatch
):
    # building the graph's many annotations was most of a warm rerun on a large organisation
    # (bench/pages.py: 355 ms against a goal of 300): the graph is cached per wave, filter, language
    import ui.charts.network as charts

    built = []
    original = charts.network_graph
    monkeypatch.setattr(charts, "network_graph", lambda *args, **kwargs: built.append(1) or original(*args, **kwargs))
    at = run_page("views/network.py", demo_db_path)
    first = _graph(at)
    at.run()
    assert not at.exception
    assert _graph(at) == first and len(built) == 1  # the same picture, not built again
    assert any("Sales" in label for label in _labels(at))
    at.session_state["lang"] = "zh"
    at.run()
    assert len(built) == 2
    assert any("销售部" in label for label in _labels(at)) and not any("Sales" in label for label in _labels(at))
