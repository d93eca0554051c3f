"""Plotly figures for the pages: DataFrame in, Figure out. No Streamlit, no storage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.anonymity import STATUS_HIDDEN, STATUS_NO_DATA, matrix_status

HIDDEN_COLOUR = "#b8b8b8"
FONT_FAMILY = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
# Red (below the organisation's mean) to blue (above), readable for red-green colour blindness.
DIVERGING = "RdBu"


def heatmap_order(cells: pd.DataFrame, departments: list[str]) -> tuple[list[str], list[str]]:
    """Rows (raters) and columns (providers) ordered by their mean over shown cells, best first;
    departments without a shown cell go last, alphabetically."""
    shown = cells[~cells["suppressed"]]

    def order(key: str) -> list[str]:
        means = shown.groupby(key)["mean"].mean().sort_values(ascending=False)
        ranked = [d for d in means.index if d in departments]
        return ranked + sorted(d for d in departments if d not in ranked)

    return order("rater_dept"), order("provider_dept")


def satisfaction_heatmap(
    cells: pd.DataFrame,
    departments: list[str],
    names: dict[str, str],
    *,
    centre: float,
    texts: dict[str, str],
    marked: set[tuple[str, str]] | None = None,
) -> go.Figure:
    """Rater x provider heatmap of mean satisfaction from suppressed cells.

    `cells` carries rater_dept, provider_dept, n, mean, suppressed (from `suppress_small_cells`).
    Colours diverge around `centre` (the organisation's mean); hidden cells are grey with the word
    `texts["hidden"]`; cells with no data stay blank. `marked` pairs get a ring (significant
    difference from the mean). `texts` holds: hidden, no_data, hover (with {rater} and
    {provider}), mean, n, x_title, y_title.
    """
    raters, providers = heatmap_order(cells, departments)
    status = matrix_status(cells, raters, providers)
    shown = cells[~cells["suppressed"]]
    z = shown.pivot(index="rater_dept", columns="provider_dept", values="mean").reindex(index=raters, columns=providers)
    n = shown.pivot(index="rater_dept", columns="provider_dept", values="n").reindex(index=raters, columns=providers)
    x = [names.get(p, p) for p in providers]
    y = [names.get(r, r) for r in raters]
    hover = np.empty(z.shape, dtype=object)
    cell_text = np.empty(z.shape, dtype=object)
    for i, rater in enumerate(raters):
        for j, provider in enumerate(providers):
            head = texts["hover"].format(rater=names.get(rater, rater), provider=names.get(provider, provider))
            state = status.iat[i, j]
            if state == STATUS_HIDDEN:
                hover[i, j] = f"{head}<br>{texts['hidden']}"
                cell_text[i, j] = ""
            elif state == STATUS_NO_DATA:
                hover[i, j] = f"{head}<br>{texts['no_data']}"
                cell_text[i, j] = ""
            else:
                hover[i, j] = f"{head}<br>{texts['mean']}: {z.iat[i, j]:.0f}<br>n = {int(n.iat[i, j])}"
                cell_text[i, j] = f"{z.iat[i, j]:.0f}"
    spread = max(float(np.nanmax(np.abs(z.to_numpy(dtype=float) - centre))) if z.notna().any().any() else 1.0, 10.0)
    fig = go.Figure()
    hidden_z = np.where(status.to_numpy() == STATUS_HIDDEN, 1.0, np.nan)
    fig.add_trace(
        go.Heatmap(
            z=hidden_z,
            x=x,
            y=y,
            colorscale=[[0, HIDDEN_COLOUR], [1, HIDDEN_COLOUR]],
            showscale=False,
            hoverinfo="text",
            text=hover,
            xgap=2,
            ygap=2,
            name=texts["hidden"],
        )
    )
    fig.add_trace(
        go.Heatmap(
            z=z.to_numpy(dtype=float),
            x=x,
            y=y,
            colorscale=DIVERGING,
            zmid=centre,
            zmin=centre - spread,
            zmax=centre + spread,
            text=cell_text,
            texttemplate="%{text}",
            textfont={"size": 11},
            hovertext=hover,
            hoverinfo="text",
            xgap=2,
            ygap=2,
            colorbar={"title": {"text": texts["mean"], "side": "right"}, "thickness": 14},
            name=texts["mean"],
        )
    )
    if marked:
        mx, my = [], []
        for rater, provider in sorted(marked):
            if rater in raters and provider in providers:
                mx.append(names.get(provider, provider))
                my.append(names.get(rater, rater))
        fig.add_trace(
            go.Scatter(
                x=mx,
                y=my,
                mode="markers",
                hoverinfo="skip",
                showlegend=False,
                marker={"symbol": "square-open", "size": 30, "color": "#222", "line": {"width": 2}},
            )
        )
    height = max(420, 34 * len(raters) + 160)
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        font={"family": FONT_FAMILY, "size": 12},
        xaxis={"title": {"text": texts["x_title"]}, "side": "top", "tickangle": -40, "showgrid": False},
        yaxis={"title": {"text": texts["y_title"]}, "autorange": "reversed", "showgrid": False},
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig
