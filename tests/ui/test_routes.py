"""The sign-in and sign-out routes and the upload guard, called as HTTP requests on the ASGI app
(ui/routes.py) against a temporary database."""

from __future__ import annotations

import os

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from data.audit import list_events
from data.sessions import session_user, start_session
from tests.conftest import add_test_user, call_asgi
from ui.routes import MIN_ANSWER_SECONDS, SESSION_COOKIE, UploadGuard, auth_routes

PASSWORD = "correct horse battery"
ORIGIN = {"Origin": "http://127.0.0.1:8501"}


@pytest.fixture
def app_db(empty_db_path, monkeypatch):
    """The routes' database (ui.connection.get_database) on a fresh file with alice (analyst)."""
    add_test_user(empty_db_path, "alice", "analyst", PASSWORD)
    monkeypatch.setitem(os.environ, "ICSAT_DB", str(empty_db_path))
    from ui.connection import get_database

    get_database.clear()
    yield get_database()
    get_database.clear()


def _app() -> Starlette:
    async def upload(request):
        return PlainTextResponse("stored")

    routes = [*auth_routes(), Route("/_stcore/upload_file/{session}/{file}", upload, methods=["PUT"])]
    return Starlette(routes=routes, middleware=[Middleware(UploadGuard)])


def _cookie(headers: list[tuple[str, str]]) -> str | None:
    values = [v for k, v in headers if k == "set-cookie" and v.startswith(f"{SESSION_COOKIE}=")]
    return values[0] if values else None


def _location(headers) -> str:
    return dict(headers)["location"]


def _sign_in(username: str, password: str, headers: dict | None = None, client=None):
    return call_asgi(
        _app(),
        "POST",
        "/auth/sign-in",
        form={"username": username, "password": password},
        headers={**ORIGIN, **(headers or {})},
        client=client,
    )


def test_the_right_password_sets_an_http_only_strict_expiring_cookie_and_is_audited(app_db):
    status, headers, _ = _sign_in("Alice ", PASSWORD)
    assert status == 303 and _location(headers) == "/overview"
    cookie = _cookie(headers)
    assert cookie is not None
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "max-age=28800" in flags and "path=/" in flags
    assert "secure" not in flags  # plain HTTP here; over HTTPS the cookie is Secure
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 43  # 256 random bits
    assert session_user(app_db, token)["username"] == "alice"
    stored = app_db.connection().execute("SELECT session_hash FROM sign_in_sessions").fetchall()
    assert stored and token not in {row[0] for row in stored}  # only its hash is kept
    assert list(list_events(app_db, actions=["sign_in"])["actor"]) == ["alice"]


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer_and_no_cookie(app_db):
    wrong = _sign_in("alice", "not the password")
    unknown = _sign_in("nobody", PASSWORD)
    assert wrong[0] == unknown[0] == 303
    assert _location(wrong[1]) == _location(unknown[1]) == "/sign_in?problem=auth_failed"
    assert _cookie(wrong[1]) is None and _cookie(unknown[1]) is None
    assert sorted(list_events(app_db, actions=["sign_in_failed"])["actor"]) == ["alice", "nobody"]


def test_a_sign_in_from_another_site_is_refused_before_the_password_is_checked(app_db):
    status, headers, _ = _sign_in("alice", PASSWORD, headers={"Origin": "http://evil.example"})
    assert status == 303 and _location(headers) == "/sign_in?problem=auth_refused_request"
    assert _cookie(headers) is None
    assert list_events(app_db).empty


def test_a_cookie_sent_with_the_sign_in_is_ended_not_adopted(app_db):
    earlier = start_session(app_db, "alice")
    _, headers, _ = _sign_in("alice", PASSWORD, headers={"Cookie": f"{SESSION_COOKIE}={earlier}"})
    new = _cookie(headers).split(";")[0].split("=", 1)[1]
    assert new != earlier
    assert session_user(app_db, earlier) is None and session_user(app_db, new)["username"] == "alice"


