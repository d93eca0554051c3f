"""Plotly figures for the pages: DataFrame in, Figure out. No Streamlit, no storage.

Every builder takes already suppressed figures (hidden rows carry `suppressed = True` and no
value) and the texts to show, so the same figure works in English and Chinese. Colours: one
red-to-blue diverging scale centred on the organisation's mean (readable with red-green colour
blindness), a neutral grey for hidden cells, and the CJK font family so Chinese never shows as boxes.

Plotly reads every text of a figure (axis ticks, hover, labels, legend) as its own small HTML:
`<a href>` becomes a live link, `<b>` bold, `<br>` a line break. So every text people typed
(department names and codes, wave names, labels) is HTML-escaped on the way in (`plain`), here,
and only this module's own markup (`<br>` between hover lines, `<b>` on weak nodes) stays markup.
"""

from __future__ import annotations

import html
import math
import unicodedata

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from analysis.anonymity import STATUS_HIDDEN, STATUS_NO_DATA, matrix_status

HIDDEN_COLOUR = "#b8b8b8"
FONT_FAMILY = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
# Red (below the organisation's mean) to blue (above), readable for red-green colour blindness.
DIVERGING = "RdBu"
MARK_COLOUR = "#111111"
# Loyalty bands: detractors red, passives grey, promoters blue (same hues as the diverging scale).
DETRACTOR_COLOUR, PASSIVE_COLOUR, PROMOTER_COLOUR = "#d6604d", "#c9c9c9", "#4393c3"
PROVIDER_COLOUR, ORG_COLOUR, SELF_COLOUR = "#2166ac", "#555555", "#e08214"
MIN_SPREAD = 10.0  # the colour scale spans at least +-10 points, so tiny differences stay pale


def plain(text: object) -> str:
    """`text` as Plotly shows it literally: HTML-escaped, so `<a href=...>` is text, not a link."""
    return html.escape(str(text), quote=False)


def _plain_names(names: dict[str, str], codes: object) -> dict[str, str]:
    """Department code -> escaped name, for every code that may be drawn (a code without a name shows itself)."""
    return {str(c): plain(names.get(c, c)) for c in codes}


def _plain_texts(texts: dict[str, str]) -> dict[str, str]:
    """The caller's texts escaped too: they are translations, but some carry names (a direction
    "Sales → IT" as a legend entry, the provider's name beside the organisation's)."""
    return {key: plain(value) for key, value in texts.items()}


