"""The leadership dashboards in the real server and Chromium: every page in English and Chinese, and
a click on a heatmap cell that opens the pair in Hotspots. Screenshots go to tests/artifacts/."""

import pytest

from tests.conftest import add_test_user, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser

# menu title (English, Chinese), a text the page shows, file name of the screenshot
PAGES = [
    ("Overview", "总览", "Who is satisfied with whom", "部门间满意度", "dash_overview"),
    ("Hotspots", "冲突热点", "Both directions", "双向评价", "dash_hotspots"),
    ("Department report", "部门报告", "Each customer department's view", "各客户部门的评价", "dash_department"),
    ("Trends", "趋势", "Biggest changes since", "变化最大的组合", "dash_trends"),
    ("Network", "协作网络", "The arrows drawn", "图中的箭头", "dash_network"),
]


# Texts of a chart that overlap another text or a marker of the same chart, as drawn by Chromium:
# scatter labels, annotations (the network's department labels), heatmap values and level axis tick
# labels (a rotated label's box is not its outline, so rotated ticks are left out). Hidden charts
# (the other rendering of a wide/phone pair) have no box and are skipped.
OVERLAPS = """() => {
  const out = [];
  const hit = (p, q) => Math.min(p.right, q.right) - Math.max(p.left, q.left) > 1
    && Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > 1;
  const level = el => !/rotate\\((?!0)/.test(el.getAttribute('transform') || '');
  document.querySelectorAll('.js-plotly-plot').forEach((gd, chart) => {
    const texts = [...gd.querySelectorAll(
        'g.textpoint text, g.annotation-text-g text, g.heatmaplayer text, g.xtick text, g.ytick text')]
      .filter(level)
      .map(t => ({text: t.textContent, box: t.getBoundingClientRect()}))
      .filter(t => t.box.width > 0 && t.text.trim());
    const marks = [...gd.querySelectorAll('g.points path.point')]
      .map(p => p.getBoundingClientRect()).filter(r => r.width > 0);
    texts.forEach((a, i) => {
      texts.slice(i + 1).forEach(b => { if (hit(a.box, b.box)) out.push([chart, a.text, b.text]); });
    });
    [...gd.querySelectorAll('g.textpoint text')].map(t => ({text: t.textContent, box: t.getBoundingClientRect()}))
      .filter(t => t.box.width > 0 && t.text.trim())
      .forEach(a => marks.forEach((m, k) => { if (hit(a.box, m)) out.push([chart, a.text, 'marker ' + k]); }));
  });
  return out;
}"""

# Wider than the screen: a page a phone has to scroll sideways.
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _open(pg, menu_title: str, expected: str) -> None:
    pg.locator('[data-testid="stSidebarNav"]').get_by_text(menu_title, exact=True).click()
    pg.get_by_text(expected).first.wait_for(timeout=60000)
    wait_for_app(pg)
    pg.wait_for_selector(".js-plotly-plot", timeout=60000)
    pg.locator('[data-testid="stExpander"]').last.wait_for(timeout=60000)  # "How to read this" closes every page
    pg.wait_for_timeout(800)  # let Plotly finish laying out before the screenshot
    assert "Traceback" not in pg.content()
    assert pg.evaluate(OVERLAPS) == [], menu_title  # a label over another label or a marker is a bug


def test_every_dashboard_in_english_and_chinese(demo_db_path, live_server_factory, page):
    add_test_user(demo_db_path, "lena", "leader")
    server = live_server_factory(demo_db_path)
    page.set_viewport_size({"width": 1400, "height": 2400})  # tall, so each screenshot shows the whole page
    sign_in(page, server.url, "lena")
    for en, _, text_en, _, name in PAGES:
        _open(page, en, text_en)
        screenshot(page, f"{name}_en")
    page.get_by_text("中文", exact=True).click()
    page.get_by_text("总览").first.wait_for(timeout=30000)
    wait_for_app(page)
    for _, zh, _, text_zh, name in PAGES:
        _open(page, zh, text_zh)
        body = page.locator('[data-testid="stMain"]').inner_text()
        assert "dash_" not in body and "dept_" not in body  # no raw text keys
        screenshot(page, f"{name}_zh")
    network = page.locator(".js-plotly-plot").first.inner_text()
    assert "生产部" in network and "销售部" in network


