"""Account services: one call writes, audits and says what changed; a refusal writes and records nothing."""

import pytest

from data.audit import list_events
from data.problems import Refused
from data.users import get_user
from services import accounts, versions


def _events(db) -> list[tuple]:
    frame = list_events(db).fillna("")
    return list(zip(frame["actor"], frame["action"], frame["target"], frame["detail"], strict=True))


def test_each_change_writes_audits_and_bumps_the_version(memory_db):
    before = versions.data_version()
    accounts.add(memory_db, "boss", "li", "leader", password="a long secret 123")
    assert versions.data_version() != before
    accounts.set_role(memory_db, "boss", "li", "analyst")
    accounts.set_active(memory_db, "boss", "LI", False)
    accounts.set_active(memory_db, "boss", "li", True)
    accounts.unlock(memory_db, "boss", "li")
    accounts.set_password(memory_db, "boss", "li", "another secret 456")
    assert get_user(memory_db, "li")["role"] == "analyst"
    assert _events(memory_db)[::-1] == [
        ("boss", "user_add", "li", "leader"),
        ("boss", "user_set_role", "li", "leader -> analyst"),
        ("boss", "user_disable", "li", ""),
        ("boss", "user_enable", "li", ""),
        ("boss", "user_unlock", "li", ""),
        ("boss", "user_set_password", "li", ""),
    ]


def test_a_refused_change_records_nothing_and_changes_no_version(memory_db):
    before = versions.data_version()
    with pytest.raises(Refused) as refused:
        accounts.add(memory_db, "boss", "li", "leader", password="short")
    assert refused.value.code == "password_too_short"
    assert list_events(memory_db).empty
    assert versions.data_version() == before


def test_demo_accounts_are_recorded_once(memory_db):
    assert len(accounts.add_demo_accounts(memory_db, "cli")) == 3
    assert accounts.add_demo_accounts(memory_db, "cli") == []
    assert {e[1:] for e in _events(memory_db)} == {
        ("user_add", n, "demo account") for n in ("demo-admin", "demo-analyst", "demo-leader")
    }