def _plain_columns(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy of `frame` with the given text columns escaped (see `plain`); the input is not changed."""
    return frame.assign(**{c: frame[c].map(lambda v: v if v != v else plain(v)) for c in columns if c in frame})


def _layout(fig: go.Figure, *, height: int, **extra: object) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        font={"family": FONT_FAMILY, "size": 12},
        plot_bgcolor="rgba(0,0,0,0)",
        **extra,
    )
    return fig


def diverging_colour(value: float, centre: float, spread: float) -> str:
    """The colour of `value` on the diverging scale centred on `centre` (+- `spread`)."""
    position = min(max(0.5 + (value - centre) / (2 * spread), 0.0), 1.0)
    return sample_colorscale(DIVERGING, [position])[0]


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

    Traces, in order: 0 hidden cells, 1 values, 2 significance rings, 3 an invisible layer of one
    point per cell carrying the hover text and customdata [rater code, provider code], which is
    what a click selects (Plotly cannot select heatmap cells).
    """
    texts = _plain_texts(texts)
    raters, providers = heatmap_order(cells, departments)
    names = _plain_names(names, [*raters, *providers])
    status = matrix_status(cells, raters, providers)
    shown = cells[~cells["suppressed"]]
    z = shown.pivot(index="rater_dept", columns="provider_dept", values="mean").reindex(index=raters, columns=providers)
    n = shown.pivot(index="rater_dept", columns="provider_dept", values="n").reindex(index=raters, columns=providers)
    x = [names.get(p, p) for p in providers]
    y = [names.get(r, r) for r in raters]
    marked = marked or set()
    hover = np.empty(z.shape, dtype=object)
    cell_text = np.empty(z.shape, dtype=object)
    points: dict[str, list] = {"x": [], "y": [], "text": [], "custom": []}
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
                if (rater, provider) in marked and texts.get("significant"):
                    hover[i, j] += f"<br>{texts['significant']}"
                cell_text[i, j] = f"{z.iat[i, j]:.0f}"
            if state != STATUS_NO_DATA:
                points["x"].append(x[j])
                points["y"].append(y[i])
                points["text"].append(hover[i, j])
                points["custom"].append([rater, provider])
    values = z.to_numpy(dtype=float)
    spread = max(float(np.nanmax(np.abs(values - centre))) if z.notna().any().any() else 1.0, MIN_SPREAD)
    fig = go.Figure()
    is_hidden = status.to_numpy() == STATUS_HIDDEN
    hidden_z = np.where(is_hidden, 1.0, np.nan)
    fig.add_trace(
        go.Heatmap(
            z=hidden_z,
            x=x,
            y=y,
            colorscale=[[0, HIDDEN_COLOUR], [1, HIDDEN_COLOUR]],
            showscale=False,
            hoverinfo="skip",
            # the hover layer (trace 3) shows these; kept for hidden cells only, not the whole
            # matrix again (on 40 departments every repeated text costs the browser ~100 KB)
            text=np.where(is_hidden, hover, ""),
            xgap=2,
            ygap=2,
            name=texts["hidden"],
        )
    )
    fig.add_trace(
        go.Heatmap(
            z=values,
            x=x,
            y=y,
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
            name=texts["mean"],
        )
    )
    ring_x, ring_y = [], []
    for rater, provider in sorted(marked):
        if rater in raters and provider in providers and status.loc[rater, provider] != STATUS_HIDDEN:
            ring_x.append(names.get(provider, provider))
            ring_y.append(names.get(rater, rater))
    fig.add_trace(
        go.Scatter(
            x=ring_x,
            y=ring_y,
            mode="markers",
            hoverinfo="skip",
            showlegend=False,
            name=texts.get("significant", "significant"),
            marker={"symbol": "circle-open", "size": 27, "color": MARK_COLOUR, "line": {"width": 1.5}},
            unselected={"marker": {"opacity": 1}},
        )
    )
    # Hidden cells get a small x so they differ from "no data" without relying on colour alone.
    hx = [x[j] for i in range(len(raters)) for j in range(len(providers)) if status.iat[i, j] == STATUS_HIDDEN]
    hy = [y[i] for i in range(len(raters)) for j in range(len(providers)) if status.iat[i, j] == STATUS_HIDDEN]
    fig.add_trace(
        go.Scatter(
            x=points["x"],
            y=points["y"],
            mode="markers",
            hovertext=points["text"],
            hoverinfo="text",
            customdata=points["custom"],
            showlegend=False,
            name="cells",
            marker={"symbol": "square", "size": 26, "color": "#000000", "opacity": 0},
            selected={"marker": {"opacity": 0.25}},
            unselected={"marker": {"opacity": 0}},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=hx,
            y=hy,
            mode="markers",
            hoverinfo="skip",
            showlegend=False,
            name=texts["hidden"],
            marker={"symbol": "x-thin", "size": 9, "line": {"width": 1, "color": "#6f6f6f"}},
            unselected={"marker": {"opacity": 1}},
        )
    )
    longest = max((len(label) for label in x), default=4)
    fig.update_layout(
        height=max(420, 34 * len(raters) + 8 * longest + 120),
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


def loyalty_bar(loyalty: pd.DataFrame, *, texts: dict[str, str]) -> go.Figure:
    """Stacked 100% bars of detractors, passives and promoters, one bar per row.

    `loyalty` has label, promoters, passives, detractors (counts) and inps. `texts` holds
    detractors, passives, promoters and share (axis title).
    """
    texts = _plain_texts(texts)
    loyalty = _plain_columns(loyalty, "label")
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
                text=[f"{v:.0f}%" if v == v and v >= 6 else "" for v in share],
                textposition="inside",
                insidetextanchor="middle",
                hovertemplate="%{y}<br>" + texts[column] + ": %{x:.0f}%<extra></extra>",
            )
        )
    _layout(fig, height=110 + 44 * len(loyalty))
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
    texts = _plain_texts(texts)
    dimensions = _plain_columns(dimensions, "label")
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=dimensions["label"],
            x=dimensions["score"],
            orientation="h",
            name=texts["provider"],
            marker={"color": PROVIDER_COLOUR},
            text=[f"{v:.0f}" if v == v else "" for v in dimensions["score"]],
            textposition="inside",
            insidetextanchor="start",
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
    _layout(fig, height=120 + 40 * len(dimensions))
    fig.update_layout(
        xaxis={"range": [0, 100], "title": {"text": texts["score"]}},
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
    texts = _plain_texts(texts)
    view = _plain_columns(view, "label")
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
    _layout(fig, height=140 + 30 * len(view))
    fig.update_layout(
        xaxis={"range": [0, 130], "title": {"text": texts["mean"]}, "tickvals": [0, 20, 40, 60, 80, 100]},
        yaxis={"autorange": "reversed"},
        showlegend=True,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    )
    return fig


# Label placement for scatter points, in pixels of a plot area assumed no larger than the smallest a
# page gives the chart (a wider chart only spreads the points further apart): Plotly places a
# point's text at one of these positions next to its marker, and does nothing about collisions.
_PLOT_PX = (560.0, 340.0)  # width, height of the plot area
_MARKER_PX = 7.0  # half the marker size, plus a pixel
_TEXT_PX = 15.0  # height of a 12 px label
_LABEL_SIDES = (
    "top center",
    "bottom center",
    "middle right",
    "middle left",
    "top right",
    "top left",
    "bottom right",
    "bottom left",
)


def _text_width(text: str) -> float:
    """Pixels of `text` at 12 px: Chinese characters are about twice as wide as Latin ones."""
    return sum(12.5 if unicodedata.east_asian_width(c) in "WF" else 7.2 for c in text)


def label_box(side: str, x: float, y: float, width: float) -> tuple[float, float, float, float]:
    """The box (left, bottom, right, top; pixels, y up) a label of `width` takes at `side` of a
    marker centred on (x, y)."""
    m, h = _MARKER_PX, _TEXT_PX
    vertical, horizontal = side.split(" ")
    if vertical == "middle":
        bottom = y - h / 2
        left = x + m if horizontal == "right" else x - m - width
        return (left, bottom, left + width, bottom + h)
    bottom = y + m if vertical == "top" else y - m - h
    if horizontal == "center":
        left = x - width / 2
    else:
        left = x + 0.6 * m if horizontal == "right" else x - 0.6 * m - width
    return (left, bottom, left + width, bottom + h)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def label_positions(
    x: np.ndarray,
    y: np.ndarray,
    labels: list[str],
    *,
    x_range: list[float],
    y_range: list[float],
    avoid_x: float | None = None,
    avoid_y: float | None = None,
) -> list[str]:
    """A Plotly textposition per point, chosen so that labels overlap neither each other nor the
    markers (and, where possible, the lines at `avoid_x` / `avoid_y` and the plot's edges).

    Greedy, from the most crowded point: each label takes the first side, in _LABEL_SIDES order,
    with the least overlap with what is already placed.
    """
    width, height = _PLOT_PX
    px = (np.asarray(x, float) - x_range[0]) / (x_range[1] - x_range[0]) * width
    py = (np.asarray(y, float) - y_range[0]) / (y_range[1] - y_range[0]) * height
    m = _MARKER_PX
    markers = [(a - m, b - m, a + m, b + m) for a, b in zip(px, py, strict=True)]
    lines = []
    if avoid_x is not None:
        lx = (avoid_x - x_range[0]) / (x_range[1] - x_range[0]) * width
        lines.append((lx - 1, 0.0, lx + 1, height))
    if avoid_y is not None:
        ly = (avoid_y - y_range[0]) / (y_range[1] - y_range[0]) * height
        lines.append((0.0, ly - 1, width, ly + 1))
    crowding = [
        sum(math.hypot(a - c, b - d) < 60 for c, d in zip(px, py, strict=True)) for a, b in zip(px, py, strict=True)
    ]
    order = sorted(range(len(labels)), key=lambda i: (-crowding[i], -py[i]))
    placed: list[tuple[float, float, float, float]] = []
    sides = [""] * len(labels)
    for i in order:
        text_width = _text_width(str(labels[i]))
        best = None
        for rank, side in enumerate(_LABEL_SIDES):
            box = label_box(side, px[i], py[i], text_width)
            inside = (max(box[0], 0.0), max(box[1], 0.0), min(box[2], width), min(box[3], height))
            area = (box[2] - box[0]) * (box[3] - box[1])
            outside = area - max(0.0, inside[2] - inside[0]) * max(0.0, inside[3] - inside[1])
            cost = (
                sum(_overlap(box, other) for other in placed)
                + sum(_overlap(box, marker) for k, marker in enumerate(markers) if k != i)
                + 0.2 * sum(_overlap(box, line) for line in lines)
                + 0.5 * outside
                + 0.01 * rank
            )
            if best is None or cost < best[0]:
                best = (cost, side, box)
        sides[i] = best[1]
        placed.append(best[2])
    return sides


def importance_performance(matrix: pd.DataFrame, *, texts: dict[str, str]) -> go.Figure:
    """The importance-performance matrix: importance (up) against performance (right).

    `matrix` has label, importance (percent of explained variance), performance (0-100) and
    quadrant (fix_first, keep_up, secondary, possible_overkill). Lines cross at the mean importance and the
    mean performance. `texts` holds importance, performance and one text per quadrant.
    """
    texts = _plain_texts(texts)
    matrix = _plain_columns(matrix, "label")
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
    _layout(fig, height=440)
    fig.update_layout(
        showlegend=False,
        xaxis={"range": x_range, "title": {"text": texts["performance"]}, "zeroline": False},
        yaxis={"range": y_range, "title": {"text": texts["importance"]}, "ticksuffix": "%", "zeroline": False},
    )
    return fig


def perception_gap(gaps: pd.DataFrame, *, texts: dict[str, str]) -> go.Figure:
    """Self-assessment against the customers' actual rating per dimension (a dumbbell chart).

    `gaps` has label, self_score, customer_score (0-100) and gap (self - customers). `texts` holds
    self, customers, score.
    """
    texts = _plain_texts(texts)
    gaps = _plain_columns(gaps, "label")
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
    _layout(fig, height=120 + 40 * len(gaps))
    fig.update_layout(
        xaxis={"range": [0, 100], "title": {"text": texts["score"]}},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    )
    return fig


def pair_directions(dimensions: pd.DataFrame, *, texts: dict[str, str]) -> go.Figure:
    """Both directions of a pair side by side, per dimension (grouped bars).

    `dimensions` has label, forward (A rates B) and backward (B rates A); NaN where hidden or no
    data. `texts` holds forward, backward (the two direction names) and score.
    """
    texts = _plain_texts(texts)
    dimensions = _plain_columns(dimensions, "label")
    fig = go.Figure()
    for column, colour in (("forward", PROVIDER_COLOUR), ("backward", SELF_COLOUR)):
        fig.add_trace(
            go.Bar(
                y=dimensions["label"],
                x=dimensions[column],
                orientation="h",
                name=texts[column],
                marker={"color": colour},
                text=[f"{v:.0f}" if v == v else "" for v in dimensions[column]],
                textposition="inside",
                hovertemplate="%{y}: %{x:.0f}<extra>" + texts[column] + "</extra>",
            )
        )
    _layout(fig, height=140 + 46 * len(dimensions))
    fig.update_layout(
        barmode="group",
        xaxis={"range": [0, 100], "title": {"text": texts["score"]}},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    )
    return fig


def trend_lines(trend: pd.DataFrame, *, texts: dict[str, str], centre: float | None = None) -> go.Figure:
    """Satisfaction over waves, one line per series, with 95% intervals; significant changes marked.

    `trend` has series (label), wave (label, in wave order), mean, ci_low, ci_high, n and
    significant (True where the change from the series' previous wave is significant; Welch
    t-test). Hidden waves have no mean and leave a gap. `texts` holds mean, wave, significant.
    """
    texts = _plain_texts(texts)
    trend = _plain_columns(trend, "series", "wave")
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
    _layout(fig, height=420)
    fig.update_layout(
        xaxis={
            "title": {"text": texts["wave"]},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": wave_order,
        },
        yaxis={"title": {"text": texts["mean"]}, "range": [0, 100]},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        hovermode="closest",
    )
    return fig


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
        children.setdefault(up if up in parent and up == up else None, []).append(code)
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
) -> go.Figure:
    """Departments as a directed graph: an arrow rater -> provider per cell.

    `edges` has rater_dept, provider_dept, mean, n, interaction (mean contacts per month, for the
    width) and suppressed. Arrows are coloured by mean satisfaction on the diverging scale centred
    on `centre`; hidden cells are thin grey dotted lines. `weak_incoming` (provider -> count of
    incoming arrows significantly below the mean) enlarges and rings the nodes that stand out.
    `texts` holds mean, hidden, hover (with {rater} and {provider}), weak (with {count}), interaction.
    """
    texts = _plain_texts(texts)
    names = _plain_names(names, [*positions, *edges["rater_dept"], *edges["provider_dept"]])
    fig = go.Figure()
    shown = edges[~edges["suppressed"]]
    spread = max(float((shown["mean"] - centre).abs().max()) if len(shown) else 0.0, MIN_SPREAD)
    top = float(shown["interaction"].max()) if len(shown) and shown["interaction"].notna().any() else 1.0
    node_radius = 0.075
    mid_x, mid_y, mid_text = [], [], []
    for row in edges.itertuples(index=False):
        if row.rater_dept not in positions or row.provider_dept not in positions:
            continue
        (x0, y0), (x1, y1) = positions[row.rater_dept], positions[row.provider_dept]
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        # offset to the right of the direction, so that A->B and B->A are two separate arrows
        ox, oy = uy * 0.025, -ux * 0.025
        sx, sy = x0 + ux * node_radius + ox, y0 + uy * node_radius + oy
        ex, ey = x1 - ux * node_radius + ox, y1 - uy * node_radius + oy
        head = texts["hover"].format(
            rater=names.get(row.rater_dept, row.rater_dept), provider=names.get(row.provider_dept, row.provider_dept)
        )
        if row.suppressed:
            fig.add_trace(
                go.Scatter(
                    x=[sx, ex],
                    y=[sy, ey],
                    mode="lines",
                    line={"color": HIDDEN_COLOUR, "width": 1, "dash": "dot"},
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
            mid_text.append(f"{head}<br>{texts['hidden']}")
        else:
            share = (row.interaction / top) if row.interaction == row.interaction and top else 0.3
            width = 1.0 + 5.0 * math.sqrt(max(share, 0.0))
            colour = diverging_colour(row.mean, centre, spread)
            fig.add_annotation(
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
            mid_text.append(
                f"{head}<br>{texts['mean']}: {row.mean:.0f}<br>n = {int(row.n)}"
                + (f"<br>{texts['interaction']}: {row.interaction:.1f}" if row.interaction == row.interaction else "")
            )
        mid_x.append(sx + (ex - sx) * 0.55)
        mid_y.append(sy + (ey - sy) * 0.55)
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
    codes = list(positions)
    node_means = shown.groupby("provider_dept")["mean"].mean()
    sizes = [26 + 8 * weak_incoming.get(c, 0) for c in codes]
    node_hover = []
    for c in codes:
        line = names.get(c, c)
        if c in node_means.index:
            line += f"<br>{texts['mean']}: {node_means[c]:.0f}"
        if weak_incoming.get(c, 0):
            line += "<br>" + texts["weak"].format(count=weak_incoming[c])
        node_hover.append(line)
    fig.add_trace(
        go.Scatter(
            x=[positions[c][0] for c in codes],
            y=[positions[c][1] for c in codes],
            mode="markers",
            marker={
                "size": sizes,
                "color": [
                    diverging_colour(node_means[c], centre, spread) if c in node_means.index else "#eeeeee"
                    for c in codes
                ],
                "line": {
                    "width": [3.5 if weak_incoming.get(c, 0) >= 2 else 1 for c in codes],
                    "color": [DETRACTOR_COLOUR if weak_incoming.get(c, 0) >= 2 else "#555" for c in codes],
                },
            },
            hovertext=node_hover,
            hoverinfo="text",
            customdata=codes,
            showlegend=False,
            name="departments",
        )
    )
    # labels outside the circle, anchored away from the centre so they never sit on the arrows
    for c in codes:
        x, y = positions[c]
        weak = weak_incoming.get(c, 0)
        fig.add_annotation(
            x=x * 1.17,
            y=y * 1.13,
            text=f"<b>{names.get(c, c)}</b>" if weak >= 2 else names.get(c, c),
            showarrow=False,
            xanchor="left" if x > 0.2 else ("right" if x < -0.2 else "center"),
            yanchor="bottom" if y > 0.2 else ("top" if y < -0.2 else "middle"),
            font={"size": 12, "color": DETRACTOR_COLOUR if weak >= 2 else "#222"},
        )
    # a colour bar for the arrows (an invisible trace carries it)
    fig.add_trace(
        go.Scatter(
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
        )
    )
    _layout(fig, height=720)
    axis = {"visible": False, "range": [-1.75, 1.75]}
    fig.update_layout(xaxis=axis, yaxis={**axis, "scaleanchor": "x", "range": [-1.45, 1.45]}, hovermode="closest")
    return fig
