"""Waves: the comparison wave (issue 17)."""

import datetime as dt

import pytest

from data.demo import WAVES
from data.waves import comparison_wave, create_wave, get_wave


@pytest.fixture
def db(demo_store):
    """The demo organisation, on DuckDB and on PostgreSQL."""
    return demo_store


def _wave(db, wave_id, opens_on, status):
    create_wave(
        db,
        wave_id,
        name_en=wave_id,
        name_zh=wave_id,
        survey_version=get_wave(db, WAVES[-1][0]).survey_version,
        opens_on=opens_on,
        closes_on=opens_on + dt.timedelta(days=10),
        status=status,
    )


def test_comparison_is_the_latest_closed_wave_with_responses_that_opened_earlier(db):
    latest, before = WAVES[-1][0], WAVES[-2][0]
    assert comparison_wave(db, latest).wave_id == before
    # a pilot draft and an empty closed wave, both opened between the two demo waves, are skipped
    _wave(db, "PILOT", dt.date(2026, 9, 1), "draft")
    _wave(db, "EMPTY", dt.date(2026, 9, 15), "closed")
    assert comparison_wave(db, latest).wave_id == before
    # the open wave of the demo (no responses, opened after 2026-Q4) compares with 2026-Q4
    assert comparison_wave(db, "2027-Q1").wave_id == latest
    assert comparison_wave(db, WAVES[0][0]) is None  # nothing opened earlier
    assert comparison_wave(db, "NO-SUCH-WAVE") is None


def test_an_open_wave_with_responses_is_not_a_comparison(db):
    # 2026-Q3 reopened (still collecting): 2026-Q4 compares with 2026-Q2
    db.connection().execute("UPDATE waves SET status = 'open' WHERE wave_id = ?", [WAVES[-2][0]])
    assert comparison_wave(db, WAVES[-1][0]).wave_id == WAVES[0][0]
