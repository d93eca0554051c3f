"""Department scope of an account (issue 20, a department head's view): set and cleared through
services/accounts.py (validated in data/users.py, audited), and through `cli.py user`."""

import io
import sys

import pytest

import cli
from data.audit import list_events
from data.db import open_database
from data.problems import Refused
from data.users import get_user, list_users, user_departments
from services import accounts
from texts import describe


@pytest.fixture
def org_db(demo_store):
    """The demo with two accounts, on DuckDB and on PostgreSQL."""
    accounts.add(demo_store, "boss", "head.qa", "leader", password="a long secret 123")
    accounts.add(demo_store, "boss", "ana", "analyst", password="a long secret 123")
    return demo_store


def _events(db) -> list[tuple]:
    frame = list_events(db).fillna("")
    frame = frame[frame["action"] == "user_set_scope"]
    return list(zip(frame["actor"], frame["target"], frame["detail"], strict=True))[::-1]


def test_a_leader_is_scoped_and_unscoped_with_an_audit_entry_each(org_db):
    accounts.set_scope(org_db, "boss", "head.qa", ["RND", "QA", "QA"])
    assert user_departments(org_db, "head.qa") == ("QA", "RND")
    assert list_users(org_db).set_index("username").loc["head.qa", "departments"] == "QA, RND"
    accounts.clear_scope(org_db, "boss", "HEAD.QA")  # the whole organisation again
    assert user_departments(org_db, "head.qa") == ()
    assert _events(org_db) == [("boss", "head.qa", "QA, RND"), ("boss", "head.qa", "none")]


@pytest.mark.parametrize(
    ("username", "codes", "code", "en", "zh"),
    [
        ("head.qa", ["QA", "NOPE"], "unknown_department", "Unknown department code NOPE.", "未知部门代码 NOPE。"),
        (
            "ana",
            ["QA"],
            "scope_role",
            "Only leaders can be limited to departments: ana is not a leader.",
            "只有领导角色可以限定部门：ana 不是领导。",
        ),
        ("nobody", ["QA"], "unknown_user", "Unknown user nobody.", "未知用户 nobody。"),
        (
            "head.qa",
            [" "],
            "scope_empty",
            "Choose at least one department. To let head.qa see the whole organisation, clear the departments.",
            "请至少选择一个部门。若要让 head.qa 查看整个组织，请清除部门限定。",
        ),
    ],
)
def test_a_bad_scope_is_refused_with_its_reason_and_writes_nothing(org_db, username, codes, code, en, zh):
    with pytest.raises(Refused) as refused:
        accounts.set_scope(org_db, "boss", username, codes)
    assert refused.value.code == code
    problem = refused.value.problems[0]
    assert describe(problem, "en") == en and describe(problem, "zh") == zh
    assert user_departments(org_db, "head.qa") == () and _events(org_db) == []


def test_a_scoped_leader_keeps_its_role_until_the_scope_is_cleared(org_db):
    accounts.set_scope(org_db, "boss", "head.qa", ["QA"])
    for role in ("analyst", "admin"):  # admins are never scoped; an analyst's exports would not be
        with pytest.raises(Refused) as refused:
            accounts.set_role(org_db, "boss", "head.qa", role)
        assert refused.value.code == "scoped_role_change"
    assert get_user(org_db, "head.qa")["role"] == "leader"
    accounts.clear_scope(org_db, "boss", "head.qa")
    accounts.set_role(org_db, "boss", "head.qa", "analyst")
    assert get_user(org_db, "head.qa")["role"] == "analyst"


def _run(monkeypatch, capsys, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_sets_lists_and_clears_the_scope_and_refuses_bad_codes(demo_target, monkeypatch, capsys):
    db = open_database(demo_target)
    accounts.add(db, "boss", "head.qa", "leader", password="a long secret 123")
    db.close()
    path = demo_target
    code, out, err = _run(monkeypatch, capsys, "user", "set-departments", "head.qa", "QA", "RND", "--db", path)
    assert code == 0 and out.strip() == "head.qa sees only QA, RND" and not err
    code, out, _ = _run(monkeypatch, capsys, "user", "list", "--db", path)
    assert code == 0 and "QA, RND" in out
    code, out, err = _run(monkeypatch, capsys, "user", "set-departments", "head.qa", "QA", "XX", "--db", path)
    assert code == 2 and err.strip() == "error: Unknown department code XX."
    code, out, err = _run(monkeypatch, capsys, "user", "set-departments", "head.qa", "--db", path)
    assert code == 2 and "clear the departments" in err  # an empty list is a mistake, not a way to clear
    code, out, err = _run(monkeypatch, capsys, "user", "clear-departments", "head.qa", "--db", path)
    assert code == 0 and out.strip() == "head.qa sees the whole organisation"
    db = open_database(demo_target)
    assert user_departments(db, "head.qa") == ()
    assert [e[2] for e in _events(db)] == ["QA, RND", "none"]
    db.close()


def test_a_scoped_account_signs_in_fails_and_is_disabled_like_any_other(org_db):
    from data.responses import integrity_counts
    from data.users import verify

    accounts.set_scope(org_db, "boss", "head.qa", ["QA"])
    # every sign-in writes to the account's row, which the scope's foreign key refers to (migration 0012)
    assert verify(org_db, "head.qa", "a wrong password").status == "refused"
    assert verify(org_db, "head.qa", "a long secret 123").status == "ok"
    accounts.set_password(org_db, "boss", "head.qa", "another secret 456")
    accounts.set_active(org_db, "boss", "head.qa", False)
    assert user_departments(org_db, "head.qa") == ("QA",)
    assert all(count == 0 for count in integrity_counts(org_db).values())
