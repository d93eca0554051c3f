"""Departments as a directed graph of who rates whom (the Network page)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from ui.charts.style import (
    DETRACTOR_COLOUR,
    DIVERGING,
    HIDDEN_COLOUR,
    MIN_SPREAD,
    base_layout,
    diverging_colour,
    plain_names,
    plain_texts,
)


def network_layout(departments: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """A circular layout with departments ordered by the org tree (parent, then its children),
    so that sister units sit next to each other. `departments` has code and parent_code.

    Returns code -> (x, y) on the unit circle, the first department at the top, clockwise.
    """
    codes = list(departments["code"])
    parent = dict(zip(departments["code"], departments["parent_code"], strict=True))
    children: dict[str | None, list[str]] = {}
    for code in sorted(codes):
        up = parent.get(code)
        children.setdefault(up if up in parent and pd.notna(up) else None, []).append(code)
    order: list[str] = []

    def visit(code: str) -> None:
        if code in order:
            return
        order.append(code)
        for child in children.get(code, []):
            visit(child)

    for root in children.get(None, []):
        visit(root)
    order += [c for c in sorted(codes) if c not in order]  # units caught in a cycle still get a place
    count = max(len(order), 1)
    return {
        code: (math.sin(2 * math.pi * i / count), math.cos(2 * math.pi * i / count)) for i, code in enumerate(order)
    }


def network_graph(
    edges: pd.DataFrame,
    positions: dict[str, tuple[float, float]],
    names: dict[str, str],
    *,
    centre: float,
    weak_incoming: dict[str, int],
    texts: dict[str, str],
    node_means: pd.Series | None = None,
) -> go.Figure:
    """Departments as a directed graph: an arrow rater -> provider per cell.

    `edges` has rater_dept, provider_dept, mean, n, interaction (mean contacts per month, for the
    width) and suppressed. Arrows are coloured by mean satisfaction on the diverging scale centred
    on `centre`; hidden cells are thin grey dotted lines. `weak_incoming` (provider -> count of
    incoming arrows significantly below the mean) enlarges the nodes, and rings those with two or
    more (`RING_FROM`). Nodes are coloured by `node_means` (provider -> mean as rated by all its
    customers), else by the mean of the arrows drawn into them.
    `texts` holds mean, hidden, hover (with {rater} and {provider}), weak (with {count}), interaction.

    Traces by name: "hidden_edge" (one for all hidden cells), "edges" (an invisible point in the middle
    of each arrow carrying its hover text), "departments" (the nodes, customdata the codes) and
    "colour_scale" (an invisible point carrying the colour bar). Shown arrows and node labels are
    annotations.
    """
    texts = plain_texts(texts)
    names = plain_names(names, [*positions, *edges["rater_dept"], *edges["provider_dept"]])
    fig = go.Figure()
    shown = edges[~edges["suppressed"]]
    spread = max(float((shown["mean"] - centre).abs().max()) if len(shown) else 0.0, MIN_SPREAD)
    arrows = _add_edges(fig, edges, positions, names, centre=centre, spread=spread, texts=texts)
    codes = list(positions)
    if node_means is None:
        node_means = shown.groupby("provider_dept")["mean"].mean()
    fig.add_trace(_nodes_trace(codes, positions, names, node_means, weak_incoming, centre, spread, texts))
    # every annotation in one assignment: add_annotation or update_layout check or merge each one
    # already there, so one by one after a thousand arrows took most of a minute (40 departments)
    fig.layout.annotations = [*arrows, *_node_labels(codes, positions, names, weak_incoming)]
    fig.add_trace(_colour_scale_trace(centre, spread, texts))
    base_layout(fig, height=720)
    axis = {"visible": False, "range": [-1.75, 1.75]}
    fig.update_layout(xaxis=axis, yaxis={**axis, "scaleanchor": "x", "range": [-1.45, 1.45]}, hovermode="closest")
    return fig


_NODE_RADIUS = 0.075
RING_FROM = 2  # a department with this many weak incoming arrows or more is ringed in red


def _arrow_ends(start: tuple[float, float], end: tuple[float, float]) -> tuple[float, float, float, float]:
    """(sx, sy, ex, ey): an arrow from node to node stopping at their rims, offset to the right of
    its direction so that A->B and B->A are two separate arrows."""
    (x0, y0), (x1, y1) = start, end
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    ox, oy = uy * 0.025, -ux * 0.025
    return (
        x0 + ux * _NODE_RADIUS + ox,
        y0 + uy * _NODE_RADIUS + oy,
        x1 - ux * _NODE_RADIUS + ox,
        y1 - uy * _NODE_RADIUS + oy,
    )


def _add_edges(
    fig: go.Figure,
    edges: pd.DataFrame,
    positions: dict[str, tuple[float, float]],
    names: dict[str, str],
    *,
    centre: float,
    spread: float,
    texts: dict[str, str],
) -> list[dict]:
    """Each cell as an arrow (shown: returned, an annotation each) or a dotted line (hidden), and the
    "edges" hover layer."""
    shown = edges[~edges["suppressed"]]
    top = float(shown["interaction"].max()) if len(shown) and shown["interaction"].notna().any() else 1.0
    mid_x, mid_y, mid_text = [], [], []
    arrows: list[dict] = []  # laid out at once: add_annotation one by one costs O(n^2) (1,500 cells: seconds)
    hidden_x: list[float | None] = []
    hidden_y: list[float | None] = []
    for row in edges.itertuples(index=False):
        if row.rater_dept not in positions or row.provider_dept not in positions:
            continue
        sx, sy, ex, ey = _arrow_ends(positions[row.rater_dept], positions[row.provider_dept])
        head = texts["hover"].format(
            rater=names.get(row.rater_dept, row.rater_dept), provider=names.get(row.provider_dept, row.provider_dept)
        )
        if row.suppressed:
            hidden_x += [sx, ex, None]
            hidden_y += [sy, ey, None]
            mid_text.append(f"{head}<br>{texts['hidden']}")
        else:
            share = (row.interaction / top) if pd.notna(row.interaction) and top else 0.3
            arrows.append(
                _arrow(
                    sx,
                    sy,
                    ex,
                    ey,
                    width=1.0 + 5.0 * math.sqrt(max(share, 0.0)),
                    colour=diverging_colour(row.mean, centre, spread),
                )
            )
            mid_text.append(
                f"{head}<br>{texts['mean']}: {row.mean:.0f}<br>n = {int(row.n)}"
                + (f"<br>{texts['interaction']}: {row.interaction:.1f}" if pd.notna(row.interaction) else "")
            )
        mid_x.append(sx + (ex - sx) * 0.55)
        mid_y.append(sy + (ey - sy) * 0.55)
    if hidden_x:
        fig.add_trace(_hidden_edges_trace(hidden_x, hidden_y))  # one dotted trace, lines apart by None
    fig.add_trace(
        go.Scatter(
            x=mid_x,
            y=mid_y,
            mode="markers",
            marker={"size": 10, "opacity": 0},
            hovertext=mid_text,
            hoverinfo="text",
            showlegend=False,
            name="edges",
        )
    )
    return arrows


def _hidden_edges_trace(xs: list[float | None], ys: list[float | None]) -> go.Scatter:
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines",
        line={"color": HIDDEN_COLOUR, "width": 1, "dash": "dot"},
        hoverinfo="skip",
        showlegend=False,
        name="hidden_edge",
    )


def _arrow(sx: float, sy: float, ex: float, ey: float, *, width: float, colour: str) -> dict:
    return dict(
        x=ex,
        y=ey,
        ax=sx,
        ay=sy,
        xref="x",
        yref="y",
        axref="x",
        ayref="y",
        text="",
        showarrow=True,
        arrowhead=2,
        arrowsize=max(0.6, 1.6 - width / 6),
        arrowwidth=width,
        arrowcolor=colour,
        opacity=0.85,
    )


def _nodes_trace(
    codes: list[str],
    positions: dict[str, tuple[float, float]],
    names: dict[str, str],
    node_means: pd.Series,
    weak_incoming: dict[str, int],
    centre: float,
    spread: float,
    texts: dict[str, str],
) -> go.Scatter:
    """The departments, coloured by their mean as providers, enlarged and ringed when weak."""
    node_hover = []
    for c in codes:
        line = names.get(c, c)
        if c in node_means.index:
            line += f"<br>{texts['mean']}: {node_means[c]:.0f}"
        if weak_incoming.get(c, 0):
            line += "<br>" + texts["weak"].format(count=weak_incoming[c])
        node_hover.append(line)
    return go.Scatter(
        x=[positions[c][0] for c in codes],
        y=[positions[c][1] for c in codes],
        mode="markers",
        marker={
            "size": [26 + 8 * weak_incoming.get(c, 0) for c in codes],
            "color": [
                diverging_colour(node_means[c], centre, spread) if c in node_means.index else "#eeeeee" for c in codes
            ],
            "line": {
                "width": [3.5 if weak_incoming.get(c, 0) >= RING_FROM else 1 for c in codes],
                "color": [DETRACTOR_COLOUR if weak_incoming.get(c, 0) >= RING_FROM else "#555" for c in codes],
            },
        },
        hovertext=node_hover,
        hoverinfo="text",
        customdata=codes,
        showlegend=False,
        name="departments",
    )


def _node_labels(
    codes: list[str],
    positions: dict[str, tuple[float, float]],
    names: dict[str, str],
    weak_incoming: dict[str, int],
) -> list[dict]:
    """Labels outside the circle, anchored away from the centre so they never sit on the arrows."""
    labels = []
    for c in codes:
        x, y = positions[c]
        weak = weak_incoming.get(c, 0)
        labels.append(
            dict(
                x=x * 1.17,
                y=y * 1.13,
                text=f"<b>{names.get(c, c)}</b>" if weak >= RING_FROM else names.get(c, c),
                showarrow=False,
                xanchor="left" if x > 0.2 else ("right" if x < -0.2 else "center"),
                yanchor="bottom" if y > 0.2 else ("top" if y < -0.2 else "middle"),
                font={"size": 12, "color": DETRACTOR_COLOUR if weak >= RING_FROM else "#222"},
            )
        )
    return labels


def _colour_scale_trace(centre: float, spread: float, texts: dict[str, str]) -> go.Scatter:
    """A colour bar for the arrows (annotations have none): an invisible trace carries it."""
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        marker={
            "colorscale": DIVERGING,
            "cmin": centre - spread,
            "cmax": centre + spread,
            "color": [centre],
            "showscale": True,
            "colorbar": {"title": {"text": texts["mean"], "side": "right"}, "thickness": 14},
        },
        hoverinfo="skip",
        showlegend=False,
        name="colour_scale",
    )
