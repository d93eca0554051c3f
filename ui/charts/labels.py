"""Label placement for scatter points: Plotly places a point's text at one of eight positions
next to its marker and does nothing about collisions; `label_positions` chooses them."""

from __future__ import annotations

import math
import unicodedata

import numpy as np

# Label placement for scatter points, in pixels of a plot area assumed no larger than the smallest a
# page gives the chart (a wider chart only spreads the points further apart): Plotly places a
# point's text at one of these positions next to its marker, and does nothing about collisions.
# 260 px wide: the plot area on a 390 px phone (issue 20), after the page's padding and the axes.
_PLOT_PX = (260.0, 320.0)  # width, height of the plot area (a little less than measured: 271 x 346)


_MARKER_PX = 7.0  # half the marker size, plus a pixel


_TEXT_PX = 17.0  # height of a 12 px label as Chromium draws it


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
