"""ui/results.py: the one cache of results, keyed by wave and data version (services/versions.py)."""

import os

import pytest
import streamlit as st

from services.versions import changed
from ui import results


@pytest.fixture
def demo_app_db(demo_db_path):
    """The app's database (ui.frame.db) on a copy of the demo, with every cache empty."""
    from ui.connection import get_database

    os.environ["ICSAT_DB"] = str(demo_db_path)
    get_database.clear()
    st.cache_data.clear()
    yield get_database()
    get_database.clear()
    st.cache_data.clear()


def _counting(monkeypatch, name: str) -> list:
    calls = []
    real = getattr(results, name)
    monkeypatch.setattr(results, name, lambda *a, **kw: calls.append(a[1:2]) or real(*a, **kw))
    return calls


def test_a_write_to_one_wave_rebuilds_that_wave_only(demo_app_db, monkeypatch):
    built = _counting(monkeypatch, "build_wave_report")
    results.wave_report("2026-Q3")
    results.wave_report("2026-Q4")
    assert len(built) == 2
    changed("2026-Q4")
    results.wave_report("2026-Q3")
    assert len(built) == 2  # still cached
    results.wave_report("2026-Q4")
    assert built[-1] == ("2026-Q4",) and len(built) == 3


def test_an_organisation_write_refreshes_departments_and_every_wave(demo_app_db, monkeypatch):
    listed = _counting(monkeypatch, "list_departments")
    built = _counting(monkeypatch, "build_wave_report")
    results.departments()
    results.wave_report("2026-Q4")
    changed("2026-Q4")  # a wave's write leaves the departments cached
    results.departments()
    assert len(listed) == 1
    changed()
    results.departments()
    results.wave_report("2026-Q3")
    results.wave_report("2026-Q4")
    assert len(listed) == 2 and len(built) == 3


def test_a_first_answer_puts_its_wave_among_the_waves_with_responses(demo_app_db):
    from data.responses import response_count

    assert "2027-Q1" not in results.waves_with_responses()
    assert response_count(demo_app_db, "2027-Q1") == 0
    demo_app_db.connection().execute(
        "INSERT INTO responses (response_id, wave_id, rater_dept, provider_dept, frequency, recommend,"
        " submission_id, submitted_on) SELECT uuid(), '2027-Q1', rater_dept, provider_dept, frequency, recommend,"
        " uuid(), submitted_on FROM responses LIMIT 1"
    )
    assert "2027-Q1" not in results.waves_with_responses()  # nothing said it changed: cached
    changed("2027-Q1")
    assert "2027-Q1" in results.waves_with_responses()
