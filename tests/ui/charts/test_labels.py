"""Label placement for scatter points: no label on another label or on a marker."""

import pandas as pd
import pytest

from ui.charts import labels as placement

# A department whose dimensions all score about the same (the demo's HR in 2026 Q4, Chinese labels):
# the points stand in one column, where labels above and below each point used to run into their
# neighbours (seen in the browser screenshots).
CLUSTER = pd.DataFrame(
    {
        "label": ["价值", "沟通", "换位思考", "理解需求", "可靠", "响应"],
        "performance": [60.7, 59.9, 59.9, 59.7, 59.9, 59.8],
        "importance": [19.7, 18.7, 17.2, 15.8, 14.9, 13.7],
    }
)


@pytest.mark.parametrize(
    "labels",
    [list(CLUSTER["label"]), ["Value", "Communication", "Empathy", "Understanding", "Reliability", "Responsiveness"]],
)
def test_clustered_points_get_labels_that_overlap_no_label_and_no_marker(labels):
    x, y = CLUSTER["performance"].to_numpy(), CLUSTER["importance"].to_numpy()
    x_range, y_range = [53.7, 66.7], [9.6, 23.8]
    sides = placement.label_positions(x, y, labels, x_range=x_range, y_range=y_range, avoid_x=60.0, avoid_y=16.7)
    width, height = placement._PLOT_PX
    px = (x - x_range[0]) / (x_range[1] - x_range[0]) * width
    py = (y - y_range[0]) / (y_range[1] - y_range[0]) * height
    boxes = [
        placement.label_box(s, a, b, placement._text_width(t)) for s, a, b, t in zip(sides, px, py, labels, strict=True)
    ]
    m = placement._MARKER_PX
    for i, box in enumerate(boxes):
        for j, other in enumerate(boxes):
            assert i == j or placement._overlap(box, other) == 0, (labels[i], labels[j], sides)
        for j, (a, b) in enumerate(zip(px, py, strict=True)):
            assert i == j or placement._overlap(box, (a - m, b - m, a + m, b + m)) == 0, (labels[i], j, sides)
    # the rule it replaces (above and below, alternating along the performance axis) collides here
    old = [
        "top center" if r % 2 == 0 else "bottom center" for r in CLUSTER["performance"].rank(method="first").astype(int)
    ]
    old_boxes = [
        placement.label_box(s, a, b, placement._text_width(t)) for s, a, b, t in zip(old, px, py, labels, strict=True)
    ]
    assert any(placement._overlap(a, b) > 0 for i, a in enumerate(old_boxes) for b in old_boxes[i + 1 :])
