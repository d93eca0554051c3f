"""Chart builders on small hand-made frames: what each figure draws, hides and marks."""

import math

import numpy as np
import pandas as pd
import pytest

from ui import charts

HEAT_TEXTS = {
    "hidden": "hidden",
    "no_data": "no data",
    "hover": "{rater} rates {provider}",
    "mean": "Mean",
    "x_title": "provider",
    "y_title": "rater",
    "significant": "significant",
}
NAMES = {"A": "Alpha", "B": "Beta", "C": "Gamma"}


def _cells() -> pd.DataFrame:
    # A->B good, B->A poor, A->C hidden (suppressed, no figures), C->A no row at all (no data)
    return pd.DataFrame(
        {
            "rater_dept": ["A", "B", "A", "B", "C"],
            "provider_dept": ["B", "A", "C", "C", "B"],
            "n": [20.0, 12.0, np.nan, 9.0, 15.0],
            "mean": [80.0, 40.0, np.nan, 60.0, 70.0],
            "ci_low": [75.0, 30.0, np.nan, 50.0, 64.0],
            "ci_high": [85.0, 50.0, np.nan, 70.0, 76.0],
            "suppressed": [False, False, True, False, False],
        }
    )


def test_significant_cells_are_those_whose_interval_excludes_the_centre():
    # centre 62: A->B (75..85) above, B->A (30..50) below, B->C (50..70) and C->B (64..76)? 64 > 62 -> above
    assert charts.significant_cells(_cells(), 62.0) == {("A", "B"), ("B", "A"), ("C", "B")}
    assert charts.significant_cells(_cells(), 65.0) == {("A", "B"), ("B", "A")}


def test_heatmap_hidden_cells_have_no_value_and_differ_from_no_data():
    fig = charts.satisfaction_heatmap(_cells(), ["A", "B", "C"], NAMES, centre=62.0, texts=HEAT_TEXTS)
    hidden, values = fig.data[0], fig.data[1]
    y, x = list(values.y).index("Alpha"), list(values.x).index("Gamma")
    assert hidden.z[y][x] == 1 and math.isnan(values.z[y][x])
    assert "hidden" in hidden.text[y][x]
    # C rates A: no row, so neither a hidden mark nor a value
    y, x = list(values.y).index("Gamma"), list(values.x).index("Alpha")
    assert math.isnan(hidden.z[y][x]) and math.isnan(values.z[y][x])
    # the hidden cell also gets an x marker, so it does not rely on grey alone
    hidden_marks = fig.data[4]
    assert list(zip(hidden_marks.x, hidden_marks.y, strict=True)) == [("Gamma", "Alpha")]


def test_heatmap_centres_colours_on_the_org_mean_and_orders_best_first():
    fig = charts.satisfaction_heatmap(_cells(), ["A", "B", "C"], NAMES, centre=62.0, texts=HEAT_TEXTS)
    values = fig.data[1]
    assert values.zmid == 62.0 and values.zmin == pytest.approx(62 - 22) and values.zmax == pytest.approx(62 + 22)
    # providers by mean of shown cells: B (75), C (60), A (40)
    assert list(values.x) == ["Beta", "Gamma", "Alpha"]
    assert values.colorscale[0][1].startswith("rgb") and fig.layout.font.family == charts.FONT_FAMILY


def test_heatmap_click_layer_carries_the_pair_codes_and_hover_text():
    fig = charts.satisfaction_heatmap(_cells(), ["A", "B", "C"], NAMES, centre=62.0, texts=HEAT_TEXTS)
    layer = fig.data[3]
    pairs = [tuple(c) for c in layer.customdata]
    assert ("A", "B") in pairs and ("A", "C") in pairs  # shown and hidden cells can be clicked
    assert ("C", "A") not in pairs  # no data: nothing to open
    text = layer.hovertext[pairs.index(("A", "B"))]
    assert "Alpha rates Beta" in text and "80" in text and "n = 20" in text
    assert "hidden" in layer.hovertext[pairs.index(("A", "C"))]
    assert "80" not in layer.hovertext[pairs.index(("A", "C"))]


