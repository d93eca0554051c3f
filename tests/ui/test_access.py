"""Signing in and out through the sign-in page, session expiry, and changes to an account taking effect."""

import datetime as dt

from data.audit import list_events
from data.db import Database
from data.users import add_user, set_active, set_role
from tests.conftest import add_test_user, assert_serialisable_state, run_page

PASSWORD = "correct horse battery"


def _sign_in(at, username: str, password: str):
    inputs = {t.label: t for t in at.text_input}
    inputs["Username"].input(username)
    inputs["Password"].input(password)
    return at.button[0].click().run()


def _events(db_path, action: str) -> list[str]:
    db = Database(db_path)
    events = list_events(db, actions=[action])
    db.close()
    return list(events["actor"])


def test_the_sign_in_page_has_the_labels_the_browser_tests_use(empty_db_path):
    at = run_page("views/sign_in.py", empty_db_path, role=None)
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert [b.label for b in at.button] == ["Sign in"]
    zh = run_page("views/sign_in.py", empty_db_path, role=None, lang="zh")
    assert [t.label for t in zh.text_input] == ["用户名", "密码"]
    assert [b.label for b in zh.button] == ["登录"]


def test_the_right_password_signs_in_and_is_audited(empty_db_path):
    add_test_user(empty_db_path, "alice", "analyst", PASSWORD)
    at = _sign_in(run_page("views/sign_in.py", empty_db_path, role=None), "alice", PASSWORD)
    assert not at.exception
    user = at.session_state["auth.user"]
    assert user["username"] == "alice" and user["role"] == "analyst"
    assert set(user) == {"username", "display_name", "role", "signed_in_at"}  # nothing secret kept
    assert_serialisable_state(at)
    assert _events(empty_db_path, "sign_in") == ["alice"]


def test_a_wrong_password_and_an_unknown_name_get_the_same_message(empty_db_path):
    add_test_user(empty_db_path, "alice", "analyst", PASSWORD)
    wrong = _sign_in(run_page("views/sign_in.py", empty_db_path, role=None), "alice", "not the password")
    unknown = _sign_in(run_page("views/sign_in.py", empty_db_path, role=None), "nobody", PASSWORD)
    assert [e.value for e in wrong.error] == [e.value for e in unknown.error]
    assert "Sign-in failed" in wrong.error[0].value
    assert "auth.user" not in wrong.session_state
    assert wrong.session_state["sign_in.password"] == ""  # the typed password is not kept after the check
    assert sorted(_events(empty_db_path, "sign_in_failed")) == ["alice", "nobody"]


def test_a_locked_account_is_refused_even_with_the_right_password(empty_db_path):
    add_test_user(empty_db_path, "alice", "admin", PASSWORD)
    db = Database(empty_db_path)
    db.connection().execute(
        "UPDATE users SET locked_until = ? WHERE username = 'alice'",
        [dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=10)],
    )
    db.close()
    at = _sign_in(run_page("views/sign_in.py", empty_db_path, role=None), "alice", PASSWORD)
    assert "Sign-in failed" in at.error[0].value
    assert "auth.user" not in at.session_state


def test_an_expired_session_is_ended_and_the_sign_in_page_says_why(empty_db_path):
    old = (dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=9)).isoformat()
    state = {"auth.user": {"username": "alice", "display_name": "A", "role": "admin", "signed_in_at": old}}
    at = run_page("views/admin_users.py", empty_db_path, role=None, state=state)
    assert [w.value for w in at.warning] == ["Please sign in to see this page."]
    assert "auth.user" not in at.session_state
    at = run_page("views/sign_in.py", empty_db_path, role=None, state={"auth.expired": True})
    assert "session has ended" in at.info[0].value


def test_disabling_an_account_ends_its_session_and_a_role_change_applies_at_once(empty_db_path):
    db = Database(empty_db_path)
    add_user(db, "boss", "admin", password=PASSWORD)
    add_user(db, "alice", "admin", password=PASSWORD)
    db.close()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat()
    session = {"auth.user": {"username": "alice", "display_name": "Alice", "role": "admin", "signed_in_at": now}}
    assert not run_page("views/admin_users.py", empty_db_path, role=None, state=session).error

    db = Database(empty_db_path)
    set_role(db, "alice", "leader")
    db.close()
    at = run_page("views/admin_users.py", empty_db_path, role=None, state=session)
    assert [e.value for e in at.error] == ["Your role does not give access to this page."]
    assert at.session_state["auth.user"]["role"] == "leader"

    db = Database(empty_db_path)
    set_active(db, "alice", False)
    db.close()
    at = run_page("views/overview.py", empty_db_path, role=None, state=session)
    assert [w.value for w in at.warning] == ["Please sign in to see this page."]


def test_a_signed_in_visitor_on_the_sign_in_page_is_told_who_they_are(empty_db_path):
    at = run_page("views/sign_in.py", empty_db_path, role="leader")
    assert not at.text_input
    assert "Test leader" in at.success[0].value and "leadership" in at.success[0].value


def _single_sign_on(monkeypatch, email: str | None) -> None:
    """Pretend .streamlit/secrets.toml has [auth] and the identity provider reported `email`.
    (AppTest runs pages in this process, so the patched module is the one the pages import.)"""
    import ui.access

    monkeypatch.setattr(ui.access, "sso_enabled", lambda: True)
    monkeypatch.setattr(ui.access, "_sso_email", lambda: email)
    monkeypatch.setattr(ui.access, "_sso_logged_in", lambda: email is not None)


def test_with_single_sign_on_the_page_offers_it_instead_of_a_password(empty_db_path, monkeypatch):
    _single_sign_on(monkeypatch, None)
    at = run_page("views/sign_in.py", empty_db_path, role=None)
    assert [b.label for b in at.button] == ["Sign in with single sign-on"]
    assert not at.text_input


def test_a_single_sign_on_email_maps_to_its_account_and_role(empty_db_path, monkeypatch):
    db = Database(empty_db_path)
    add_user(db, "li.na", "analyst", display_name="Li Na", email="Li.Na@Example.com")
    db.close()
    _single_sign_on(monkeypatch, "li.na@example.com")
    at = run_page("views/overview.py", empty_db_path, role=None)
    assert not at.warning and not at.error
    assert at.session_state["auth.user"]["username"] == "li.na"
    assert at.session_state["auth.user"]["role"] == "analyst"
    assert _events(empty_db_path, "sign_in") == ["li.na"]


def test_a_single_sign_on_email_without_an_account_gets_no_access(empty_db_path, monkeypatch):
    _single_sign_on(monkeypatch, "stranger@example.com")
    at = run_page("views/overview.py", empty_db_path, role=None)
    assert [w.value for w in at.warning] == ["Please sign in to see this page."]
    at = run_page("views/sign_in.py", empty_db_path, role=None, state={"auth.sso_refused": "stranger@example.com"})
    assert "stranger@example.com" in at.error[0].value and "no ICSAT account" in at.error[0].value
    assert _events(empty_db_path, "sign_in_failed") == ["stranger@example.com"]
