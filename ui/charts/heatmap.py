"""The rater x provider heatmap of mean satisfaction (the Overview page)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.anonymity import STATUS_HIDDEN, STATUS_NO_DATA, matrix_status
from ui.charts.style import DIVERGING, FONT_FAMILY, HIDDEN_COLOUR, MARK_COLOUR, MIN_SPREAD, plain_names, plain_texts


def department_order(
    cells: pd.DataFrame, departments: list[str], parents: dict[str, str | None] | None = None
) -> list[str]:
    """One order for the heatmap's rows and columns, so a pair's two cells mirror each other.

    Departments follow the organisation chart (`parents`: code -> parent code; a parent, then its
    units), and within each set of sister units they are chained so that each sits next to the
    one it works with most: the tie between two departments is the number of published responses
    between them in both directions (hidden cells count nothing, so the order reveals nothing of
    them). The chain starts from the strongest tie and grows at whichever end the next unit is
    most tied to; departments tied to no one follow in code order. Deterministic: the same cells
    give the same order whatever the row order of `cells` or `departments`.
    """
    shown = cells[~cells["suppressed"].astype(bool)]
    ties: dict[tuple[str, str], float] = {}
    for rater, provider, n in zip(shown["rater_dept"], shown["provider_dept"], shown["n"], strict=True):
        if rater != provider and pd.notna(n):
            key = (rater, provider) if rater < provider else (provider, rater)
            ties[key] = ties.get(key, 0.0) + float(n)
    codes = set(departments)
    parents = parents or {}
    children: dict[str | None, list[str]] = {}
    for code in sorted(codes):
        up = parents.get(code)
        children.setdefault(up if up in codes and up != code else None, []).append(code)
    order: list[str] = []

    def visit(code: str) -> None:
        if code in order:
            return
        order.append(code)
        for child in _chain(children.get(code, []), ties):
            visit(child)

    for root in _chain(children.get(None, []), ties):
        visit(root)
    return order + sorted(codes - set(order))  # units caught in a cycle of parents still get a place


def _chain(codes: list[str], ties: dict[tuple[str, str], float]) -> list[str]:
    """`codes` in a line where strongly tied departments are neighbours (see `department_order`)."""

    def tie(a: str, b: str) -> float:
        return ties.get((a, b) if a < b else (b, a), 0.0)

    left = sorted(codes)
    pairs = sorted(((tie(a, b), a, b) for i, a in enumerate(left) for b in left[i + 1 :]), key=lambda p: (-p[0], p[1:]))
    if not pairs or pairs[0][0] <= 0:
        return left
    _, a, b = pairs[0]
    chain = [a, b]
    rest = [c for c in left if c not in chain]
    while rest:
        strength, code = min((-max(tie(c, chain[0]), tie(c, chain[-1])), c) for c in rest)
        if strength >= 0:  # nobody left is tied to either end: the rest is a line of its own
            break
        if tie(code, chain[0]) > tie(code, chain[-1]):
            chain.insert(0, code)
        else:
            chain.append(code)
        rest.remove(code)
    chain = chain if chain[0] <= chain[-1] else chain[::-1]
    return chain + _chain(rest, ties)


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
    parents: dict[str, str | None] | None = None,
) -> go.Figure:
    """Rater x provider heatmap of mean satisfaction from suppressed cells.

    `cells` carries rater_dept, provider_dept, n, mean, suppressed (from `suppress_small_cells`).
    Colours diverge around `centre` (the organisation's mean); hidden cells are grey and hatched
    with the word `texts["hidden"]` on hover; cells with no data stay blank. `marked` pairs get a
    ring (significant difference from the mean). Rows and columns share one order
    (`department_order`, grouped by `parents` when given), so the mirror of a cell is found by
    swapping row and column; each cell's hover gives both directions of the pair. `texts` holds:
    hidden, no_data, hover (with {rater} and {provider}), mean, x_title, y_title and optionally
    significant.

    Traces, in order, by name: "hidden" (grey hidden cells), "values" (the means), "significant"
    (rings), "cells" (an invisible layer of one point per cell carrying the hover text and
    customdata [rater code, provider code], which is what a click selects: Plotly cannot select
    heatmap cells) and "hidden_marks" (a small x on each hidden cell).
    """
    texts = plain_texts(texts)
    grid = _grid(cells, departments, names, parents)
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


def _grid(
    cells: pd.DataFrame, departments: list[str], names: dict[str, str], parents: dict[str, str | None] | None
) -> _Grid:
    raters = providers = department_order(cells, departments, parents)
    names = plain_names(names, [*raters, *providers])
    shown = cells[~cells["suppressed"]]
    z = shown.pivot(index="rater_dept", columns="provider_dept", values="mean").reindex(index=raters, columns=providers)
    n = shown.pivot(index="rater_dept", columns="provider_dept", values="n").reindex(index=raters, columns=providers)
    x = [names.get(p, p) for p in providers]
    y = [names.get(r, r) for r in raters]
    return _Grid(raters, providers, names, x, y, matrix_status(cells, raters, providers), z, n)


def _cell_texts(grid: _Grid, marked: set[tuple[str, str]], texts: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's hover text (its own direction, then the reverse one) and its printed value
    (empty where hidden or without data). A hidden direction reads "hidden" and nothing more."""
    hover = np.empty(grid.z.shape, dtype=object)
    cell_text = np.empty(grid.z.shape, dtype=object)
    position = {code: i for i, code in enumerate(grid.raters)}
    lines = {}
    for i, rater in enumerate(grid.raters):
        for j, provider in enumerate(grid.providers):
            lines[i, j] = _direction_line(grid, i, j, texts)
            if grid.status.iat[i, j] not in (STATUS_HIDDEN, STATUS_NO_DATA):
                cell_text[i, j] = f"{grid.z.iat[i, j]:.0f}"
                if (rater, provider) in marked and texts.get("significant"):
                    lines[i, j] += f"<br>{texts['significant']}"
            else:
                cell_text[i, j] = ""
    for i, rater in enumerate(grid.raters):
        for j, provider in enumerate(grid.providers):
            mirror = (position[provider], grid.providers.index(rater)) if provider in position else None
            if mirror is None or rater == provider or mirror not in lines:
                hover[i, j] = lines[i, j]
            else:
                hover[i, j] = f"{lines[i, j]}<br><br>{lines[mirror]}"
    return hover, cell_text


def _direction_line(grid: _Grid, i: int, j: int, texts: dict[str, str]) -> str:
    rater, provider = grid.raters[i], grid.providers[j]
    head = texts["hover"].format(rater=grid.names.get(rater, rater), provider=grid.names.get(provider, provider))
    state = grid.status.iat[i, j]
    if state == STATUS_HIDDEN:
        return f"{head}<br>{texts['hidden']}"
    if state == STATUS_NO_DATA:
        return f"{head}<br>{texts['no_data']}"
    return f"<b>{head}</b><br>{texts['mean']}: {grid.z.iat[i, j]:.0f} · n = {int(grid.n.iat[i, j])}"


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
