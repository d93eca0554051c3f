"""Waves on their dates (issue 21): the scheduler opens and closes scheduled waves in the deployment's
time zone, idempotent (twice, and from two threads at once), audited; `cli.py tick` does the same."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import cli
from data.audit import list_events
from data.db import Database, open_database
from data.waves import get_wave
from services import scheduler, waves

SHANGHAI = ZoneInfo("Asia/Shanghai")  # UTC+8, no daylight saving
UTC = dt.UTC


def _create(db, wave_id="W1", *, scheduled=True, opens=dt.date(2027, 1, 1), closes=dt.date(2027, 1, 31)):
    return waves.create(
        db,
        "boss",
        wave_id,
        name_en="Winter",
        name_zh="冬季",
        survey_version="icsat-default-v1",
        opens_on=opens,
        closes_on=closes,
        scheduled=scheduled,
    )


def _utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def test_a_scheduled_wave_opens_on_its_date_in_the_deployment_time_zone(store):
    _create(store)
    # 2026-12-31 15:59 UTC is 23:59 in Shanghai: still the day before the opening date there
    assert scheduler.tick(store, now=_utc(2026, 12, 31, 15, 59), tz=SHANGHAI).opened == []
    assert get_wave(store, "W1").status == "draft"
    # 16:00 UTC is midnight of 2027-01-01 in Shanghai (and still 2026-12-31 in UTC)
    result = scheduler.tick(store, now=_utc(2026, 12, 31, 16, 0), tz=SHANGHAI)
    assert result.opened == ["W1"] and result.closed == []
    assert get_wave(store, "W1").status == "open"
    # in UTC the same moment is the day before: a deployment in UTC would not have opened it
    other = Database(":memory:")
    try:
        _create(other)
        assert scheduler.tick(other, now=_utc(2026, 12, 31, 16, 0), tz=UTC).opened == []
        assert get_wave(other, "W1").status == "draft"
    finally:
        other.close()


def test_a_scheduled_wave_closes_at_the_end_of_its_closing_date(store):
    _create(store)
    scheduler.tick(store, now=_utc(2027, 1, 10), tz=SHANGHAI)
    # 2027-01-31 15:59 UTC is 23:59 on the closing date in Shanghai: still open
    assert scheduler.tick(store, now=_utc(2027, 1, 31, 15, 59), tz=SHANGHAI).closed == []
    assert get_wave(store, "W1").status == "open"
    result = scheduler.tick(store, now=_utc(2027, 1, 31, 16, 0), tz=SHANGHAI)
    assert result.closed == ["W1"]
    assert get_wave(store, "W1").status == "closed"
    events = list_events(store)
    scheduled = events[events["actor"] == scheduler.ACTOR]
    assert list(scheduled["action"]) == ["wave_close", "wave_open"]
    assert "Asia/Shanghai" in scheduled["detail"].iloc[0]


def test_a_wave_not_scheduled_is_left_alone_and_a_hand_closed_wave_is_not_reopened(store):
    _create(store, "MANUAL", scheduled=False)
    _create(store, "EARLY")
    scheduler.tick(store, now=_utc(2027, 1, 5), tz=UTC)
    assert get_wave(store, "MANUAL").status == "draft"
    waves.set_status(store, "boss", "EARLY", "closed")  # closed by hand before its date
    assert scheduler.tick(store, now=_utc(2027, 1, 6), tz=UTC).opened == []
    assert get_wave(store, "EARLY").status == "closed"


def test_a_draft_whose_dates_have_passed_is_not_opened(store):
    _create(store, opens=dt.date(2027, 1, 1), closes=dt.date(2027, 1, 3))
    result = scheduler.tick(store, now=_utc(2027, 2, 1), tz=UTC)
    assert result.opened == [] and result.closed == []
    assert get_wave(store, "W1").status == "draft"


def test_ticking_twice_changes_and_records_once(store):
    _create(store)
    now = _utc(2027, 1, 2)
    assert scheduler.tick(store, now=now, tz=UTC).opened == ["W1"]
    assert scheduler.tick(store, now=now, tz=UTC).opened == []
    assert list(list_events(store)["action"]).count("wave_open") == 1


def test_two_threads_ticking_at_once_open_the_wave_once(empty_db_path):
    db = Database(empty_db_path)
    try:
        for number in range(5):
            _create(db, f"W{number}")
        barrier = threading.Barrier(2)
        results = []

        def run() -> None:
            barrier.wait()
            results.append(scheduler.tick(db, now=_utc(2027, 1, 2), tz=UTC))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        opened = sorted(w for result in results for w in result.opened)
        assert opened == [f"W{n}" for n in range(5)]
        assert list(list_events(db)["action"]).count("wave_open") == 5
    finally:
        db.close()


def test_periodic_jobs_run_with_the_local_date(store, monkeypatch):
    seen = []
    monkeypatch.setattr(scheduler, "PERIODIC_JOBS", (lambda db, today: seen.append(today),))
    scheduler.tick(store, now=_utc(2026, 12, 31, 16, 0), tz=SHANGHAI)
    assert seen == [dt.date(2027, 1, 1)]


def test_cli_tick_opens_and_closes_by_the_time_zone_setting(empty_target, monkeypatch, capsys):
    db = open_database(empty_target)
    _create(db)
    db.close()
    monkeypatch.setenv("ICSAT_TIMEZONE", "Asia/Shanghai")
    code = cli.main(["tick", "--db", empty_target, "--now", "2026-12-31T16:00:00+00:00"])
    assert code == 0
    assert "opened W1" in capsys.readouterr().out
    code = cli.main(["tick", "--db", empty_target, "--now", "2026-12-31T16:00:00+00:00"])
    assert code == 0
    assert "nothing to do" in capsys.readouterr().out
    db = open_database(empty_target)
    try:
        assert get_wave(db, "W1").status == "open"
        assert list(list_events(db)["actor"]).count(scheduler.ACTOR) == 1
    finally:
        db.close()


def test_the_app_thread_is_started_once_and_opens_a_due_wave_by_itself(empty_db_path):
    import time

    db = Database(empty_db_path)
    try:
        today = dt.datetime.now(UTC).date()
        _create(db, "DUE", opens=today - dt.timedelta(days=1), closes=today + dt.timedelta(days=5))
        scheduler.start_scheduler(db)
        first = scheduler._thread
        scheduler.start_scheduler(db)  # a Streamlit rerun calls it again: still one thread
        assert scheduler._thread is first and first.daemon and first.is_alive()
        deadline = time.monotonic() + 20  # the thread ticks at once, then every TICK_SECONDS
        while get_wave(db, "DUE").status != "open" and time.monotonic() < deadline:
            time.sleep(0.05)  # polling for the condition, not waiting a fixed time
        assert get_wave(db, "DUE").status == "open"
        assert list(list_events(db)["actor"]).count(scheduler.ACTOR) == 1
    finally:
        with scheduler._lock:
            scheduler._scheduled.pop(db.path, None)
        db.close()