def test_sign_out_ends_the_session_and_deletes_the_cookie(app_db):
    token = start_session(app_db, "alice")
    status, headers, _ = call_asgi(
        _app(), "POST", "/auth/sign-out", headers={**ORIGIN, "Cookie": f"{SESSION_COOKIE}={token}"}
    )
    assert status == 303 and _location(headers) == "/sign_in?signed_out=1"
    assert _cookie(headers).startswith(f'{SESSION_COOKIE}=""') and "max-age=0" in _cookie(headers).lower()
    assert session_user(app_db, token) is None
    assert list(list_events(app_db, actions=["sign_out"])["actor"]) == ["alice"]


def test_every_answer_takes_at_least_the_minimum_time(app_db):
    import time

    for username, password in [("alice", PASSWORD), ("alice", "wrong wrong"), ("nobody", "wrong wrong")]:
        started = time.monotonic()
        _sign_in(username, password)
        assert time.monotonic() - started >= MIN_ANSWER_SECONDS


def test_uploads_need_a_signed_in_session_whose_role_may_upload(app_db):
    from data.users import add_user

    add_user(app_db, "lead", "leader", password="a leader's long passphrase")
    path = "/_stcore/upload_file/some-session/some-file"
    assert call_asgi(_app(), "PUT", path)[0] == 403  # a survey visitor: no session
    bogus = {"Cookie": f"{SESSION_COOKIE}=made-up-value"}
    assert call_asgi(_app(), "PUT", path, headers=bogus)[0] == 403
    leader = {"Cookie": f"{SESSION_COOKIE}={start_session(app_db, 'lead')}"}
    assert call_asgi(_app(), "PUT", path, headers=leader)[0] == 403
    analyst = {"Cookie": f"{SESSION_COOKIE}={start_session(app_db, 'alice')}"}
    assert call_asgi(_app(), "PUT", path, headers=analyst)[:1] == (200,)


def test_a_single_sign_on_analyst_may_upload_and_a_forged_sso_cookie_may_not(app_db, monkeypatch):
    from streamlit.web.server.starlette import starlette_auth_routes as auth

    from data.users import add_user

    add_user(app_db, "li.na", "analyst", email="li.na@example.com")
    signed = {"good-signature": b'{"is_logged_in": true, "email": "Li.Na@example.com"}'}
    # Streamlit's reader returns the payload only when the signature checks out (else None)
    monkeypatch.setattr(auth, "_get_cookie_value_from_request", lambda request, name: signed.get(request.cookies[name]))
    path = "/_stcore/upload_file/some-session/some-file"
    good = {"Cookie": f"{auth.USER_COOKIE_NAME}=good-signature"}
    forged = {"Cookie": f"{auth.USER_COOKIE_NAME}=forged"}
    assert call_asgi(_app(), "PUT", path, headers=good)[0] == 200
    assert call_asgi(_app(), "PUT", path, headers=forged)[0] == 403


def test_the_language_chosen_on_the_sign_in_page_comes_back_with_the_answer(app_db):
    def answer(form):
        return dict(call_asgi(_app(), "POST", "/auth/sign-in", form=form, headers=ORIGIN)[1])["location"]

    assert answer({"username": "alice", "password": PASSWORD, "lang": "zh"}) == "/overview?lang=zh"
    assert (
        answer({"username": "alice", "password": "wrong wrong", "lang": "zh"}) == "/sign_in?problem=auth_failed&lang=zh"
    )
    assert answer({"username": "alice", "password": PASSWORD, "lang": "<script>"}) == "/overview"  # our languages only


def test_a_sign_in_answers_with_the_account_s_first_page_not_the_root(app_db):
    # straight to the first page of the menu (the Overview for every role that signs in), not to
    # the root, which only switches to it: on a large organisation that was one script run and a
    # round trip more before the Overview was drawn (bench/pages.py)
    from ui.navigation import home_page

    assert {home_page(role).url_path for role in ("leader", "analyst", "admin")} == {"overview"}
    status, headers, _ = _sign_in("alice", PASSWORD)
    assert status == 303 and _location(headers) == "/overview"


def test_a_huge_sign_in_body_is_refused_unread(app_db):
    status, _, _ = _sign_in("alice", "x" * 100_000)
    assert status == 413
    assert list_events(app_db).empty  # refused before any attempt was counted
    status, headers, _ = _sign_in("alice", PASSWORD)  # a normal one: its body read once, then parsed
    assert status == 303 and _location(headers) == "/overview"
