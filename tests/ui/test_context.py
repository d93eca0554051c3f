"""ui.context: one survey context (wave, comparison, relationship type, dimension) for every results
page, read from the address (?wave=2026-Q4&compare=...&type=...), kept in session state for the
sidebar menu, and falling back to the default quietly when the address names something unknown."""

import pytest

from data.db import Database
from tests.browser.test_open_wave_browser import _two_answers
from tests.conftest import assert_serialisable_state, run_page

RESULTS_PAGES = ["views/overview.py", "views/hotspots.py", "views/department.py", "views/trends.py", "views/network.py"]


def _sidebar_box(at, label: str):
    return next(box for box in at.sidebar.selectbox if box.label == label)


def _hide_latest_closed_wave(db_path) -> None:
    """2026 Q4 keeps its responses but every cell is below its k: a closed wave without results."""
    db = Database(db_path)
    try:
        db.connection().execute("UPDATE waves SET k_min = 1000, k_comments = 1000 WHERE wave_id = ?", ["2026-Q4"])
    finally:
        db.close()


@pytest.mark.parametrize("page", RESULTS_PAGES)
def test_the_wave_in_the_address_is_the_wave_every_page_shows(demo_db_path, page):
    at = run_page(page, demo_db_path, query={"wave": "2026-Q3"})
    assert not at.exception
    assert _sidebar_box(at, "Survey wave").value == "2026-Q3"
    assert at.query_params["wave"] == "2026-Q3"
    assert_serialisable_state(at)


def test_the_comparison_and_type_in_the_address_are_chosen(demo_db_path):
    at = run_page("views/overview.py", demo_db_path, query={"wave": "2026-Q4", "compare": "2026-Q2", "type": "process"})
    assert not at.exception
    assert _sidebar_box(at, "Compare with").value == "2026-Q2"
    assert _sidebar_box(at, "Relationship type").value == "process"
    assert not [c for c in at.caption if "address" in c.value]


def test_an_unknown_wave_in_the_address_falls_back_to_the_default_with_a_notice(demo_db_path):
    at = run_page("views/overview.py", demo_db_path, query={"wave": "<script>1999", "type": "nonsense"})
    assert not at.exception
    assert _sidebar_box(at, "Survey wave").value == "2026-Q4"
    assert _sidebar_box(at, "Relationship type").value == ""
    notices = " ".join(c.value for c in at.caption)
    assert "The address named a survey wave that is not available" in notices
    assert "relationship type" in notices
    assert "<script>" not in notices  # the address's text is not echoed
    assert at.query_params["wave"] == "2026-Q4"  # the address is corrected
    assert "type" not in at.query_params
    assert at.get("plotly_chart")  # the page is drawn for the default


def test_the_notice_is_in_chinese_for_a_chinese_reader(demo_db_path):
    at = run_page("views/hotspots.py", demo_db_path, lang="zh", query={"wave": "2031-Q9"})
    assert not at.exception
    assert "链接中的调查轮次不存在" in " ".join(c.value for c in at.caption)


def test_a_comparison_wave_that_is_not_earlier_is_dropped_with_a_notice(demo_db_path):
    at = run_page("views/overview.py", demo_db_path, query={"wave": "2026-Q3", "compare": "2026-Q4"})
    assert not at.exception
    assert _sidebar_box(at, "Compare with").value == "2026-Q2"  # the default: the wave before
    assert "comparison wave" in " ".join(c.value for c in at.caption)


def test_without_an_address_the_session_context_is_used_and_written_to_the_address(demo_db_path):
    # the sidebar menu opens a page without the query string: the session keeps the context
    at = run_page("views/trends.py", demo_db_path, state={"context": {"wave": "2026-Q3", "type": "process"}})
    assert not at.exception
    assert _sidebar_box(at, "Survey wave").value == "2026-Q3"
    assert _sidebar_box(at, "Relationship type").value == "process"
    assert at.query_params["wave"] == "2026-Q3" and at.query_params["type"] == "process"


def test_a_choice_in_the_sidebar_goes_to_the_address_and_the_session(demo_db_path):
    at = run_page("views/overview.py", demo_db_path)
    _sidebar_box(at, "Survey wave").set_value("2026-Q3")
    at.run()
    assert not at.exception
    assert at.query_params["wave"] == "2026-Q3"
    assert at.session_state["context"]["wave"] == "2026-Q3"
    assert _sidebar_box(at, "Survey wave").value == "2026-Q3"
    assert not [c for c in at.caption if "address" in c.value]  # a choice is not an error


def test_the_default_is_the_latest_closed_wave_with_results_while_a_wave_is_open(demo_db_path):
    _two_answers(demo_db_path)  # the open wave 2027 Q1 has responses
    _hide_latest_closed_wave(demo_db_path)  # 2026 Q4 is closed but shows nothing
    at = run_page("views/overview.py", demo_db_path)
    assert not at.exception
    assert _sidebar_box(at, "Survey wave").value == "2026-Q3"
    assert at.get("plotly_chart")
    assert not [c for c in at.caption if "address" in c.value]


def test_an_open_wave_can_be_chosen_and_shows_only_the_count(demo_db_path):
    _two_answers(demo_db_path)
    at = run_page("views/hotspots.py", demo_db_path, query={"wave": "2027-Q1"})
    assert not at.exception
    assert _sidebar_box(at, "Survey wave").value == "2027-Q1"
    assert "is still collecting answers: 2 of 2 invited people have answered" in at.info[0].value
    assert not at.get("plotly_chart") and not at.metric


def test_data_and_exports_follows_the_context_and_offers_no_open_wave(demo_db_path):
    _two_answers(demo_db_path)
    at = run_page("views/data_exports.py", demo_db_path, role="analyst", query={"wave": "2026-Q3"})
    assert not at.exception
    assert at.selectbox(key="exports.wave.en").value == "2026-Q3"
    at = run_page("views/data_exports.py", demo_db_path, role="analyst", query={"wave": "2027-Q1"})
    assert at.selectbox(key="exports.wave.en").value == "2026-Q4"  # the open wave has no files yet
    assert "Responses: 0 rows" not in " ".join(c.value for c in at.caption)
