"""The rater x provider heatmap of mean satisfaction (the Overview page)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.anonymity import STATUS_HIDDEN, STATUS_NO_DATA, matrix_status
from ui.charts.style import DIVERGING, FONT_FAMILY, HIDDEN_COLOUR, MARK_COLOUR, MIN_SPREAD, plain_names, plain_texts


def heatmap_order(cells: pd.DataFrame, departments: list[str]) -> tuple[list[str], list[str]]:
    """Rows (raters) and columns (providers) ordered by their mean over shown cells, best first;
    departments without a shown cell go last, alphabetically."""
    shown = cells[~cells["suppressed"]]

    def order(key: str) -> list[str]:
        means = shown.groupby(key)["mean"].mean().sort_values(ascending=False)
        ranked = [d for d in means.index if d in departments]
        return ranked + sorted(d for d in departments if d not in ranked)

    return order("rater_dept"), order("provider_dept")


def significant_cells(cells: pd.DataFrame, centre: float) -> set[tuple[str, str]]:
    """Shown cells whose 95% interval excludes `centre` (the organisation's mean)."""
    shown = cells[~cells["suppressed"] & cells["ci_low"].notna() & cells["ci_high"].notna()]
    outside = shown[(shown["ci_low"] > centre) | (shown["ci_high"] < centre)]
    return set(zip(outside["rater_dept"], outside["provider_dept"], strict=True))


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
    Colours diverge around `centre` (the organisation's mean); hidden cells are grey and hatched
    with the word `texts["hidden"]` on hover; cells with no data stay blank. `marked` pairs get a
    ring (significant difference from the mean). `texts` holds: hidden, no_data, hover (with
    {rater} and {provider}), mean, x_title, y_title and optionally significant.

    Traces, in order, by name: "hidden" (grey hidden cells), "values" (the means), "significant"
    (rings), "cells" (an invisible layer of one point per cell carrying the hover text and
    customdata [rater code, provider code], which is what a click selects: Plotly cannot select
    heatmap cells) and "hidden_marks" (a small x on each hidden cell).
    """
    texts = plain_texts(texts)
    grid = _grid(cells, departments, names)
    marked = marked or set()
    hover, cell_text = _cell_texts(grid, marked, texts)
    values = grid.z.to_numpy(dtype=float)
    spread = max(float(np.nanmax(np.abs(values - centre))) if grid.z.notna().any().any() else 1.0, MIN_SPREAD)
    fig = go.Figure()
    fig.add_trace(_hidden_trace(grid, hover))
    fig.add_trace(_values_trace(grid, values, cell_text, centre, spread, texts))
    fig.add_trace(_rings_trace(grid, marked))
    fig.add_trace(_cells_trace(grid, hover))
    fig.add_trace(_hidden_marks_trace(grid))
    return _heatmap_layout(fig, grid, texts)


@dataclass(frozen=True)
class _Grid:
    """The heatmap's matrix: raters (rows) and providers (columns) in drawing order, their escaped
    names as axis labels (y, x), each cell's status (shown, hidden, no data), mean (z) and n."""

    raters: list[str]
    providers: list[str]
    names: dict[str, str]
    x: list[str]
    y: list[str]
    status: pd.DataFrame
    z: pd.DataFrame
    n: pd.DataFrame

    @property
    def hidden(self) -> np.ndarray:
        return self.status.to_numpy() == STATUS_HIDDEN


def _grid(cells: pd.DataFrame, departments: list[str], names: dict[str, str]) -> _Grid:
    raters, providers = heatmap_order(cells, departments)
    names = plain_names(names, [*raters, *providers])
    shown = cells[~cells["suppressed"]]
    z = shown.pivot(index="rater_dept", columns="provider_dept", values="mean").reindex(index=raters, columns=providers)
    n = shown.pivot(index="rater_dept", columns="provider_dept", values="n").reindex(index=raters, columns=providers)
    x = [names.get(p, p) for p in providers]
    y = [names.get(r, r) for r in raters]
    return _Grid(raters, providers, names, x, y, matrix_status(cells, raters, providers), z, n)


def _cell_texts(grid: _Grid, marked: set[tuple[str, str]], texts: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's hover text and its printed value (empty where hidden or without data)."""
    hover = np.empty(grid.z.shape, dtype=object)
    cell_text = np.empty(grid.z.shape, dtype=object)
    names = grid.names
    for i, rater in enumerate(grid.raters):
        for j, provider in enumerate(grid.providers):
            head = texts["hover"].format(rater=names.get(rater, rater), provider=names.get(provider, provider))
            state = grid.status.iat[i, j]
            if state == STATUS_HIDDEN:
                hover[i, j] = f"{head}<br>{texts['hidden']}"
                cell_text[i, j] = ""
            elif state == STATUS_NO_DATA:
                hover[i, j] = f"{head}<br>{texts['no_data']}"
                cell_text[i, j] = ""
            else:
                hover[i, j] = f"{head}<br>{texts['mean']}: {grid.z.iat[i, j]:.0f}<br>n = {int(grid.n.iat[i, j])}"
                if (rater, provider) in marked and texts.get("significant"):
                    hover[i, j] += f"<br>{texts['significant']}"
                cell_text[i, j] = f"{grid.z.iat[i, j]:.0f}"
    return hover, cell_text


def _hidden_trace(grid: _Grid, hover: np.ndarray) -> go.Heatmap:
    hidden = grid.hidden
    return go.Heatmap(
        z=np.where(hidden, 1.0, np.nan),
        x=grid.x,
        y=grid.y,
        colorscale=[[0, HIDDEN_COLOUR], [1, HIDDEN_COLOUR]],
        showscale=False,
        hoverinfo="skip",
        # the "cells" layer shows these; kept for hidden cells only, not the whole matrix again
        # (on 40 departments every repeated text costs the browser ~100 KB)
        text=np.where(hidden, hover, ""),
        xgap=2,
        ygap=2,
        name="hidden",
    )


def _values_trace(
    grid: _Grid, values: np.ndarray, cell_text: np.ndarray, centre: float, spread: float, texts: dict[str, str]
) -> go.Heatmap:
    return go.Heatmap(
        z=values,
        x=grid.x,
        y=grid.y,
        colorscale=DIVERGING,
        zmid=centre,
        zmin=centre - spread,
        zmax=centre + spread,
        text=cell_text,
        texttemplate="%{text}",
        textfont={"size": 11},
        hoverinfo="skip",
        xgap=2,
        ygap=2,
        colorbar={"title": {"text": texts["mean"], "side": "right"}, "thickness": 14},
        name="values",
    )


def _rings_trace(grid: _Grid, marked: set[tuple[str, str]]) -> go.Scatter:
    """A ring on each marked cell that is drawn and not hidden."""
    ring_x, ring_y = [], []
    for rater, provider in sorted(marked):
        if rater in grid.raters and provider in grid.providers and grid.status.loc[rater, provider] != STATUS_HIDDEN:
            ring_x.append(grid.names.get(provider, provider))
            ring_y.append(grid.names.get(rater, rater))
    return go.Scatter(
        x=ring_x,
        y=ring_y,
        mode="markers",
        hoverinfo="skip",
        showlegend=False,
        name="significant",
        marker={"symbol": "circle-open", "size": 27, "color": MARK_COLOUR, "line": {"width": 1.5}},
        unselected={"marker": {"opacity": 1}},
    )


def _cells_trace(grid: _Grid, hover: np.ndarray) -> go.Scatter:
    """One invisible point per cell with data (shown or hidden): the hover text and the click target."""
    has_data = grid.status.to_numpy() != STATUS_NO_DATA
    rows, columns = np.nonzero(has_data)  # row by row, as the cells are drawn
    return go.Scatter(
        x=[grid.x[j] for j in columns],
        y=[grid.y[i] for i in rows],
        mode="markers",
        hovertext=[hover[i, j] for i, j in zip(rows, columns, strict=True)],
        hoverinfo="text",
        customdata=[[grid.raters[i], grid.providers[j]] for i, j in zip(rows, columns, strict=True)],
        showlegend=False,
        name="cells",
        marker={"symbol": "square", "size": 26, "color": "#000000", "opacity": 0},
        selected={"marker": {"opacity": 0.25}},
        unselected={"marker": {"opacity": 0}},
    )


def _hidden_marks_trace(grid: _Grid) -> go.Scatter:
    """Hidden cells get a small x so they differ from "no data" without relying on colour alone."""
    rows, columns = np.nonzero(grid.hidden)
    return go.Scatter(
        x=[grid.x[j] for j in columns],
        y=[grid.y[i] for i in rows],
        mode="markers",
        hoverinfo="skip",
        showlegend=False,
        name="hidden_marks",
        marker={"symbol": "x-thin", "size": 9, "line": {"width": 1, "color": "#6f6f6f"}},
        unselected={"marker": {"opacity": 1}},
    )


def _heatmap_layout(fig: go.Figure, grid: _Grid, texts: dict[str, str]) -> go.Figure:
    longest = max((len(label) for label in grid.x), default=4)
    fig.update_layout(
        height=max(420, 34 * len(grid.raters) + 8 * longest + 120),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        font={"family": FONT_FAMILY, "size": 12},
        xaxis={"title": {"text": texts["x_title"]}, "side": "top", "tickangle": -40, "showgrid": False},
        yaxis={"title": {"text": texts["y_title"]}, "autorange": "reversed", "showgrid": False},
        plot_bgcolor="rgba(0,0,0,0)",
        clickmode="event+select",
        dragmode=False,
        hovermode="closest",
    )
    return fig