def test_heatmap_rings_marked_cells_but_never_a_hidden_one():
    fig = charts.satisfaction_heatmap(
        _cells(), ["A", "B", "C"], NAMES, centre=62.0, texts=HEAT_TEXTS, marked={("B", "A"), ("A", "C")}
    )
    rings = fig.data[2]
    assert list(zip(rings.x, rings.y, strict=True)) == [("Alpha", "Beta")]


def test_loyalty_bar_shows_shares_that_add_up_to_100():
    frame = pd.DataFrame(
        {"label": ["Dept", "Org"], "promoters": [5, 30], "passives": [3, 50], "detractors": [2, 20], "inps": [30, 10]}
    )
    texts = {"detractors": "D", "passives": "P", "promoters": "Pr", "share": "share"}
    fig = charts.loyalty_bar(frame, texts=texts)
    shares = np.array([list(trace.x) for trace in fig.data])
    assert [trace.name for trace in fig.data] == ["D", "P", "Pr"]
    assert shares.sum(axis=0) == pytest.approx([100, 100])
    assert shares[:, 0] == pytest.approx([20, 30, 50])


def test_customer_view_lists_hidden_rows_without_a_value():
    view = pd.DataFrame(
        {
            "label": ["Alpha", "Beta"],
            "n": [12.0, np.nan],
            "mean": [55.0, np.nan],
            "ci_low": [50.0, np.nan],
            "ci_high": [60.0, np.nan],
            "suppressed": [False, True],
        }
    )
    fig = charts.customer_view_bars(view, centre=62.0, texts={"hidden": "hidden", "mean": "Mean", "org": "Org"})
    bar = fig.data[0]
    assert list(bar.text) == ["55 (n=12)", "hidden"]
    assert bar.marker.color[1] == charts.HIDDEN_COLOUR


def test_importance_performance_labels_the_fix_first_quadrant_top_left():
    matrix = pd.DataFrame(
        {
            "label": ["Speed", "Care"],
            "importance": [60.0, 20.0],
            "performance": [40.0, 80.0],
            "quadrant": ["fix_first", "possible_overkill"],
        }
    )
    texts = {
        "importance": "I",
        "performance": "P",
        "fix_first": "Fix first",
        "keep_up": "Keep",
        "secondary": "Sec",
        "possible_overkill": "Over",
    }
    fig = charts.importance_performance(matrix, texts=texts)
    fix = next(a for a in fig.layout.annotations if "Fix first" in a.text)
    assert fix.x == fig.layout.xaxis.range[0] and fix.y == fig.layout.yaxis.range[1]
    assert list(fig.data[0].y) == pytest.approx([60, 20])


# A department whose dimensions all score about the same (the demo's HR in 2026 Q4, Chinese labels):
# the points stand in one column, where labels above and below each point used to run into their
# neighbours (seen in the browser screenshots).
CLUSTER = pd.DataFrame(
    {
        "label": ["价值", "沟通", "换位思考", "理解需求", "可靠", "响应"],
        "performance": [60.7, 59.9, 59.9, 59.7, 59.9, 59.8],
        "importance": [19.7, 18.7, 17.2, 15.8, 14.9, 13.7],
    }
)


