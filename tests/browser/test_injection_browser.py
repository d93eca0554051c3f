"""Markup and script typed by people (comments) or admins (department names) are shown as text in
the real browser: on Overview (the heatmap), Hotspots and the Department report, no injected element
appears and no injected script runs.

The payloads go into a copy of the demo database before the server starts: a department's names, and
every comment of the latest wave (so whatever cell a page opens on, its comments carry them).
"""

import pytest

from data.db import Database
from tests.conftest import add_test_user, screenshot, set_comments, sign_in, wait_for_app

IMG = "<img src=x onerror=window.__pwned=1>"
SCRIPT = "<script>window.__pwned=1</script>"
LINK = "[click me](javascript:window.__pwned=1)"
WAVE = "2026-Q4"
PROBE = """() => ({
    pwned: typeof window.__pwned !== 'undefined',
    images: document.querySelectorAll('img[src="x"], img[onerror], [onerror]').length,
    scripts: [...document.querySelectorAll('script')].filter(s => s.textContent.includes('__pwned')).length,
    links: document.querySelectorAll('a[href^="javascript"]').length,
    named_links: [...document.querySelectorAll('[data-testid="stMain"] a')].filter(
        a => a.textContent.includes('click me')).length,
    text: document.body.innerText,
    svg: [...document.querySelectorAll('svg text')].map(t => t.textContent).join(' '),
})"""


def _plant(db_path) -> None:
    db = Database(db_path)
    con = db.connection()
    con.execute("UPDATE departments SET name_en = ?, name_zh = ? WHERE code = 'LOG'", [IMG + " Logistics", SCRIPT])
    con.execute("UPDATE departments SET name_en = ? WHERE code = 'QA'", [LINK])
    ids = [
        row[0]
        for row in con.execute(
            "SELECT CAST(response_id AS VARCHAR) FROM responses WHERE wave_id = ?", [WAVE]
        ).fetchall()
    ]
    set_comments(db, ids, change=IMG + " please reply sooner", need=SCRIPT + " " + LINK)
    db.close()
    add_test_user(db_path, "lead", "leader")


@pytest.mark.browser
def test_markup_in_names_and_comments_is_shown_as_text(demo_db_path, live_server_factory, page):
    _plant(demo_db_path)
    server = live_server_factory(demo_db_path)
    sign_in(page, server.url, "lead")
    seen_text = ""
    for url_path in ("overview", "hotspots", "department"):
        page.goto(f"{server.url}/{url_path}")
        wait_for_app(page)
        page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=60000)
        if url_path == "overview":  # the heatmap's axis labels are the department names
            page.locator('[data-testid="stPlotlyChart"] .xtick text').first.wait_for(timeout=60000)
        if url_path == "department":  # the comments come last on the page
            page.get_by_text("please reply sooner").first.wait_for(timeout=60000)
        page.wait_for_timeout(1000)
        wait_for_app(page)
        found = page.evaluate(PROBE)
        if url_path == "overview":
            assert IMG + " Logistics" in found["svg"] or "Logistics" in found["svg"], found["svg"][:500]
        screenshot(page, f"injection_{url_path}_en")
        assert not found["pwned"], url_path
        assert found["images"] == 0 and found["scripts"] == 0 and found["links"] == 0, (url_path, found)
        # a name written as a Markdown link is shown as typed, not turned into a link
        assert found["named_links"] == 0, url_path
        seen_text += found["text"] + " " + found["svg"]
    # the payloads are there, as the characters people typed
    assert "<img src=x onerror=window.__pwned=1> Logistics" in seen_text
    assert "please reply sooner" in seen_text and "<script>window.__pwned=1</script>" in seen_text


# Issue 16, problem 6: Plotly reads names as its own HTML (links, bold), GFM turns bare URLs into links
# after Markdown escaping, and a display name is Markdown in the sidebar.
HTML_LINK = '<a href="https://evil.example/a">Legal</a>'
BOLD = "<b>BOLDNAME</b>"
AUTOLINK = "see https://evil.example/auto or www.evil.example"
MD_NAME = "[Boss](https://evil.example/boss)"
LINK_PROBE = """() => ({
    evil_links: [...document.querySelectorAll('a')].filter(a => ((a.getAttribute('href') || '')
        + (a.getAttribute('xlink:href') || '')).includes('evil.example')).length,
    bold: [...document.querySelectorAll('svg tspan, svg text, b, strong')].filter(
        e => e.textContent.trim() === 'BOLDNAME').length,
    text: document.body.innerText,
    svg: [...document.querySelectorAll('svg text')].map(t => t.textContent).join(' '),
})"""


def _plant_links(db_path) -> None:
    db = Database(db_path)
    con = db.connection()
    con.execute("UPDATE departments SET name_en = ? WHERE code = 'LOG'", [HTML_LINK])
    con.execute("UPDATE departments SET name_en = ? WHERE code = 'QA'", [BOLD])
    con.execute("UPDATE departments SET name_en = ? WHERE code = 'HR'", [AUTOLINK])
    db.close()
    db = Database(db_path)
    from argon2 import PasswordHasher

    db.connection().execute(
        "INSERT INTO users (username, display_name, role, password_hash) VALUES (?, ?, ?, ?)",
        ["lead", MD_NAME, "leader", PasswordHasher().hash("correct horse battery")],
    )
    db.close()


@pytest.mark.browser
def test_links_bold_and_bare_urls_in_names_are_shown_as_text(demo_db_path, live_server_factory, page):
    _plant_links(demo_db_path)
    server = live_server_factory(demo_db_path)
    sign_in(page, server.url, "lead")
    seen = ""
    for url_path in ("overview", "hotspots", "department", "network", "trends"):
        page.goto(f"{server.url}/{url_path}")
        wait_for_app(page)
        page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=60000)
        if url_path in ("overview", "network"):
            page.locator('[data-testid="stPlotlyChart"] svg text').first.wait_for(timeout=60000)
        page.wait_for_timeout(1000)
        wait_for_app(page)
        found = page.evaluate(LINK_PROBE)
        screenshot(page, f"injection_links_{url_path}_en")
        assert found["evil_links"] == 0, (url_path, found["evil_links"])
        assert found["bold"] == 0, url_path
        seen += found["text"] + " " + found["svg"]
    assert "BOLDNAME" in seen and "Legal" in seen and "evil.example" in seen
    assert "[Boss](https://evil.example/boss)" in seen.replace("\u2060", "")  # the sidebar's display name, as typed
