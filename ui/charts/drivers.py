"""The importance-performance matrix of the drivers (the Department report)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.charts.labels import label_positions
from ui.charts.style import DETRACTOR_COLOUR, ORG_COLOUR, PROMOTER_COLOUR, base_layout, plain_columns, plain_texts


def importance_performance(matrix: pd.DataFrame, *, texts: dict[str, str]) -> go.Figure:
    """The importance-performance matrix: importance (up) against performance (right).

    `matrix` has label, importance (percent of explained variance), performance (0-100) and
    quadrant (fix_first, keep_up, secondary, possible_overkill). Lines cross at the mean importance and the
    mean performance. `texts` holds importance, performance and one text per quadrant.
    """
    texts = plain_texts(texts)
    matrix = plain_columns(matrix, "label")
    cut_x = float(matrix["performance"].mean())
    cut_y = float(matrix["importance"].mean())
    colours = {
        "fix_first": DETRACTOR_COLOUR,
        "keep_up": PROMOTER_COLOUR,
        "secondary": ORG_COLOUR,
        "possible_overkill": "#7b3294",
    }
    x_pad = max(6.0, float(matrix["performance"].max() - matrix["performance"].min()) * 0.35)
    y_pad = max(4.0, float(matrix["importance"].max() - matrix["importance"].min()) * 0.35)
    x_range = [float(matrix["performance"].min()) - x_pad, float(matrix["performance"].max()) + x_pad]
    y_range = [max(float(matrix["importance"].min()) - y_pad, 0), float(matrix["importance"].max()) + y_pad]
    fig = go.Figure(
        go.Scatter(
            x=matrix["performance"],
            y=matrix["importance"],
            mode="markers+text",
            text=matrix["label"],
            textposition=label_positions(
                matrix["performance"].to_numpy(float),
                matrix["importance"].to_numpy(float),
                list(matrix["label"]),
                x_range=x_range,
                y_range=y_range,
                avoid_x=cut_x,
                avoid_y=cut_y,
            ),
            marker={"size": 13, "color": [colours.get(q, ORG_COLOUR) for q in matrix["quadrant"]]},
            name="dimensions",
            hovertemplate="%{text}<br>"
            + texts["performance"]
            + ": %{x:.0f}<br>"
            + texts["importance"]
            + ": %{y:.0f}%<extra></extra>",
        )
    )
    fig.add_vline(x=cut_x, line={"dash": "dot", "color": "#888"})
    fig.add_hline(y=cut_y, line={"dash": "dot", "color": "#888"})
    corners = {
        "fix_first": (x_range[0], y_range[1], "left", "top"),
        "keep_up": (x_range[1], y_range[1], "right", "top"),
        "secondary": (x_range[0], y_range[0], "left", "bottom"),
        "possible_overkill": (x_range[1], y_range[0], "right", "bottom"),
    }
    for quadrant, (qx, qy, xanchor, yanchor) in corners.items():
        fig.add_annotation(
            x=qx,
            y=qy,
            text=f"<b>{texts[quadrant]}</b>",
            showarrow=False,
            xanchor=xanchor,
            yanchor=yanchor,
            font={"color": colours[quadrant], "size": 13},
        )
    base_layout(fig, height=440)
    fig.update_layout(
        showlegend=False,
        xaxis={"range": x_range, "title": {"text": texts["performance"]}, "zeroline": False},
        yaxis={"range": y_range, "title": {"text": texts["importance"]}, "ticksuffix": "%", "zeroline": False},
    )
    return fig
