"""The HTTP side of signing in: routes and middleware that app.py adds to Streamlit's own (st.App).

A Streamlit script cannot set cookies, so the sign-in form posts to `POST /auth/sign-in` here, which
checks the password (data/users.verify: counted, braked, audited) and answers with a redirect that
sets the session cookie: a new random value each time (data/sessions.py keeps only its hash),
HttpOnly (no page script can read it, not even one from another port of the same host), SameSite=
Strict, Secure when the request came over HTTPS, expiring with the session. A cookie the browser
sent before is ended first, so a planted or old value is never carried over. `POST /auth/sign-out`
deletes the session and the cookie. Both refuse a request whose Origin is not this app (a page on
another site cannot sign someone in or out). The pages read the cookie through `st.context.cookies`
(ui/access.py).

The upload guard refuses Streamlit's file-upload endpoint to any browser without a signed-in session
(password, or single sign-on) whose role may upload: a survey session cannot fill the server's memory.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from html import escape
from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit import config

from data.audit import record_event
from data.sessions import SESSION_HOURS, end_session, session_user, start_session
from data.users import user_for_email, verify
from ui.connection import get_database
from ui.i18n import LANGUAGES

SESSION_COOKIE = "icsat_session"
UPLOAD_ROLES = ("analyst", "admin")  # the roles whose pages have file uploaders (imports)
# Every answer to a sign-in attempt takes at least this long, whatever happened (unknown name, wrong
# password, throttled, right password), so the time tells nothing; above one argon2 check on a busy
# two-core machine.
MIN_ANSWER_SECONDS = 0.35
_PROBLEMS = ("auth_failed", "auth_missing", "auth_throttled", "auth_refused_request")


def base_path() -> str:
    """The server's base URL path ('' or '/something'), as Streamlit's server.baseUrlPath sets it."""
    value = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{value}" if value else ""


def sign_in_action() -> str:
    """Where the sign-in form posts."""
    return f"{base_path()}/auth/sign-in"


def sign_out_action() -> str:
    """Where the sign-out button posts."""
    return f"{base_path()}/auth/sign-out"


def sign_in_form(username_label: str, password_label: str, submit_label: str, lang: str) -> str:
    """The sign-in form's HTML for the sign-in page: labels in the page's language (escaped), the
    field names `_sign_in` reads, and the language, so that the answer comes back in it."""
    return (
        f'<form method="post" action="{escape(sign_in_action())}" class="icsat-sign-in">'
        f'<input type="hidden" name="lang" value="{escape(lang)}">'
        f'<label for="icsat-username">{escape(username_label)}</label>'
        '<input id="icsat-username" name="username" autocomplete="username" maxlength="64" required>'
        f'<label for="icsat-password">{escape(password_label)}</label>'
        '<input id="icsat-password" name="password" type="password" autocomplete="current-password"'
        ' maxlength="256" required>'
        f'<button type="submit">{escape(submit_label)}</button></form>'
        "<style>.icsat-sign-in {display: flex; flex-direction: column; gap: 0.4rem; max-width: 24rem;}"
        " .icsat-sign-in input {padding: 0.5rem; border-radius: 0.5rem; border: 1px solid rgba(49, 51, 63, 0.2);"
        " font: inherit; background: rgb(240, 242, 246);}"
        " .icsat-sign-in button {margin-top: 0.6rem; align-self: flex-start; padding: 0.4rem 1rem;"
        " border-radius: 0.5rem; border: none; background: rgb(255, 75, 75); color: white; font: inherit;"
        " cursor: pointer;}</style>"
    )


def _same_origin(request: Request) -> bool:
    """The request came from a page of this app: its Origin (or, without one, its Referer) names
    this host. A form on another site posting here fails this."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    host = request.headers.get("host", "")
    return bool(host) and urlsplit(source).netloc == host


MAX_SIGN_IN_BYTES = 16 * 1024  # a username, a password of 256 characters and the language: far less


