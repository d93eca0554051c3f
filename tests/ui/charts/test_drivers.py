"""The importance-performance matrix on a small hand-made frame."""

import pandas as pd
import pytest

from tests.ui.charts import trace
from ui.charts import drivers


def test_importance_performance_labels_the_fix_first_quadrant_top_left():
    matrix = pd.DataFrame(
        {
            "label": ["Speed", "Care"],
            "importance": [60.0, 20.0],
            "performance": [40.0, 80.0],
            "quadrant": ["fix_first", "possible_overkill"],
        }
    )
    texts = {
        "importance": "I",
        "performance": "P",
        "fix_first": "Fix first",
        "keep_up": "Keep",
        "secondary": "Sec",
        "possible_overkill": "Over",
    }
    fig = drivers.importance_performance(matrix, texts=texts)
    fix = next(a for a in fig.layout.annotations if "Fix first" in a.text)
    assert fix.x == fig.layout.xaxis.range[0] and fix.y == fig.layout.yaxis.range[1]
    assert list(trace(fig, "dimensions").y) == pytest.approx([60, 20])
