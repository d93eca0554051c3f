"""The sign-in page, sessions (the cookie session and the server-side one of single sign-on), expiry,
and changes to an account taking effect."""

import datetime as dt

from data.audit import list_events
from data.db import Database
from data.users import add_user, set_active, set_role
from tests.conftest import add_test_user, run_page

PASSWORD = "correct horse battery"


def _events(db_path, action: str) -> list[str]:
    db = Database(db_path)
    events = list_events(db, actions=[action])
    db.close()
    return list(events["actor"])


def _form(at) -> str:
    return "".join(h.proto.body for h in at.get("html") if "icsat-sign-in" in h.proto.body)


def test_the_sign_in_page_posts_a_form_with_the_labels_the_browser_tests_use(empty_db_path):
    at = run_page("views/sign_in.py", empty_db_path, role=None)
    form = _form(at)
    assert 'method="post" action="/auth/sign-in"' in form  # the route that can set an HttpOnly cookie
    assert 'name="username"' in form and 'name="password" type="password"' in form
    assert ">Username</label>" in form and ">Password</label>" in form and ">Sign in</button>" in form
    zh = _form(run_page("views/sign_in.py", empty_db_path, role=None, lang="zh"))
    assert ">用户名</label>" in zh and ">密码</label>" in zh and ">登录</button>" in zh


def test_the_route_s_answers_are_worded_on_the_page(empty_db_path):
    at = run_page("views/sign_in.py", empty_db_path, role=None, query={"problem": "auth_failed"})
    assert "Sign-in failed" in at.error[0].value
    at = run_page("views/sign_in.py", empty_db_path, role=None, query={"problem": "auth_throttled", "wait": "8"})
    assert "wait 8 seconds" in at.error[0].value
    at = run_page("views/sign_in.py", empty_db_path, role=None, query={"problem": "<b>made up</b>"})
    assert not at.error  # only our own problem keys are shown
    at = run_page("views/sign_in.py", empty_db_path, role=None, query={"signed_out": "1"})
    assert [s.value for s in at.success] == ["You have signed out."]


def _cookie_session(monkeypatch, db_path, username: str, **kwargs) -> str:
    """Pretend the browser sent the session cookie of a session started for `username`."""
    import ui.access
    from data.sessions import start_session

    db = Database(db_path)
    token = start_session(db, username, **kwargs)
    db.close()
    monkeypatch.setattr(ui.access, "_session_cookie", lambda: token)
    return token


def test_a_cookie_session_signs_in_and_a_made_up_value_does_not(empty_db_path, monkeypatch):
    add_test_user(empty_db_path, "alice", "admin", PASSWORD)
    _cookie_session(monkeypatch, empty_db_path, "alice")
    at = run_page("views/admin_users.py", empty_db_path, role=None)
    assert not at.warning and not at.error
    assert "auth.user" not in at.session_state  # looked up on every run, not copied into the session
    import ui.access

    monkeypatch.setattr(ui.access, "_session_cookie", lambda: "a-value-the-server-never-issued")
    at = run_page("views/admin_users.py", empty_db_path, role=None)
    assert [w.value for w in at.warning] == ["Please sign in to see this page."]


def test_an_expired_cookie_session_is_ended_audited_and_explained(empty_db_path, monkeypatch):
    add_test_user(empty_db_path, "alice", "admin", PASSWORD)
    nine_hours_ago = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=9)
    _cookie_session(monkeypatch, empty_db_path, "alice", now=nine_hours_ago)
    at = run_page("views/admin_users.py", empty_db_path, role=None)
    assert [w.value for w in at.warning] == ["Please sign in to see this page."]
    assert _events(empty_db_path, "session_expired") == ["alice"]
    at = run_page("views/sign_in.py", empty_db_path, role=None, state={"auth.expired": True})
    assert "session has ended" in at.info[0].value


def test_disabling_an_account_or_changing_its_role_applies_to_its_cookie_session(empty_db_path, monkeypatch):
    db = Database(empty_db_path)
    add_user(db, "boss", "admin", password=PASSWORD)
    add_user(db, "alice", "admin", password=PASSWORD)
    db.close()
    _cookie_session(monkeypatch, empty_db_path, "alice")
    assert not run_page("views/admin_users.py", empty_db_path, role=None).error
    db = Database(empty_db_path)
    set_role(db, "alice", "leader")
    db.close()
    at = run_page("views/admin_users.py", empty_db_path, role=None)
    assert [e.value for e in at.error] == ["Your role does not give access to this page."]
    db = Database(empty_db_path)
    set_active(db, "alice", False)
    db.close()
    at = run_page("views/overview.py", empty_db_path, role=None)
    assert [w.value for w in at.warning] == ["Please sign in to see this page."]


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


def test_the_sign_in_form_carries_the_language_and_the_answer_comes_back_in_it(empty_db_path):
    assert 'name="lang" value="zh"' in _form(run_page("views/sign_in.py", empty_db_path, role=None, lang="zh"))
    # the whole app (router.py sets the language before the page runs), as a browser's first run
    at = run_page(
        "router.py",
        empty_db_path,
        role=None,
        query={"problem": "auth_failed", "lang": "zh"},
        state={"lang_chosen": False},
    )
    assert at.session_state["lang"] == "zh" and at.session_state["lang_chosen"] is True
    assert "lang" not in at.query_params
