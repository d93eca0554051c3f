"""ui/view_models.py: the small formatting rules the results pages share."""

import math

import pandas as pd
import pytest

from ui.view_models import is_significant, metric_delta, signed


@pytest.mark.parametrize(("flag", "expected"), [(True, True), (False, False), (None, False), (pd.NA, False)])
def test_a_significant_flag_without_a_test_reads_as_not_significant(flag, expected):
    assert is_significant(flag) is expected


def test_signed_figures_and_blanks():
    assert signed(12.4) == "+12" and signed(-3.0) == "-3" and signed(0.25, 1) == "+0.2"
    assert signed(None) == "—" and signed(math.nan) == "—"


def test_metric_delta_blank_zero_and_significant():
    assert metric_delta(None) == (None, "normal") and metric_delta(math.nan) == (None, "normal")
    assert metric_delta(-0.01) == ("0", "off")
    assert metric_delta(2.34, significant=True) == ("+2.3 *", "normal")
