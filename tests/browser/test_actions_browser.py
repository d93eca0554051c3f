"""The action-plan loop in the real server and Chromium, on the demo data with its demo accounts: a
plan from the top hotspot, both owners accept, a meeting recorded, a commitment done, a later wave
imported with `cli.py import-responses`, the verdict shown. Screenshots (en, zh; desktop 1440x900 and
phone 390x844) go to tests/artifacts/."""

import pytest

import cli
from tests.conftest import screenshot, sign_in, wait_for_app
from tests.views.test_actions import _later_wave_from

pytestmark = pytest.mark.browser
DESKTOP, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}


def _main(pg) -> str:
    return pg.locator('[data-testid="stMain"]').inner_text()


def _menu(pg, base_url: str, path: str, expected: str) -> None:
    # by address: a menu click made while the previous page still runs is sometimes lost
    pg.goto(f"{base_url}/{path}")
    pg.get_by_text(expected, exact=True).first.wait_for(timeout=120000)
    wait_for_app(pg)


def _choose(pg, label: str, option: str, *, within: str | None = None) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    scope = pg.locator('[data-testid="stExpander"]').filter(has_text=within) if within else pg
    box = scope.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    wait_for_app(pg)
    for _ in range(3):  # a click while the page redraws may not open the list: open it again
        box.click()
        try:
            pg.get_by_role("option", name=option, exact=True).click(timeout=10000)
            return
        except PlaywrightTimeout:
            pg.keyboard.press("Escape")
    raise AssertionError(f"could not choose {option!r} in {label!r}")


def _expand(pg, title: str) -> None:
    """Open an expander, again if a redraw closed it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    expander = pg.locator('[data-testid="stExpander"]').filter(has_text=title).first
    details = expander.locator('[data-testid="stExpanderDetails"]')
    wait_for_app(pg)
    for _ in range(3):
        if details.is_visible():
            return
        expander.get_by_text(title, exact=True).click()
        try:
            details.wait_for(state="visible", timeout=5000)
        except PlaywrightTimeout:
            wait_for_app(pg)
    assert details.is_visible(), title


def _click(pg, name: str, then: str) -> None:
    button = pg.get_by_role("button", name=name, exact=True)
    try:
        button.wait_for(timeout=30000)
    except Exception:
        screenshot(pg, f"actions_failed_before_{name.replace(' ', '_')}")
        raise
    button.click()
    pg.get_by_text(then).first.wait_for(timeout=60000)
    wait_for_app(pg)
    assert "Traceback" not in pg.content()


def _sidebar_closed(pg) -> None:
    """On a phone-sized window the menu slides away: wait until it is out of sight."""
    wait_for_app(pg)
    pg.wait_for_function(
        "() => { const s = document.querySelector('[data-testid=\"stSidebar\"]');"
        " return !s || s.getBoundingClientRect().right <= 1; }",
        timeout=30000,
    )


def _sign_out(pg) -> None:
    pg.get_by_role("button", name="Sign out").click()
    pg.get_by_label("Username").wait_for(timeout=30000)


def test_the_action_plan_loop_in_the_browser(demo_db_path, live_server_factory, page, tmp_path):
    assert cli.main(["demo-users", "--db", str(demo_db_path)]) == 0  # the demo accounts and demo plans
    server = live_server_factory(demo_db_path)
    page.set_viewport_size(DESKTOP)
    sign_in(page, server.url, "demo-leader", "icsat-demo-leader")
    _menu(page, server.url, "hotspots", "Both directions")  # the pair shown first is the top hotspot
    _click(page, "Start an action plan for this pair", "Start an action plan")
    focus = page.locator("textarea").first
    focus.wait_for(timeout=30000)
    # the top hotspot of 2026 Q4: Customer Service rates Logistics (declining since 2026 Q3)
    assert focus.input_value().startswith("Customer Service → Logistics: mean satisfaction")
    page.get_by_label("Title", exact=True).first.fill("Deliveries Customer Service can promise")
    _choose(page, "Owner for Customer Service", "demo-leader")
    _click(page, "Create the plan", "Plan created")
    _click(page, "Accept for Customer Service", "The plan is agreed when the other side accepts too")
    screenshot(page, "actions_plan_en")
    _sign_out(page)
    sign_in(page, server.url, "demo-admin", "icsat-demo-admin")
    _menu(page, server.url, "actions", "All plans")
    _click(page, "Accept for Logistics", "both sides agree, the plan is agreed")
    _expand(page, "Record a meeting")
    meeting = page.locator('[data-testid="stExpander"]').filter(has_text="Record a meeting").first
    meeting.get_by_label("Decisions").fill("Forecast on Mondays; dates confirmed within two days")
    _click(page, "Record", "Meeting recorded.")
    _expand(page, "Add a commitment")
    page.get_by_label("Commitment", exact=True).first.fill("Confirm dates within two days")
    _choose(page, "Side", "Logistics", within="Add a commitment")
    due = page.locator('[data-testid="stDateInput"]').filter(has_text="Due").locator("input")
    due.fill("2027-01-31")
    due.press("Tab")  # Enter in a form would submit it before the other fields are read
    _click(page, "Add", "Commitment added.")
    _expand(page, "Update a commitment")
    _choose(page, "Status", "done", within="Update a commitment")
    _click(page, "Save", "Commitment updated.")
    main = _main(page)
    assert "Commitment updated." in main  # tables are drawn on a canvas: their cells are checked in AppTest
    server.stop()

    # a later wave closes: imported with cli.py import-responses while the app is stopped
    _later_wave_from(demo_db_path, tmp_path, rater="CS", provider="LOG")
    server = live_server_factory(demo_db_path)
    # still signed in: the session lives in the database, its cookie in the browser
    _menu(page, server.url, "actions", "All plans")
    page.get_by_text("Improved", exact=False).first.wait_for(timeout=60000)
    main = _main(page)
    assert "improved" in main.lower() and "Read with caution" in main
    screenshot(page, "actions_desktop_en")
    page.set_viewport_size(PHONE)
    _sidebar_closed(page)
    screenshot(page, "actions_phone_en")
    page.set_viewport_size(DESKTOP)
    page.get_by_text("中文", exact=True).click()
    page.get_by_text("全部计划").first.wait_for(timeout=30000)
    wait_for_app(page)
    main = _main(page)
    assert "actions_" not in main and "已改善" in main
    screenshot(page, "actions_desktop_zh")
    page.set_viewport_size(PHONE)
    _sidebar_closed(page)
    screenshot(page, "actions_phone_zh")
