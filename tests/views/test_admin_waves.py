"""AppTest of the Waves page: create a wave from the default survey, refuse bad settings, open and close."""

import datetime as dt

from data.audit import list_events
from data.db import Database
from data.waves import get_wave
from tests.conftest import run_page

PAGE = "views/admin_waves.py"


def _fill(at, wave_id: str, *, opens: dt.date, closes: dt.date, k_comments: int = 10):
    inputs = {t.label: t for t in at.text_input}
    inputs["Wave id (e.g. 2027-Q1)"].input(wave_id)
    inputs["English name"].input("Spring 2027")
    inputs["Chinese name"].input("2027年春季")
    dates = {d.label: d for d in at.date_input}
    dates["Opens on"].set_value(opens)
    dates["Closes on"].set_value(closes)
    numbers = {n.label: n for n in at.number_input}
    numbers["Comment threshold (at least k)"].set_value(k_comments)
    at.checkbox[0].check()
    return next(b for b in at.button if b.label == "Create wave").click().run()


def _wave(db_path, wave_id):
    db = Database(db_path)
    wave = get_wave(db, wave_id)
    actions = list(list_events(db)["action"])
    db.close()
    return wave, actions


def test_an_empty_database_offers_the_default_survey(empty_db_path):
    at = run_page(PAGE, empty_db_path, role="admin")
    assert not at.exception
    assert "No waves yet" in at.info[0].value
    assert {s.label: s.options for s in at.selectbox}["Survey version"] == ["icsat-default-v1"]


def test_a_wave_is_created_as_a_draft_then_opened_and_closed(empty_db_path):
    at = run_page(PAGE, empty_db_path, role="admin")
    at = _fill(at, "2027-S", opens=dt.date(2027, 3, 1), closes=dt.date(2027, 3, 21))
    assert not at.exception
    assert at.success[0].value == "Wave 2027-S created as a draft."
    wave, actions = _wave(empty_db_path, "2027-S")
    assert (wave.status, wave.k_min, wave.k_comments, wave.self_assessment) == ("draft", 5, 10, True)
    assert actions == ["wave_create"]

    at.button(key="admin_waves.step").click().run()
    assert "is open" in at.success[0].value
    at.button(key="admin_waves.step").click().run()
    assert "is closed" in at.success[0].value
    wave, actions = _wave(empty_db_path, "2027-S")
    assert wave.status == "closed"
    assert actions == ["wave_close", "wave_open", "wave_create"]


def test_bad_settings_are_refused_with_reasons_and_nothing_is_created(empty_db_path):
    at = run_page(PAGE, empty_db_path, role="admin")
    at = _fill(at, "bad id!", opens=dt.date(2027, 3, 21), closes=dt.date(2027, 3, 1), k_comments=3)
    errors = [e.value for e in at.error]
    assert any("wave id must start" in e for e in errors)
    assert "The closing date is before the opening date." in errors
    assert "The comment threshold (3) must be at least k (5)." in errors
    assert _wave(empty_db_path, "bad id!") == (None, [])


def test_the_waves_page_in_chinese(demo_db_path):
    at = run_page(PAGE, demo_db_path, role="admin", lang="zh")
    assert at.title[0].value == "调查轮次"
    table = at.dataframe[0].value
    assert list(table.columns)[:3] == ["轮次", "名称", "状态"]
    assert set(table["状态"]) <= {"草稿", "进行中", "已关闭"}


def test_a_quarter_id_suggests_the_quarter_and_a_wave_may_be_scheduled(empty_db_path):
    at = run_page(PAGE, empty_db_path, role="admin")
    assert "UTC" in " ".join(c.value for c in at.caption)  # the time zone the dates are read in
    at.text_input(key="admin_waves.new_id").input("2027-Q2").run()
    dates = {d.label: d.value for d in at.date_input}
    assert (dates["Opens on"], dates["Closes on"]) == (dt.date(2027, 4, 1), dt.date(2027, 6, 30))
    inputs = {t.label: t for t in at.text_input}
    inputs["English name"].input("Spring 2027")
    inputs["Chinese name"].input("2027年春季")
    at.checkbox(key="admin_waves.new_scheduled").check()
    at = next(b for b in at.button if b.label == "Create wave").click().run()
    assert not at.exception
    assert "opens by itself on 2027-04-01" in at.success[0].value
    table = at.dataframe[0].value
    assert list(table["On its dates"]) == [True]
    db = Database(empty_db_path)
    try:
        from data.waves import scheduled_wave_ids

        assert scheduled_wave_ids(db) == {"2027-Q2"}
    finally:
        db.close()

    # the schedule is switched off again for the chosen wave, audited
    at.checkbox(key="admin_waves.scheduled.2027-Q2").uncheck().run()
    assert "only by hand" in at.success[0].value
    assert list(at.dataframe[0].value["On its dates"]) == [False]
    assert _wave(empty_db_path, "2027-Q2")[1] == ["wave_schedule", "wave_create"]


def test_quarter_suggestions_in_chinese(empty_db_path):
    at = run_page(PAGE, empty_db_path, role="admin", lang="zh")
    at.text_input(key="admin_waves.new_id").input("2026-Q4").run()
    dates = [d.value for d in at.date_input]
    assert dates == [dt.date(2026, 10, 1), dt.date(2026, 12, 31)]
    assert any("按日期自动" in c.label for c in at.checkbox)