@pytest.mark.parametrize(
    "labels",
    [list(CLUSTER["label"]), ["Value", "Communication", "Empathy", "Understanding", "Reliability", "Responsiveness"]],
)
def test_clustered_points_get_labels_that_overlap_no_label_and_no_marker(labels):
    x, y = CLUSTER["performance"].to_numpy(), CLUSTER["importance"].to_numpy()
    x_range, y_range = [53.7, 66.7], [9.6, 23.8]
    sides = charts.label_positions(x, y, labels, x_range=x_range, y_range=y_range, avoid_x=60.0, avoid_y=16.7)
    width, height = charts._PLOT_PX
    px = (x - x_range[0]) / (x_range[1] - x_range[0]) * width
    py = (y - y_range[0]) / (y_range[1] - y_range[0]) * height
    boxes = [charts.label_box(s, a, b, charts._text_width(t)) for s, a, b, t in zip(sides, px, py, labels, strict=True)]
    m = charts._MARKER_PX
    for i, box in enumerate(boxes):
        for j, other in enumerate(boxes):
            assert i == j or charts._overlap(box, other) == 0, (labels[i], labels[j], sides)
        for j, (a, b) in enumerate(zip(px, py, strict=True)):
            assert i == j or charts._overlap(box, (a - m, b - m, a + m, b + m)) == 0, (labels[i], j, sides)
    # the rule it replaces (above and below, alternating along the performance axis) collides here
    old = [
        "top center" if r % 2 == 0 else "bottom center" for r in CLUSTER["performance"].rank(method="first").astype(int)
    ]
    old_boxes = [
        charts.label_box(s, a, b, charts._text_width(t)) for s, a, b, t in zip(old, px, py, labels, strict=True)
    ]
    assert any(charts._overlap(a, b) > 0 for i, a in enumerate(old_boxes) for b in old_boxes[i + 1 :])


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
    fig = charts.trend_lines(trend, texts={"mean": "Mean", "wave": "Wave", "significant": "sig"})
    assert [trace.name for trace in fig.data] == ["Org", "Pair", "sig"]
    assert list(fig.data[2].x) == ["Q4"] and list(fig.data[2].y) == [50.0]
    assert list(fig.layout.xaxis.categoryarray) == ["Q2", "Q3", "Q4"]


def test_network_layout_keeps_sister_units_together_on_the_unit_circle():
    deps = pd.DataFrame({"code": ["CEO", "S1", "T1", "S2", "T2"], "parent_code": [None, "CEO", "CEO", "S1", "T1"]})
    positions = charts.network_layout(deps)
    assert list(positions) == ["CEO", "S1", "S2", "T1", "T2"]  # each child right after its parent
    assert positions["CEO"] == pytest.approx((0.0, 1.0))
    assert all(x * x + y * y == pytest.approx(1.0) for x, y in positions.values())


def test_network_graph_colours_arrows_and_rings_weak_providers():
    edges = pd.DataFrame(
        {
            "rater_dept": ["A", "B", "C"],
            "provider_dept": ["B", "A", "A"],
            "mean": [80.0, 30.0, np.nan],
            "n": [20.0, 20.0, np.nan],
            "interaction": [3.0, 1.5, np.nan],
            "suppressed": [False, False, True],
        }
    )
    positions = {"A": (0.0, 1.0), "B": (0.87, -0.5), "C": (-0.87, -0.5)}
    texts = {
        "mean": "Mean",
        "hidden": "hidden",
        "hover": "{rater} rates {provider}",
        "weak": "{count} weak",
        "interaction": "Interaction",
    }
    fig = charts.network_graph(edges, positions, NAMES, centre=60.0, weak_incoming={"A": 2}, texts=texts)
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == 2  # the hidden pair is a dotted line, not a coloured arrow
    good, poor = arrows
    assert good.arrowwidth > poor.arrowwidth  # more interaction, wider
    assert good.arrowcolor != poor.arrowcolor
    nodes = next(trace for trace in fig.data if trace.name == "departments")
    assert list(nodes.customdata) == ["A", "B", "C"]
    assert nodes.marker.line.color[0] == charts.DETRACTOR_COLOUR and nodes.marker.size[0] > nodes.marker.size[1]
    hover = next(trace for trace in fig.data if trace.name == "edges").hovertext
    assert any("Gamma rates Alpha" in h and "hidden" in h and "n =" not in h for h in hover)
