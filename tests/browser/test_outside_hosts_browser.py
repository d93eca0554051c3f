"""Issue 16, problem 7: no page fetches anything from another host, and an error page offers no
outside links (Streamlit's own error display has "Ask Google" and "Ask ChatGPT" buttons that send the
error text away).

Every request the browser makes that is not to the app is blocked and recorded, on every page a
visitor, a staff member and an admin open.
"""

from __future__ import annotations

import pandas as pd
import pytest

from data.db import Database
from data.invitations import create_invitations
from tests.conftest import add_test_user, sign_in, wait_for_app
from ui.i18n import translate
from ui.navigation import PAGES

pytestmark = pytest.mark.browser


def _record_outside_requests(context, app_url: str) -> list[str]:
    outside: list[str] = []

    def handle(route):
        url = route.request.url
        if url.startswith(app_url) or url.startswith(app_url.replace("http", "ws")) or url.startswith("data:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", handle)
    return outside


def test_no_page_fetches_anything_from_another_host(demo_db_path, live_server_factory, browser):
    add_test_user(demo_db_path, "ada", "admin")
    db = Database(demo_db_path)
    roster = pd.DataFrame({"row": [2], "email": ["a@x"], "name": [""], "department": ["SALES"]})
    link = create_invitations(db, "2027-Q1", roster, base_url="http://x", expires_days=30)["link"].iloc[0]
    db.close()
    server = live_server_factory(demo_db_path)
    context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="en-GB")
    outside = _record_outside_requests(context, server.url)
    pg = context.new_page()
    # staff: the survey from a personal link, signed out
    pg.goto(f"{server.url}/survey?token={link.split('token=')[1]}")
    wait_for_app(pg)
    pg.get_by_text("Your department").first.wait_for(timeout=60000)
    wait_for_app(pg)
    # an admin: every page of the menu
    sign_in(pg, server.url, "ada")
    for entry in PAGES:
        if entry.signed_out_only:
            continue
        pg.goto(f"{server.url}/{entry.url_path}")
        wait_for_app(pg)
        pg.locator('[data-testid="stMain"] h1, [data-testid="stMain"] h2').first.wait_for(timeout=60000)
        wait_for_app(pg)
    context.close()
    assert outside == []


def test_an_error_page_says_so_plainly_without_outside_links(demo_db_path, live_server_factory, page):
    add_test_user(demo_db_path, "ada", "admin")
    db = Database(demo_db_path)
    # every results page fails (answers, since migration 0011 referenced by nothing, can be renamed)
    db.connection().execute("ALTER TABLE answers RENAME TO answers_gone")
    db.close()
    server = live_server_factory(demo_db_path)
    sign_in(page, server.url, "ada")
    page.goto(f"{server.url}/overview")
    wait_for_app(page)
    page.get_by_text(translate("error_generic", "en")).first.wait_for(timeout=60000)
    wait_for_app(page)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Google" not in text and "ChatGPT" not in text and "Traceback" not in text, text
    links = page.evaluate("() => [...document.querySelectorAll('a')].map(a => a.href)")
    assert all(href.startswith(server.url) for href in links), links
