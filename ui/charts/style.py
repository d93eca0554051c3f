"""What every chart shares: colours, the font, the layout defaults and the escaping of texts.

Plotly reads every text of a figure (axis ticks, hover, labels, legend) as its own small HTML:
`<a href>` becomes a live link, `<b>` bold, `<br>` a line break. So every text people typed
(department names and codes, wave names, labels) is HTML-escaped on the way in (`plain`), and only
the chart modules' own markup (`<br>` between hover lines, `<b>` on weak nodes) stays markup.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

HIDDEN_COLOUR = "#b8b8b8"
FONT_FAMILY = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
# Red (below the organisation's mean) to blue (above), readable for red-green colour blindness.
DIVERGING = "RdBu"
MARK_COLOUR = "#111111"
# Loyalty bands: detractors red, passives grey, promoters blue (same hues as the diverging scale).
DETRACTOR_COLOUR, PASSIVE_COLOUR, PROMOTER_COLOUR = "#d6604d", "#c9c9c9", "#4393c3"
PROVIDER_COLOUR, ORG_COLOUR, SELF_COLOUR = "#2166ac", "#555555", "#e08214"
# Every chart's toolbar (passed to st.plotly_chart by every page): shown when the pointer is on the
# chart (a tap on a phone), so it never sits on a legend, with only what a reader needs: save the
# chart as a PNG image (twice the screen's resolution, for slides) and reset a zoom.
CHART_CONFIG = {
    "displayModeBar": "hover",
    "displaylogo": False,
    "modeBarButtons": [["toImage", "resetScale2d"]],
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "icsat-chart"},
}
# A 0-100 score axis drawn whole (ticks at the answers 1-5: 0, 25, 50, 75, 100), and bar values
# written after each bar, level, never rotated into a thin bar.
SCORE_TICKS = [0, 25, 50, 75, 100]
SCORE_BAR_TEXT = {"textposition": "outside", "textangle": 0, "cliponaxis": False}
MIN_SPREAD = 10.0  # the colour scale spans at least +-10 points, so tiny differences stay pale


def plain(text: object) -> str:
    """`text` as Plotly shows it literally: HTML-escaped, so `<a href=...>` is text, not a link."""
    return html.escape(str(text), quote=False)


def plain_names(names: dict[str, str], codes: object) -> dict[str, str]:
    """Department code -> escaped name, for every code that may be drawn (a code without a name shows itself)."""
    return {str(c): plain(names.get(c, c)) for c in codes}


def plain_texts(texts: dict[str, str]) -> dict[str, str]:
    """The caller's texts escaped too: they are translations, but some carry names (a direction
    "Sales → IT" as a legend entry, the provider's name beside the organisation's)."""
    return {key: plain(value) for key, value in texts.items()}


def plain_columns(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy of `frame` with the given text columns escaped (see `plain`); the input is not changed."""
    return frame.assign(**{c: frame[c].map(lambda v: v if pd.isna(v) else plain(v)) for c in columns if c in frame})


def base_layout(fig: go.Figure, *, height: int, **extra: object) -> go.Figure:
    fig.update_layout(
        height=height,
        # 28 px on the right: Plotly drops an axis' last tick label ("100") that would cross the edge
        margin={"l": 10, "r": 28, "t": 30, "b": 10},
        font={"family": FONT_FAMILY, "size": 12},
        plot_bgcolor="rgba(0,0,0,0)",
        **extra,
    )
    return fig


def diverging_colour(value: float, centre: float, spread: float) -> str:
    """The colour of `value` on the diverging scale centred on `centre` (+- `spread`)."""
    position = min(max(0.5 + (value - centre) / (2 * spread), 0.0), 1.0)
    return sample_colorscale(DIVERGING, [position])[0]


def built_figure(spec: dict) -> go.Figure:
    """A figure from a spec this app built as a Figure itself and cached as a dict (ui/results.py),
    for st.plotly_chart without checking every property again: given a dict, st.plotly_chart
    rebuilds a validated Figure from it, 170 ms on each rerun for the Network's 223 annotations on
    1,000,000 responses; without the check 40 ms. `_validate` is Plotly's own switch for that."""
    return go.Figure(spec, _validate=False)
