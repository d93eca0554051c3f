"""Bar and dot charts per dimension or per department: loyalty bands, dimension scores, the
customers' view of a provider, both directions of a pair, the perception gap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.charts.style import (
    DETRACTOR_COLOUR,
    HIDDEN_COLOUR,
    MIN_SPREAD,
    ORG_COLOUR,
    PASSIVE_COLOUR,
    PROMOTER_COLOUR,
    PROVIDER_COLOUR,
    SCORE_BAR_TEXT,
    SCORE_TICKS,
    SELF_COLOUR,
    base_layout,
    diverging_colour,
    plain_columns,
    plain_texts,
)


def loyalty_bar(loyalty: pd.DataFrame, *, texts: dict[str, str]) -> go.Figure:
    """Stacked 100% bars of detractors, passives and promoters, one bar per row.

    `loyalty` has label, promoters, passives, detractors (counts) and inps. `texts` holds
    detractors, passives, promoters and share (axis title).
    """
    texts = plain_texts(texts)
    loyalty = plain_columns(loyalty, "label")
    total = (loyalty["promoters"] + loyalty["passives"] + loyalty["detractors"]).replace(0, np.nan)
    fig = go.Figure()
    for column, colour in (
        ("detractors", DETRACTOR_COLOUR),
        ("passives", PASSIVE_COLOUR),
        ("promoters", PROMOTER_COLOUR),
    ):
        share = 100 * loyalty[column] / total
        fig.add_trace(
            go.Bar(
                y=loyalty["label"],
                x=share,
                orientation="h",
                name=texts[column],
                marker={"color": colour},
                text=[f"{v:.0f}%" if pd.notna(v) and v >= 6 else "" for v in share],
                textposition="inside",
                insidetextanchor="middle",
                hovertemplate="%{y}<br>" + texts[column] + ": %{x:.0f}%<extra></extra>",
            )
        )
    base_layout(fig, height=110 + 44 * len(loyalty))
    fig.update_layout(
        barmode="stack",
        xaxis={"range": [0, 100], "title": {"text": texts["share"]}, "ticksuffix": "%"},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "traceorder": "normal"},
    )
    return fig


def dimension_bars(dimensions: pd.DataFrame, *, texts: dict[str, str]) -> go.Figure:
    """The provider's score per dimension (bars) against the organisation's (diamonds).

    `dimensions` has label, score, org_score (0-100). `texts` holds provider, org, score.
    """
    texts = plain_texts(texts)
    dimensions = plain_columns(dimensions, "label")
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=dimensions["label"],
            x=dimensions["score"],
            orientation="h",
            name=texts["provider"],
            marker={"color": PROVIDER_COLOUR},
            text=[f"{v:.0f}" if pd.notna(v) else "" for v in dimensions["score"]],
            **SCORE_BAR_TEXT,
            hovertemplate="%{y}: %{x:.0f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            y=dimensions["label"],
            x=dimensions["org_score"],
            mode="markers",
            name=texts["org"],
            marker={"symbol": "diamond", "size": 12, "color": ORG_COLOUR, "line": {"width": 1, "color": "#fff"}},
            hovertemplate="%{y}: %{x:.0f}<extra></extra>",
        )
    )
    base_layout(fig, height=120 + 40 * len(dimensions))
    fig.update_layout(margin={"r": 34})  # room for a value written after a bar that reaches 100
    fig.update_layout(
        xaxis={"range": [0, 100], "tickvals": SCORE_TICKS, "title": {"text": texts["score"]}},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    )
    return fig


def customer_view_bars(view: pd.DataFrame, *, centre: float, texts: dict[str, str]) -> go.Figure:
    """Each customer department's mean rating of one provider, with its 95% interval.

    `view` has label, n, mean, ci_low, ci_high, suppressed. Hidden rows are listed with the word
    `texts["hidden"]` and no bar. The dashed line is the organisation's mean `centre`. `texts`
    holds hidden, mean, org.
    """
    texts = plain_texts(texts)
    view = plain_columns(view, "label")
    shown = view[~view["suppressed"]]
    spread = max(float((shown["mean"] - centre).abs().max()) if len(shown) else 0.0, MIN_SPREAD)
    colours = [
        HIDDEN_COLOUR if s else diverging_colour(m, centre, spread)
        for m, s in zip(view["mean"], view["suppressed"], strict=True)
    ]
    error_plus = (view["ci_high"] - view["mean"]).fillna(0)
    error_minus = (view["mean"] - view["ci_low"]).fillna(0)
    labels = [
        texts["hidden"] if s else f"{m:.0f} (n={int(n)})"
        for m, n, s in zip(view["mean"], view["n"], view["suppressed"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            y=view["label"],
            x=view["mean"].fillna(0),
            orientation="h",
            marker={"color": colours},
            error_x={"type": "data", "array": error_plus, "arrayminus": error_minus, "color": "#444", "thickness": 1},
            text=labels,
            textposition="none",  # the labels sit in their own column on the right, clear of the bars
            hovertext=labels,
            hoverinfo="y+text",
            name=texts["mean"],
            showlegend=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[101] * len(view),
            y=view["label"],
            mode="text",
            text=labels,
            textposition="middle right",
            hoverinfo="skip",
            showlegend=False,
            name="labels",
        )
    )
    # the organisation's mean as a dashed line with a legend entry (an annotation would sit on a bar)
    fig.add_trace(
        go.Scatter(
            x=[centre, centre],
            y=[view["label"].iloc[0], view["label"].iloc[-1]] if len(view) else [],
            mode="lines",
            line={"dash": "dash", "color": ORG_COLOUR, "width": 1.5},
            name=f"{texts['org']} ({centre:.0f})",
            hoverinfo="skip",
        )
    )
    base_layout(fig, height=140 + 30 * len(view))
    fig.update_layout(
        xaxis={"range": [0, 130], "title": {"text": texts["mean"]}, "tickvals": [0, 20, 40, 60, 80, 100]},
        yaxis={"autorange": "reversed"},
        showlegend=True,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    )
    return fig


def pair_directions(dimensions: pd.DataFrame, *, texts: dict[str, str]) -> go.Figure:
    """Both directions of a pair side by side, per dimension (grouped bars).

    `dimensions` has label, forward (A rates B) and backward (B rates A); NaN where hidden or no
    data. `texts` holds forward, backward (the two direction names) and score.
    """
    texts = plain_texts(texts)
    dimensions = plain_columns(dimensions, "label")
    fig = go.Figure()
    for column, colour in (("forward", PROVIDER_COLOUR), ("backward", SELF_COLOUR)):
        fig.add_trace(
            go.Bar(
                y=dimensions["label"],
                x=dimensions[column],
                orientation="h",
                name=texts[column],
                marker={"color": colour},
                text=[f"{v:.0f}" if pd.notna(v) else "" for v in dimensions[column]],
                **SCORE_BAR_TEXT,
                hovertemplate="%{y}: %{x:.0f}<extra>" + texts[column] + "</extra>",
            )
        )
    base_layout(fig, height=140 + 46 * len(dimensions))
    fig.update_layout(margin={"r": 34})  # room for a value written after a bar that reaches 100
    fig.update_layout(
        barmode="group",
        xaxis={"range": [0, 100], "tickvals": SCORE_TICKS, "title": {"text": texts["score"]}},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    )
    return fig


def perception_gap(gaps: pd.DataFrame, *, texts: dict[str, str]) -> go.Figure:
    """Self-assessment against the customers' actual rating per dimension (a dumbbell chart).

    `gaps` has label, self_score, customer_score (0-100) and gap (self - customers). `texts` holds
    self, customers, score.
    """
    texts = plain_texts(texts)
    gaps = plain_columns(gaps, "label")
    fig = go.Figure()
    for row in gaps.itertuples(index=False):
        fig.add_trace(
            go.Scatter(
                x=[row.customer_score, row.self_score],
                y=[row.label, row.label],
                mode="lines",
                line={"color": "#bbbbbb", "width": 4},
                hoverinfo="skip",
                showlegend=False,
                name="gap_line",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=gaps["self_score"],
            y=gaps["label"],
            mode="markers",
            name=texts["self"],
            marker={"size": 13, "color": SELF_COLOUR, "symbol": "circle"},
            hovertemplate="%{y}: %{x:.0f}<extra>" + texts["self"] + "</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=gaps["customer_score"],
            y=gaps["label"],
            mode="markers",
            name=texts["customers"],
            marker={"size": 13, "color": PROVIDER_COLOUR, "symbol": "diamond"},
            hovertemplate="%{y}: %{x:.0f}<extra>" + texts["customers"] + "</extra>",
        )
    )
    base_layout(fig, height=120 + 40 * len(gaps))
    fig.update_layout(
        xaxis={"range": [0, 100], "tickvals": SCORE_TICKS, "title": {"text": texts["score"]}},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    )
    return fig
