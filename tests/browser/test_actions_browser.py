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


def _menu(pg, title: str, expected: str) -> None:
    pg.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    pg.get_by_text(expected).first.wait_for(timeout=60000)
    wait_for_app(pg)


def _choose(pg, label: str, option: str) -> None:
    pg.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    pg.get_by_role("option", name=option, exact=True).click()


def _click(pg, name: str, then: str) -> None:
    pg.get_by_role("button", name=name, exact=True).click()
    pg.get_by_text(then).first.wait_for(timeout=60000)
    wait_for_app(pg)
    assert "Traceback" not in pg.content()


def _sign_out(pg) -> None:
    pg.get_by_role("button", name="Sign out").click()
    pg.get_by_label("Username").wait_for(timeout=30000)


def test_the_action_plan_loop_in_the_browser(demo_db_path, live_server_factory, page, tmp_path):
    assert cli.main(["demo-users", "--db", str(demo_db_path)]) == 0  # the demo accounts and demo plans
    server = live_server_factory(demo_db_path)
    page.set_viewport_size(DESKTOP)
    sign_in(page, server.url, "demo-leader", "icsat-demo-leader")
    _menu(page, "Hotspots", "Both directions")  # the pair shown first is the top hotspot, Sales → Production
    _click(page, "Start an action plan for this pair", "Start an action plan")
    focus = page.get_by_label("Focus", exact=True)
    focus.wait_for(timeout=30000)
    assert focus.input_value().startswith("Sales → Production: mean satisfaction")
    page.get_by_label("Title", exact=True).fill("Dates Sales can promise, both ways")
    _choose(page, "Owner for Sales", "demo-leader")
    _click(page, "Create the plan", "Plan created")
    _click(page, "Accept for Sales", "The plan is agreed when the other side accepts too")
    screenshot(page, "actions_plan_en")
    _sign_out(page)
    sign_in(page, server.url, "demo-admin", "icsat-demo-admin")
    _menu(page, "Actions", "All plans")
    _click(page, "Accept for Production", "both sides agree, the plan is agreed")
    page.get_by_text("Record a meeting", exact=True).click()
    _choose(page, "Kind", "formal coordination meeting")
    page.get_by_label("Decisions").fill("Forecast on Mondays; dates confirmed within two days")
    _click(page, "Record", "Meeting recorded.")
    page.get_by_text("Add a commitment", exact=True).click()
    page.get_by_label("Commitment", exact=True).fill("Confirm dates within two days")
    _choose(page, "Side", "Production")
    due = page.locator('[data-testid="stDateInput"]').filter(has_text="Due").locator("input")
    due.fill("2027-01-31")
    due.press("Enter")
    _click(page, "Add", "Commitment added.")
    page.get_by_text("Update a commitment", exact=True).click()
    _choose(page, "Status", "done")
    _click(page, "Save", "Commitment updated.")
    main = _main(page)
    assert "formal coordination meeting" in main and "not measured yet" in main
    server.stop()

    # a later wave closes: imported with cli.py import-responses while the app is stopped
    _later_wave_from(demo_db_path, tmp_path)
    server = live_server_factory(demo_db_path)
    sign_in(page, server.url, "demo-admin", "icsat-demo-admin")
    _menu(page, "Actions", "All plans")
    page.get_by_text("Improved", exact=False).first.wait_for(timeout=60000)
    main = _main(page)
    assert "improved" in main.lower() and "Read with caution" in main
    screenshot(page, "actions_desktop_en")
    page.set_viewport_size(PHONE)
    wait_for_app(page)
    screenshot(page, "actions_phone_en")
    page.set_viewport_size(DESKTOP)
    page.get_by_text("中文", exact=True).click()
    page.get_by_text("全部计划").first.wait_for(timeout=30000)
    wait_for_app(page)
    main = _main(page)
    assert "actions_" not in main and "已改善" in main
    screenshot(page, "actions_desktop_zh")
    page.set_viewport_size(PHONE)
    wait_for_app(page)
    screenshot(page, "actions_phone_zh")
