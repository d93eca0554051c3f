"""Participation: one response rate, undefined (not 0) where nobody was invited."""

import math

import pandas as pd

from analysis.participation import LOW_PARTICIPATION, participation_table, response_rate


def test_a_rate_of_no_invitations_is_undefined_not_zero():
    assert response_rate(6, 10) == 0.6
    assert response_rate(0, 10) == 0.0
    assert response_rate(0, 0) is None


def test_the_table_and_the_single_rate_agree_and_flag_below_sixty_percent():
    counts = pd.DataFrame({"dept_code": ["A", "B", "C"], "invited": [10, 10, 0], "responded": [5, 6, 0]})
    out = participation_table(counts, wave_id="W")
    for rate, (responded, invited) in zip(
        out["rate"], zip(counts["responded"], counts["invited"], strict=True), strict=True
    ):
        single = response_rate(responded, invited)
        assert math.isnan(rate) if single is None else rate == single
    assert LOW_PARTICIPATION == 0.6
    assert out["low_participation"].tolist() == [True, False, False]  # undefined is not "low"
