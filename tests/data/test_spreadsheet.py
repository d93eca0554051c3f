"""Formula guard: text a spreadsheet would run as a formula gets a leading quote, and comes back on import."""

import pytest

from data.spreadsheet import neutralise_text, restore_text

PAYLOADS = ["=cmd|' /C calc'!A0", "+1", "-1+1", "@SUM(1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_like_text_gets_a_leading_quote_and_comes_back_on_import(payload):
    assert neutralise_text(payload) == "'" + payload
    assert restore_text(neutralise_text(payload)) == payload


@pytest.mark.parametrize("value", ["Sales", "销售部", "", "a=b", "'quoted", 0, -1, 1.5, None, True])
def test_other_values_pass_unchanged(value):
    assert neutralise_text(value) == value if value is not None else neutralise_text(value) is None
