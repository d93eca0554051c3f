"""One survey context in the real server and Chromium: the default wave while another wave is still
collecting answers, the wave and relationship type carried across the five results pages, Data &
exports and a reload, and "Open this pair in Hotspots" landing on the same wave. Screenshots (en and
zh, desktop 1440x900 and phone 390x844) go to tests/artifacts/."""

from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.test_dashboards import CELL_POSITION
from tests.browser.test_open_wave_browser import _two_answers
from tests.conftest import add_test_user, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# menu title and a text the page shows once drawn
RESULTS = [
    ("Hotspots", "Both directions"),
    ("Department report", "Each customer department's view"),
    ("Trends", "Biggest changes since"),
    ("Network", "The arrows drawn"),
]

# Whether a select labelled `label` (in the sidebar, or anywhere with `anywhere`) shows `value`.
SHOWS = """([label, value, anywhere]) => {
  const root = anywhere ? document : document.querySelector('[data-testid="stSidebar"]');
  return [...root.querySelectorAll('input[role="combobox"]')]
    .some(box => box.getAttribute('aria-label') === label && box.value === value);
}"""


SETTLED = "() => document.querySelector('[data-testid=\"stApp\"]').dataset.testScriptState === 'notRunning'"


def _shows(pg, label: str, value: str, *, anywhere: bool = False) -> None:
    pg.wait_for_function(SHOWS, arg=[label, value, anywhere], timeout=60000)


def _choose(pg, label: str, name: str) -> None:
    """Pick the option `name` in the sidebar select labelled `label`, as a person clicks it."""
    box = pg.locator('[data-testid="stSidebar"]').get_by_role("combobox", name=label)
    for _ in range(3):  # a rerun that starts while the list is open closes it: try again
        box.click()
        option = pg.get_by_role("option", name=name, exact=True)
        try:
            option.wait_for(timeout=10000)
            option.click()
        except Exception:
            pg.keyboard.press("Escape")
            wait_for_app(pg)
            continue
        wait_for_app(pg)
        return
    raise AssertionError(f"could not choose {name!r} in {label!r}")


def _address(pg) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlparse(pg.url).query).items()}


def _menu(pg, title: str) -> None:
    pg.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    wait_for_app(pg)


def _no_traceback(pg) -> None:
    assert "Traceback" not in pg.locator('[data-testid="stMain"]').inner_text()


def test_the_default_wave_is_the_latest_closed_one_while_a_wave_collects_answers(
    demo_db_path, live_server_factory, page
):
    _two_answers(demo_db_path)  # 2027 Q1 is open and has two answers
    add_test_user(demo_db_path, "ana", "analyst")
    server = live_server_factory(demo_db_path)
    page.set_viewport_size(DESKTOP)
    sign_in(page, server.url, "ana")
    page.wait_for_selector(".js-plotly-plot", timeout=120000)  # the Overview's heatmap, not a notice
    _shows(page, "Survey wave", "2026 Q4")
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "still collecting answers" not in main and "below the anonymity threshold" not in main
    page.wait_for_function("() => location.search.includes('wave=2026-Q4')", timeout=30000)
    screenshot(page, "context_default_overview_en")

    _menu(page, "Data & exports")
    _shows(page, "Survey wave", "2026 Q4", anywhere=True)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("2027 Q1 is still collecting answers: its files are offered when it closes").wait_for()
    assert "Responses: 0 rows" not in main.inner_text()
    screenshot(page, "context_default_exports_en")

    page.get_by_text("中文", exact=True).click()
    _menu(page, "总览")
    page.wait_for_selector(".js-plotly-plot", timeout=120000)
    _shows(page, "调查轮次", "2026年第四季度")
    screenshot(page, "context_default_overview_zh")
    page.set_viewport_size(PHONE)
    page.reload()  # a new session: the address keeps the wave (the language is the browser's again)
    wait_for_app(page)
    # on a phone the heatmap is sent hidden behind the ranked list of pairs
    page.wait_for_selector(".js-plotly-plot", state="attached", timeout=120000)
    assert _address(page)["wave"] == "2026-Q4"
    page.get_by_test_id("stExpandSidebarButton").click()
    _shows(page, "Survey wave", "2026 Q4")
    page.get_by_text("中文", exact=True).click()
    _shows(page, "调查轮次", "2026年第四季度")
    wait_for_app(page)
    page.locator('[data-testid="stSidebar"]').hover()
    page.get_by_test_id("stSidebarCollapseButton").click()
    page.get_by_text("部门间满意度").wait_for(timeout=60000)
    page.get_by_text("查看部门组合").first.wait_for(timeout=60000)  # the phone's list of pairs
    _no_traceback(page)
    screenshot(page, "context_default_overview_phone_zh")


