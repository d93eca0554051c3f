"""The department network on small hand-made edges."""

import numpy as np
import pandas as pd
import pytest

from tests.ui.charts import trace
from ui.charts import network
from ui.charts.style import DETRACTOR_COLOUR

NAMES = {"A": "Alpha", "B": "Beta", "C": "Gamma"}


def test_network_layout_keeps_sister_units_together_on_the_unit_circle():
    deps = pd.DataFrame({"code": ["CEO", "S1", "T1", "S2", "T2"], "parent_code": [None, "CEO", "CEO", "S1", "T1"]})
    positions = network.network_layout(deps)
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
    fig = network.network_graph(edges, positions, NAMES, centre=60.0, weak_incoming={"A": 2}, texts=texts)
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == 2  # the hidden pair is a dotted line, not a coloured arrow
    good, poor = arrows
    assert good.arrowwidth > poor.arrowwidth  # more interaction, wider
    assert good.arrowcolor != poor.arrowcolor
    assert [t.name for t in fig.data] == ["hidden_edge", "edges", "departments", "colour_scale"]
    nodes = trace(fig, "departments")
    assert list(nodes.customdata) == ["A", "B", "C"]
    assert nodes.marker.line.color[0] == DETRACTOR_COLOUR and nodes.marker.size[0] > nodes.marker.size[1]
    hover = trace(fig, "edges").hovertext
    assert any("Gamma rates Alpha" in h and "hidden" in h and "n =" not in h for h in hover)
