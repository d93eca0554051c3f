"""The real server in Chromium: sign in as a leader and see the Overview heatmap, in English and Chinese."""

import pytest

from tests.conftest import add_test_user, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser


def test_overview_heatmap_in_the_browser(demo_db_path, live_server_factory, page):
    add_test_user(demo_db_path, "lena", "leader")
    server = live_server_factory(demo_db_path)
    # A deep link as the very first request of a fresh server still runs inside app.py's frame:
    # the menu is the app's own (no list of page files) and the page asks for sign-in.
    page.goto(f"{server.url}/overview")
    wait_for_app(page)
    page.get_by_text("Please sign in").first.wait_for(timeout=30000)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "admin" not in sidebar.lower() and "Language" in sidebar
    sign_in(page, server.url, "lena")
    page.goto(f"{server.url}/overview")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .heatmaplayer", timeout=30000)
    plot_text = page.locator(".js-plotly-plot").first.inner_text()
    assert "Production" in plot_text and "Sales" in plot_text
    assert "Traceback" not in page.content()
    screenshot(page, "overview_en")

    page.get_by_text("中文", exact=True).click()
    page.wait_for_function("() => document.body.innerText.includes('总览')", timeout=30000)
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .heatmaplayer", timeout=30000)
    page.wait_for_timeout(500)
    plot_text = page.locator(".js-plotly-plot").first.inner_text()
    assert "生产部" in plot_text and "销售部" in plot_text
    screenshot(page, "overview_zh")


def test_sign_in_page_loads_the_chart_library_out_of_sight(demo_db_path, live_server_factory, page):
    """The sign-in page starts loading Plotly's JavaScript while the person types (ui.frame
    preload_chart_library), so the Overview after sign-in does not wait for it; nothing shows."""
    server = live_server_factory(demo_db_path)
    page.goto(f"{server.url}/sign_in")
    page.get_by_label("Username").wait_for(timeout=60000)
    wait_for_app(page)
    preload = page.locator(".st-key-chart-library-preload")
    assert preload.count() == 1 and not preload.is_visible()
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => e.name.includes('PlotlyChart'))", timeout=30000
    )
    assert page.get_by_label("Username").is_visible() and page.get_by_label("Password", exact=True).is_visible()
    screenshot(page, "sign_in_en")