def test_the_context_holds_on_every_results_page_and_after_a_reload(demo_db_path, live_server_factory, page):
    add_test_user(demo_db_path, "ana", "analyst")
    server = live_server_factory(demo_db_path)
    page.set_viewport_size(DESKTOP)
    sign_in(page, server.url, "ana")
    page.wait_for_selector(".js-plotly-plot", timeout=120000)
    _choose(page, "Survey wave", "2026 Q3")
    _choose(page, "Relationship type", "Process customers")
    _shows(page, "Survey wave", "2026 Q3")
    page.wait_for_function("() => location.search.includes('type=process')", timeout=30000)
    assert _address(page) == {"wave": "2026-Q3", "compare": "2026-Q2", "type": "process"}

    for title, text in RESULTS:
        _menu(page, title)
        page.get_by_text(text).first.wait_for(timeout=60000)
        _shows(page, "Survey wave", "2026 Q3")
        _shows(page, "Relationship type", "Process customers")
        page.wait_for_function("() => location.search.includes('wave=2026-Q3')", timeout=30000)
        assert _address(page)["type"] == "process", title
        _no_traceback(page)
    screenshot(page, "context_network_2026q3_en")

    page.reload()  # a new session: the address alone brings the context back
    wait_for_app(page)
    page.get_by_text("The arrows drawn").first.wait_for(timeout=60000)
    _shows(page, "Survey wave", "2026 Q3")
    _shows(page, "Relationship type", "Process customers")

    _menu(page, "Data & exports")
    _shows(page, "Survey wave", "2026 Q3", anywhere=True)
    _shows(page, "Relationship type", "Process", anywhere=True)  # the exports page says it shorter
    _no_traceback(page)

    # a link opened on a phone, in Chinese (`lang`, as the sign-in route sets it), with a wave that
    # does not exist
    page.set_viewport_size(PHONE)
    page.goto(f"{server.url}/hotspots?lang=zh&wave=1999-Q1&type=process")
    wait_for_app(page)
    page.get_by_text("链接中的调查轮次不存在；现显示2026年第四季度。").wait_for(timeout=60000)
    page.wait_for_function("() => location.search.includes('wave=2026-Q4')", timeout=30000)
    page.get_by_text("双向评价", exact=True).wait_for(timeout=60000)  # the page drawn for 2026 Q4
    wait_for_app(page)
    _no_traceback(page)
    screenshot(page, "context_bad_link_phone_zh")


def test_open_this_pair_in_hotspots_keeps_the_wave(demo_db_path, live_server_factory, page):
    add_test_user(demo_db_path, "lena", "leader")
    server = live_server_factory(demo_db_path)
    page.set_viewport_size({"width": 1440, "height": 2400})  # the whole heatmap on screen
    sign_in(page, server.url, "lena")
    page.wait_for_selector(".js-plotly-plot", timeout=120000)
    _choose(page, "Survey wave", "2026 Q3")
    _shows(page, "Survey wave", "2026 Q3")
    page.get_by_text("Change since 2026 Q2").wait_for(timeout=60000)  # the page redrawn for 2026 Q3
    page.wait_for_function(SETTLED, timeout=60000)
    page.wait_for_timeout(800)  # Plotly lays out the redrawn heatmap before a cell can be found
    x, y = page.evaluate(CELL_POSITION, ["Production", "Sales"])
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    page.get_by_text("Selected: Sales rates Production").wait_for(timeout=30000)
    wait_for_app(page)
    page.get_by_role("button", name="Open this pair in Hotspots").click()
    page.get_by_text("Both directions", exact=True).wait_for(timeout=60000)
    wait_for_app(page)
    _shows(page, "Survey wave", "2026 Q3")
    _shows(page, "Look at a pair", "Sales ↔ Production", anywhere=True)
    # the pair is in the address with the wave: a link to share, and a reload keeps it
    page.wait_for_function("() => location.search.includes('pair=SALES~PROD')", timeout=30000)
    assert _address(page)["wave"] == "2026-Q3"
    page.set_viewport_size(DESKTOP)
    screenshot(page, "context_pair_in_hotspots_en")
    page.reload()  # a new session: the address alone brings the wave and the pair back
    wait_for_app(page)
    page.get_by_text("Both directions", exact=True).wait_for(timeout=60000)
    _shows(page, "Survey wave", "2026 Q3")
    _shows(page, "Look at a pair", "Sales ↔ Production", anywhere=True)
    assert _address(page)["pair"] == "SALES~PROD"
    _no_traceback(page)

    page.get_by_text("中文", exact=True).click()
    wait_for_app(page)
    _shows(page, "调查轮次", "2026年第三季度")
    page.get_by_text("双向评价", exact=True).wait_for(timeout=60000)
    _shows(page, "查看部门组合", "销售部 ↔ 生产部", anywhere=True)  # the pair picker in Chinese too
    picker = page.locator('[data-testid="stMain"]').get_by_role("combobox", name="查看部门组合")
    picker.scroll_into_view_if_needed()  # the screenshot shows the window: the picker and the pair
    screenshot(page, "context_pair_in_hotspots_zh")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(500)
    picker.scroll_into_view_if_needed()
    screenshot(page, "context_pair_in_hotspots_phone_zh")


