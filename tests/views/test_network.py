"""AppTest of the Network page on the demo organisation (planted patterns: data/demo.py)."""

from tests.conftest import assert_serialisable_state, chart_specs, run_page


def _graph(at) -> dict:
    return chart_specs(at)[0]


def test_network_draws_every_department_and_an_arrow_per_shown_cell(demo_db_path):
    at = run_page("views/network.py", demo_db_path)
    assert not at.exception
    assert_serialisable_state(at)
    spec = _graph(at)
    nodes = next(t for t in spec["data"] if t.get("name") == "departments")
    assert len(nodes["customdata"]) == 13  # the demo's 13 departments
    arrows = [a for a in spec["layout"]["annotations"] if a.get("showarrow")]
    edges = next(t for t in spec["data"] if t.get("name") == "edges")
    hidden = [h for h in edges["hovertext"] if "hidden" in h]
    assert len(arrows) + len(hidden) == len(edges["hovertext"]) and len(arrows) > 40
    # the planted small cell Legal -> Marketing is a hidden edge, with no value in its hover text
    legal = next(h for h in edges["hovertext"] if h.startswith("Legal rates Marketing"))
    assert "hidden" in legal and "n =" not in legal


def test_network_singles_out_providers_with_weak_incoming_ratings(demo_db_path):
    at = run_page("views/network.py", demo_db_path)
    table = at.dataframe[0].value
    assert "Production" in list(table["Department"])  # Sales -> Production (planted friction) is weak
    assert table["Weak incoming ratings"].is_monotonic_decreasing


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
