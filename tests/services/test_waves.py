"""Wave services, and the page and cli.py recording the same audit event for the same operation."""

import datetime as dt

import pytest

import cli
from data.audit import list_events
from data.problems import Refused
from services import versions, waves
from tests.conftest import run_page
from tests.services.test_accounts import recorded_events
from tests.views.test_admin_waves import PAGE, _fill

DATES = {"opens_on": dt.date(2027, 3, 1), "closes_on": dt.date(2027, 3, 21)}


def _create(db, wave_id="W1", **changes):
    values = {"name_en": "Spring", "name_zh": "春季", "survey_version": "icsat-default-v1", **DATES, **changes}
    return waves.create(db, "boss", wave_id, **values)


def test_create_open_close_write_audit_and_bump_the_wave_and_the_list(store):
    before = versions.data_version("W1")
    _create(store)
    after_create = versions.data_version("W1")
    assert after_create[0] != before[0]  # the list of waves
    waves.set_status(store, "boss", "W1", "open")
    assert versions.data_version("W1")[1] != after_create[1]  # the wave itself
    waves.set_status(store, "boss", "W1", "closed")
    events = list_events(store)
    assert list(events["action"]) == ["wave_close", "wave_open", "wave_create"]
    assert events["detail"].iloc[-1] == "survey=icsat-default-v1, k=5, k_comments=10, self=False"


def test_every_reason_is_given_and_nothing_is_recorded(store):
    with pytest.raises(Refused) as refused:
        _create(store, "bad id!", k_min=2, closes_on=dt.date(2027, 1, 1))
    assert [p.code for p in refused.value.problems] == ["bad_id", "bad_dates", "k_too_small"]
    assert list_events(store).empty


def test_the_page_and_the_command_line_record_the_same_event(empty_db_path, tmp_path, capsys):
    at = run_page(PAGE, empty_db_path, role="admin")
    _fill(at, "W1", opens=DATES["opens_on"], closes=DATES["closes_on"])
    cli_db = tmp_path / "cli.duckdb"
    args = ["wave", "create", "W1", "--db", str(cli_db), "--opens", "2027-03-01", "--closes", "2027-03-21"]
    assert cli.main([*args, "--k", "5", "--k-comments", "10", "--self-assessment"]) == 0
    capsys.readouterr()
    recorded = [recorded_events(empty_db_path), recorded_events(cli_db)]
    assert recorded[0] == recorded[1] != []
