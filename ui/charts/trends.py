"""Satisfaction over waves, one line per series (Trends, Department and Hotspots pages)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.charts.style import MARK_COLOUR, base_layout, plain_columns, plain_texts


def fitted_range(trend: pd.DataFrame, *, margin: float = 5.0, min_span: float = 20.0) -> list[float]:
    """A y range that holds every shown mean and its 95% interval with `margin` points to spare,
    at least `min_span` points tall (so noise does not look like a cliff), within the 0-100 scale:
    a 0-100 axis flattens every change a leader needs to see."""
    values = pd.concat([trend["mean"], trend["ci_low"], trend["ci_high"]]).dropna()
    if values.empty:
        return [0.0, 100.0]
    low, high = float(values.min()) - margin, float(values.max()) + margin
    if high - low < min_span:
        middle = (high + low) / 2
        low, high = middle - min_span / 2, middle + min_span / 2
    if low < 0:
        low, high = 0.0, min(100.0, high - low)
    if high > 100:
        low, high = max(0.0, low - (high - 100)), 100.0
    return [low, high]


def trend_lines(trend: pd.DataFrame, *, texts: dict[str, str], centre: float | None = None) -> go.Figure:
    """Satisfaction over waves, one line per series, with 95% intervals; significant changes marked.

    `trend` has series (label), wave (label, in wave order), mean, ci_low, ci_high, n and
    significant (True where the change from the series' previous wave is significant; Welch
    t-test). Hidden waves have no mean and leave a gap. The y axis fits the data and its intervals
    (`fitted_range`). `texts` holds mean, wave, significant.
    """
    texts = plain_texts(texts)
    trend = plain_columns(trend, "series", "wave")
    fig = go.Figure()
    palette = ["#2166ac", "#e08214", "#1b7837", "#762a83", "#b2182b", "#4d4d4d"]
    wave_order = list(dict.fromkeys(trend["wave"]))
    for i, (series, rows) in enumerate(trend.groupby("series", sort=False)):
        colour = palette[i % len(palette)]
        rows = rows.set_index("wave").reindex(wave_order).reset_index()
        fig.add_trace(
            go.Scatter(
                x=rows["wave"],
                y=rows["mean"],
                mode="lines+markers",
                name=str(series),
                line={"color": colour, "width": 2.5},
                marker={"size": 8},
                error_y={
                    "type": "data",
                    "array": (rows["ci_high"] - rows["mean"]).fillna(0),
                    "arrayminus": (rows["mean"] - rows["ci_low"]).fillna(0),
                    "color": colour,
                    "thickness": 1,
                },
                customdata=rows["n"],
                hovertemplate="%{x}<br>"
                + texts["mean"]
                + ": %{y:.0f}<br>n = %{customdata:.0f}<extra>"
                + str(series)
                + "</extra>",
                connectgaps=False,
            )
        )
    marks = trend[trend["significant"].eq(True) & trend["mean"].notna()]
    fig.add_trace(
        go.Scatter(
            x=marks["wave"],
            y=marks["mean"],
            mode="markers",
            name=texts["significant"],
            marker={"symbol": "star", "size": 17, "color": "#ffd23f", "line": {"width": 1.2, "color": MARK_COLOUR}},
            hoverinfo="skip",
        )
    )
    if centre is not None:
        fig.add_hline(y=centre, line={"dash": "dot", "color": "#888"})
    base_layout(fig, height=420)
    fig.update_layout(
        xaxis={
            "title": {"text": texts["wave"]},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": wave_order,
        },
        yaxis={"title": {"text": texts["mean"]}, "range": fitted_range(trend)},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        hovermode="closest",
    )
    return fig
