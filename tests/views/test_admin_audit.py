"""AppTest of the Audit log page: events newest first, filters, nothing from survey answers."""

from data.audit import record_event
from data.db import Database
from tests.conftest import run_page

PAGE = "views/admin_audit.py"


def _log(db_path) -> None:
    db = Database(db_path)
    record_event(db, "alice", "sign_in", detail="password")
    record_event(db, "bob", "export", target="2026-Q4", detail="cells.csv")
    record_event(db, "alice", "wave_open", target="2027-Q1")
    db.close()


def test_events_are_listed_newest_first(empty_db_path):
    _log(empty_db_path)
    at = run_page(PAGE, empty_db_path, role="admin")
    table = at.dataframe[0].value
    assert list(table["Action"]) == ["wave opened", "data exported", "signed in"]
    assert list(table["Who"]) == ["alice", "bob", "alice"]
    assert at.caption[-1].value.startswith("3 event(s)")


def test_filters_by_person_and_action(empty_db_path):
    _log(empty_db_path)
    at = run_page(PAGE, empty_db_path, role="admin")
    at.selectbox(key="admin_audit.actor").select("alice").run()
    assert list(at.dataframe[0].value["Action"]) == ["wave opened", "signed in"]
    at.multiselect(key="admin_audit.actions").select("sign_in").run()
    assert list(at.dataframe[0].value["Action"]) == ["signed in"]
    at.selectbox(key="admin_audit.actor").select("bob").run()
    assert "No events match" in at.info[0].value


def test_the_log_of_the_demo_database_holds_no_survey_answers(demo_db_path):
    db = Database(demo_db_path)
    comment = db.connection().execute("SELECT text FROM comments LIMIT 1").fetchone()[0]
    db.close()
    at = run_page(PAGE, demo_db_path, role="admin", lang="zh")
    assert at.title[0].value == "审计日志"
    shown = " ".join(str(v) for v in (at.dataframe[0].value.to_numpy().ravel() if at.dataframe else []))
    assert comment not in shown