async def _small_body(request: Request) -> bool:
    """Read the body (kept by Starlette for `request.form()`) only up to MAX_SIGN_IN_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_SIGN_IN_BYTES:
        return False
    size = 0
    chunks = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_SIGN_IN_BYTES:
            return False
        chunks.append(chunk)
    request._body = b"".join(chunks)  # what Request.body() caches; form() reads it from there
    return True


def _client_address(request: Request) -> str:
    # Behind a reverse proxy uvicorn puts the X-Forwarded-For address here for trusted proxies only
    # (--forwarded-allow-ips); see deploy/nginx.conf.
    return request.client.host if request.client else "-"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or bool(config.get_option("server.sslCertFile"))


def _to_sign_in_page(**query: str) -> RedirectResponse:
    suffix = f"?{urlencode(query)}" if query else ""
    return RedirectResponse(f"{base_path()}/sign_in{suffix}", status_code=303)


def _end_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=base_path() or "/", secure=_secure(request), httponly=True, samesite="strict"
    )


async def _sign_in(request: Request) -> Response:
    started = time.monotonic()
    if not _same_origin(request):
        return _to_sign_in_page(problem="auth_refused_request")
    if not await _small_body(request):
        return PlainTextResponse("A sign-in is a few hundred bytes.", 413)
    form = await request.form(max_files=0, max_fields=8)
    username = str(form.get("username") or "")[:64]
    password = str(form.get("password") or "")[:256]
    # the page's language comes along, so the answer is in the language the person chose
    chosen = {"lang": str(form.get("lang"))} if form.get("lang") in LANGUAGES else {}
    old_token = request.cookies.get(SESSION_COOKIE)
    if not username.strip() or not password:
        return _to_sign_in_page(problem="auth_missing", **chosen)
    db = get_database()
    result = await run_in_threadpool(verify, db, username, password, address=_client_address(request))
    token = None
    if result.status == "ok":
        # Rotation: whatever value the browser brought (planted, or an earlier session) is ended and
        # replaced by a new one issued here.
        await run_in_threadpool(end_session, db, old_token)
        token = await run_in_threadpool(start_session, db, result.user["username"], "password")
    remaining = MIN_ANSWER_SECONDS - (time.monotonic() - started)
    if remaining > 0:
        await asyncio.sleep(remaining)
    if token is None:
        if result.status == "throttled":
            wait = str(max(1, math.ceil(result.wait_seconds)))
            return _to_sign_in_page(problem="auth_throttled", wait=wait, **chosen)
        return _to_sign_in_page(problem="auth_failed", **chosen)
    from ui.navigation import home_page  # here: ui.navigation reads ui.access, which reads this module

    # straight to the account's first page: the root only switches to it, one script run and a
    # round trip more before the Overview is drawn (bench/pages.py, "Overview after sign-in")
    home = home_page(result.user["role"])
    suffix = f"?{urlencode(chosen)}" if chosen else ""
    response = RedirectResponse(f"{base_path()}/{home.url_path if home else ''}{suffix}", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
        path=base_path() or "/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    return response


async def _sign_out(request: Request) -> Response:
    if not _same_origin(request):
        return _to_sign_in_page(problem="auth_refused_request")
    db = get_database()
    username = await run_in_threadpool(end_session, db, request.cookies.get(SESSION_COOKIE))
    if username:
        await run_in_threadpool(record_event, db, username, "sign_out")
    response = _to_sign_in_page(signed_out="1")
    _end_cookie(response, request)
    return response


def auth_routes() -> list[Route]:
    """The sign-in and sign-out routes (POST only)."""
    return [
        Route(sign_in_action(), _sign_in, methods=["POST"]),
        Route(sign_out_action(), _sign_out, methods=["POST"]),
    ]


def problem_from_query(value: object) -> str | None:
    """A sign-in page's problem key from its URL, only when it is one of ours."""
    return str(value) if value in _PROBLEMS else None


def _uploading_user(request: Request) -> dict | None:
    """The account behind a request: its password session cookie, or its single-sign-on cookie."""
    return session_user(get_database(), request.cookies.get(SESSION_COOKIE)) or _sso_account(request)


def _sso_account(request: Request) -> dict | None:
    """The active account of a browser signed in through single sign-on, or None.

    Streamlit keeps that sign-in in its own signed cookie (`_streamlit_user`, HttpOnly); its reader
    checks the signature with the server's cookie secret. It is a private helper of Streamlit: if a
    later version moves it, single-sign-on users lose uploads rather than get unchecked ones.
    """
    try:
        from streamlit.web.server.starlette import starlette_auth_routes as auth
    except ImportError:
        return None
    reader = getattr(auth, "_get_cookie_value_from_request", None)
    name = getattr(auth, "USER_COOKIE_NAME", None)
    if reader is None or name is None or name not in request.cookies:
        return None
    try:
        payload = json.loads(reader(request, name) or b"{}")
    except (ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or not payload.get("is_logged_in") or not payload.get("email"):
        return None
    return user_for_email(get_database(), str(payload["email"]))


class UploadGuard:
    """ASGI middleware: Streamlit's upload endpoint only for a signed-in session whose role may upload.

    Streamlit keeps uploaded files in memory for any live session; a survey visitor (no account)
    could fill the server's memory. This answers 403 before any byte of the body is read.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(f"{base_path()}/_stcore/upload_file"):
            request = Request(scope)
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                user = await run_in_threadpool(_uploading_user, request)
                if user is None or user["role"] not in UPLOAD_ROLES:
                    await PlainTextResponse("Uploads need a signed-in account that may upload.", 403)(
                        scope, receive, send
                    )
                    return
        await self.app(scope, receive, send)