# The value a select labelled `label` shows in the main area.
SHOWN = """label => [...document.querySelectorAll('[data-testid="stMain"] input[role="combobox"]')]
  .find(box => box.getAttribute('aria-label') === label)?.value"""


def test_the_department_and_pair_pickers_follow_a_switch_to_chinese(demo_db_path, live_server_factory, page):
    add_test_user(demo_db_path, "lena", "leader")
    server = live_server_factory(demo_db_path)
    page.set_viewport_size(DESKTOP)
    sign_in(page, server.url, "lena")
    page.goto(f"{server.url}/department?dept=PROD")
    wait_for_app(page)
    page.get_by_text("Each customer department's view").first.wait_for(timeout=60000)
    _shows(page, "Department", "Production", anywhere=True)
    page.get_by_text("中文", exact=True).click()
    wait_for_app(page)
    page.get_by_text("各客户部门的评价").first.wait_for(timeout=60000)
    _shows(page, "部门", "生产部", anywhere=True)  # the same department, in Chinese
    screenshot(page, "context_department_picker_zh")

    page.get_by_text("English", exact=True).click()
    wait_for_app(page)
    _menu(page, "Trends")
    page.locator('[data-testid="stMain"]').get_by_text("A pair", exact=True).click()
    wait_for_app(page)
    page.get_by_text("Rated department").wait_for(timeout=60000)
    rater, provider = page.evaluate(SHOWN, "Rating department"), page.evaluate(SHOWN, "Rated department")
    assert rater and provider and rater != provider
    page.get_by_text("中文", exact=True).click()
    wait_for_app(page)
    page.get_by_text("被评价部门").wait_for(timeout=60000)
    shown = [page.evaluate(SHOWN, "评价部门"), page.evaluate(SHOWN, "被评价部门")]
    assert all(value and value.endswith("部") for value in shown), shown  # Chinese names, not "Customer Service"
    page.get_by_text("变化最大的组合").first.wait_for(timeout=60000)  # the page redrawn in Chinese
    wait_for_app(page)
    screenshot(page, "context_trends_pair_pickers_zh")

    # a new plan opened for a pair (as a hotspot's button opens it), then the language switched
    page.get_by_text("English", exact=True).click()
    wait_for_app(page)
    page.goto(f"{server.url}/actions?a=SALES&b=PROD&wave=2026-Q4")
    wait_for_app(page)
    _shows(page, "Department A", "Sales", anywhere=True)
    _shows(page, "Department B", "Production", anywhere=True)
    page.get_by_text("中文", exact=True).click()
    wait_for_app(page)
    _shows(page, "部门A", "销售部", anywhere=True)
    _shows(page, "部门B", "生产部", anywhere=True)
    _shows(page, "起始轮次", "2026年第四季度", anywhere=True)
    page.get_by_text("销售部负责人").wait_for(timeout=60000)  # the form below redrawn in Chinese
    wait_for_app(page)
    screenshot(page, "context_actions_new_plan_zh")
