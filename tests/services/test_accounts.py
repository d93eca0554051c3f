"""Account services: one call writes, audits and says what changed; a refusal writes and records nothing."""

import pytest

import cli
from data.audit import list_events
from data.db import Database
from data.problems import Refused
from data.users import get_user
from services import accounts, versions
from tests.conftest import add_test_user, run_page


def recorded_events(path) -> list[dict]:
    """What the audit log of the database file at `path` says, without the actor and the time."""
    db = Database(path)
    try:
        return list_events(db)[["action", "target", "detail"]].to_dict("records")
    finally:
        db.close()


def _events(db) -> list[tuple]:
    frame = list_events(db).fillna("")
    return list(zip(frame["actor"], frame["action"], frame["target"], frame["detail"], strict=True))


def test_each_change_writes_audits_and_bumps_the_version(store):
    before = versions.data_version()
    accounts.add(store, "boss", "li", "leader", password="a long secret 123")
    assert versions.data_version() != before
    accounts.set_role(store, "boss", "li", "analyst")
    accounts.set_active(store, "boss", "LI", False)
    accounts.set_active(store, "boss", "li", True)
    accounts.unlock(store, "boss", "li")
    accounts.set_password(store, "boss", "li", "another secret 456")
    assert get_user(store, "li")["role"] == "analyst"
    assert _events(store)[::-1] == [
        ("boss", "user_add", "li", "leader"),
        ("boss", "user_set_role", "li", "leader -> analyst"),
        ("boss", "user_disable", "li", ""),
        ("boss", "user_enable", "li", ""),
        ("boss", "user_unlock", "li", ""),
        ("boss", "user_set_password", "li", ""),
    ]


def test_a_refused_change_records_nothing_and_changes_no_version(store):
    before = versions.data_version()
    with pytest.raises(Refused) as refused:
        accounts.add(store, "boss", "li", "leader", password="short")
    assert refused.value.code == "password_too_short"
    assert list_events(store).empty
    assert versions.data_version() == before


def test_demo_accounts_are_recorded_once(store):
    assert len(accounts.add_demo_accounts(store, "cli")) == 3
    assert accounts.add_demo_accounts(store, "cli") == []
    assert {e[1:] for e in _events(store)} == {
        ("user_add", n, "demo account") for n in ("demo-admin", "demo-analyst", "demo-leader")
    }


def test_the_page_and_the_command_line_record_the_same_role_change(empty_db_path, tmp_path, capsys):
    cli_db = tmp_path / "cli.duckdb"
    for path in (empty_db_path, cli_db):
        add_test_user(path, "boss", "admin")
        add_test_user(path, "li.na", "leader")
    at = run_page("views/admin_users.py", empty_db_path, role="admin")
    at.selectbox(key="admin_users.chosen").select("li.na").run()
    at.selectbox(key="admin_users.new_role").select("analyst").run()
    at.button(key="admin_users.set_role").click().run()
    assert cli.main(["user", "set-role", "li.na", "analyst", "--db", str(cli_db)]) == 0
    capsys.readouterr()
    recorded = [recorded_events(empty_db_path), recorded_events(cli_db)]
    assert recorded[0] == recorded[1] == [{"action": "user_set_role", "target": "li.na", "detail": "leader -> analyst"}]