# Screen position of a heatmap cell, from Plotly's own axes (category -> pixel).
CELL_POSITION = """([provider, rater]) => {
  const gd = document.querySelector('.js-plotly-plot');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const box = gd.getBoundingClientRect();
  return [box.left + xa._offset + xa.l2p(xa.d2l(provider)), box.top + ya._offset + ya.l2p(ya.d2l(rater))];
}"""


def test_clicking_a_heatmap_cell_opens_the_pair(demo_db_path, live_server_factory, page):
    add_test_user(demo_db_path, "lena", "leader")
    server = live_server_factory(demo_db_path)
    page.set_viewport_size({"width": 1400, "height": 2400})  # the whole heatmap on screen, so every cell is clickable
    sign_in(page, server.url, "lena")
    _open(page, "Overview", "Who is satisfied with whom")
    x, y = page.evaluate(CELL_POSITION, ["Production", "Sales"])
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    page.get_by_text("Selected: Sales rates Production").wait_for(timeout=30000)
    wait_for_app(page)
    screenshot(page, "dash_overview_selected_en")
    page.get_by_role("button", name="Open this pair in Hotspots").click()
    page.get_by_text("Both directions", exact=True).wait_for(timeout=60000)
    wait_for_app(page)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Sales → Production" in main and "friction" in main
    screenshot(page, "dash_hotspots_pair_en")


EXPAND = '[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
COLLAPSE = '[data-testid="stSidebarCollapseButton"] button, [data-testid="stSidebarCollapseButton"]'


def _sidebar(pg, shown: bool) -> None:
    """Open or close the sidebar (on a phone it covers the page), whichever state it is in."""
    nav = pg.locator('[data-testid="stSidebarNav"]')
    if nav.is_visible() != shown:
        pg.locator(EXPAND if shown else COLLAPSE).first.click()
        pg.wait_for_function(
            "(shown) => { const n = document.querySelector('[data-testid=stSidebarNav]');"
            " return !!n && (n.getBoundingClientRect().right > 0) === shown; }",
            arg=shown,
            timeout=10000,
        )


def _open_phone(pg, menu_title: str, expected: str) -> None:
    """On a phone the menu is behind the sidebar button: open it, pick the page, close it, let it draw."""
    _sidebar(pg, True)
    pg.locator('[data-testid="stSidebarNav"]').get_by_text(menu_title, exact=True).click()
    pg.get_by_text(expected).first.wait_for(timeout=60000)
    wait_for_app(pg)
    _sidebar(pg, False)
    pg.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every(g => g._fullLayout)")
    pg.wait_for_timeout(500)  # let Plotly finish laying out before measuring and the screenshot
    assert "Traceback" not in pg.content()


def test_every_dashboard_on_a_phone_in_english_and_chinese(demo_db_path, live_server_factory, browser):
    """390 x 844: no text of a chart over another, nothing wider than the screen, and the Overview's
    heatmap replaced by the ranked list of pairs (the same check at 1400 px runs above)."""
    add_test_user(demo_db_path, "lena", "leader")
    server = live_server_factory(demo_db_path)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB", is_mobile=True, has_touch=True
    )
    pg = context.new_page()
    try:
        sign_in(pg, server.url, "lena")
        pages = [
            *PAGES,
            (
                "How to read the results",
                "结果解读说明",
                "What a missing flag means",
                "没有标记意味着什么",
                "dash_methodology",
            ),
        ]
        for lang in ("en", "zh"):
            if lang == "zh":
                pg.locator(
                    '[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
                ).first.click()
                pg.get_by_text("中文", exact=True).click()
                pg.get_by_text("总览").first.wait_for(timeout=30000)
                wait_for_app(pg)
            for en, zh, text_en, text_zh, name in pages:
                _open_phone(pg, en if lang == "en" else zh, text_en if lang == "en" else text_zh)
                pg.set_viewport_size({"width": 390, "height": 4000})  # the whole page in the picture, same width
                pg.wait_for_timeout(500)
                screenshot(pg, f"{name}_phone_{lang}")  # before the checks: a failure leaves its picture
                pg.set_viewport_size({"width": 390, "height": 844})
                pg.wait_for_timeout(300)
                assert pg.evaluate(OVERLAPS) == [], (lang, en)
                assert pg.evaluate(OVERFLOW) <= 1, (lang, en, "wider than the screen")
                if name == "dash_overview":
                    phone = pg.locator(".st-key-overview-heatmap-phone")
                    phone.get_by_text(" ↔ ").first.wait_for(timeout=30000)
                    assert phone.is_visible() and not pg.locator(".st-key-overview-heatmap-wide").is_visible()
    finally:
        context.close()
