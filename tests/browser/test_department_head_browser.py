"""A department head in the real server and Chromium (issue 20): a leader limited to Quality signs
in, is told so, sees only Quality's pairs in the Overview heatmap (its data in the browser, not only
what is drawn), and an address of another department's report card is refused in English and
Chinese. Desktop 1440x900 and phone 390x844; screenshots go to tests/artifacts/."""

import pytest

from data.db import Database
from services import accounts
from tests.conftest import add_test_user, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser

# Every [rater, provider] the Overview heatmap holds in the browser (the "cells" layer's customdata).
HEATMAP_PAIRS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  return gd.data.flatMap(trace => (trace.customdata || []).filter(c => Array.isArray(c) && c.length === 2));
}"""

REFUSED = {
    "en": "Your account shows only the pairs of Quality: Sales is not one of them.",
    "zh": "您的账户只显示质量部的部门对：销售部不在其中。",
}
NOTICE = {
    "en": "You see the pairs of Quality and the organisation's headline figures.",
    "zh": "您可查看质量部的部门对及组织的总体指标。",
}


@pytest.mark.parametrize(
    ("device", "viewport"), [("desktop", {"width": 1440, "height": 900}), ("phone", {"width": 390, "height": 844})]
)
def test_a_department_head_sees_own_pairs_and_is_refused_another_department(
    demo_db_path, live_server_factory, page, device, viewport
):
    add_test_user(demo_db_path, "head.qa", "leader")
    db = Database(demo_db_path)
    accounts.set_scope(db, "boss", "head.qa", ["QA"])
    db.close()
    server = live_server_factory(demo_db_path)
    page.set_viewport_size(viewport)
    sign_in(page, server.url, "head.qa")
    for lang in ("en", "zh"):
        # an address opened by hand starts a new page session: ?lang= carries the language
        page.goto(f"{server.url}/overview?lang={lang}")
        wait_for_app(page)
        # the heatmap is drawn (on a phone it is sent too, hidden behind the list of pairs)
        page.wait_for_selector(".js-plotly-plot", state="attached", timeout=60000)
        page.wait_for_timeout(800)  # let Plotly finish laying out before the screenshot
        pairs = page.evaluate(HEATMAP_PAIRS)
        assert pairs and all("QA" in pair for pair in pairs), pairs
        assert {r for r, _ in pairs} > {"QA"} and {p for _, p in pairs} > {"QA"}  # both directions
        # under the signed-in name in the sidebar (folded away on a phone, still on the page)
        page.get_by_text(NOTICE[lang]).wait_for(state="attached", timeout=30000)
        screenshot(page, f"head_overview_{lang}_{device}")

        page.goto(f"{server.url}/department?dept=SALES&lang={lang}")
        wait_for_app(page)
        page.get_by_text(REFUSED[lang]).wait_for(timeout=30000)
        assert page.locator(".js-plotly-plot").count() == 0
        assert "Traceback" not in page.content()
        screenshot(page, f"head_refused_{lang}_{device}")

        page.goto(f"{server.url}/department?dept=QA&lang={lang}")
        wait_for_app(page)
        page.wait_for_selector(".js-plotly-plot", timeout=60000)
        page.wait_for_timeout(800)
        assert page.get_by_text(REFUSED[lang]).count() == 0
        screenshot(page, f"head_department_{lang}_{device}")


def test_an_admin_sees_clears_and_cannot_empty_a_department_head_s_scope(demo_db_path, live_server_factory, page):
    add_test_user(demo_db_path, "zed.admin", "admin")
    add_test_user(demo_db_path, "head.qa", "leader")  # first by name: the account the page opens on
    db = Database(demo_db_path)
    accounts.set_scope(db, "boss", "head.qa", ["QA"])
    db.close()
    server = live_server_factory(demo_db_path)
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, server.url, "zed.admin")
    for lang, chosen, clear, saved, empty in (
        (
            "zh",
            "质量部 (QA)",
            "清除部门限定（整个组织）",
            "已保存。",
            "请至少选择一个部门。若要让 head.qa 查看整个组织，请清除部门限定。",
        ),
        (
            "en",
            "Quality (QA)",
            "Clear the departments (whole organisation)",
            "Saved.",
            "Choose at least one department. To let head.qa see the whole organisation, clear the departments.",
        ),
    ):
        page.goto(f"{server.url}/admin_users?lang={lang}")
        wait_for_app(page)
        if lang == "zh":
            page.get_by_text(chosen).first.wait_for(timeout=30000)  # the head's department, chosen
            screenshot(page, "head_admin_users_zh")
            page.get_by_role("button", name=clear).click()
            page.get_by_text(saved).wait_for(timeout=30000)
            wait_for_app(page)
            page.get_by_text(chosen).wait_for(state="detached", timeout=30000)  # no department chosen any more
        page.get_by_role("button", name="限定为这些部门" if lang == "zh" else "Limit to these departments").click()
        page.get_by_text(empty).wait_for(timeout=30000)
        assert "Traceback" not in page.content()
        screenshot(page, f"head_admin_users_refused_{lang}")
    server.stop()  # the server owns the database file
    db = Database(demo_db_path)
    try:
        from data.users import user_departments

        assert user_departments(db, "head.qa") == ()
    finally:
        db.close()
