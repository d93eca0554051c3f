"""An admin sets up a survey round in the real app; a leader sees no administration.

Admin: sign in, import a small organisation from CSV files, create and open a wave, generate links
from a roster, download the links file, and one link opens the survey. Leader: no admin page in the
menu, and the admin page's URL is refused. Screenshots in English and Chinese.
"""

import csv
import io

import pytest

from tests.conftest import add_test_user, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser

DEPARTMENTS = "code,name_en,name_zh,parent_code\nHQ,Head Office,总部,\nSALES,Sales,销售部,HQ\nIT,IT,信息技术部,HQ\n"
RELATIONSHIPS = "customer_dept,provider_dept,type\nSALES,IT,功能客户\nIT,SALES,process\nHQ,SALES,hierarchical\n"
ROSTER = "email,name,department\nli.na@example.com,李娜,SALES\nbo@example.com,Bo,IT\n"


def _wait_text(pg, text: str, timeout: float = 30000) -> None:
    try:
        pg.get_by_text(text, exact=False).first.wait_for(timeout=timeout)
    except Exception:
        screenshot(pg, "admin_flow_failed")  # what the page showed instead, for the person debugging
        raise
    wait_for_app(pg)


def _wait_dates(pg, opens: str, closes: str) -> None:
    """Wait until the form's two date fields show these values (YYYY-MM-DD, as the page shows them)."""
    try:
        pg.wait_for_function(
            """([opens, closes]) => {
                const inputs = document.querySelectorAll('[data-testid="stDateInput"] input');
                const values = [...inputs].map(i => i.value);
                return values.includes(opens) && values.includes(closes);
            }""",
            arg=[opens, closes],
            timeout=30000,
        )
    except Exception:
        screenshot(pg, "admin_flow_failed")
        raise
    wait_for_app(pg)


def _upload(pg, index: int, name: str, content: bytes) -> None:
    pg.locator('[data-testid="stFileUploaderDropzoneInput"]').nth(index).set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )


def _open(pg, base_url: str, path: str, text: str) -> None:
    pg.goto(f"{base_url}/{path}")
    wait_for_app(pg)
    _wait_text(pg, text)


def _menu(pg, entry: str, text: str) -> None:
    pg.locator('[data-testid="stSidebarNav"]').get_by_text(entry, exact=True).click()
    _wait_text(pg, text)


def test_an_admin_sets_up_a_round_and_a_leader_sees_no_administration(empty_target, live_server_factory, page):
    # on each backend: a new DuckDB file, or an empty PostgreSQL database (issue 23)
    add_test_user(empty_target, "ada", "admin")
    add_test_user(empty_target, "lena", "leader")
    server = live_server_factory(empty_target)
    pg = page

    pg.goto(server.url)
    wait_for_app(pg)
    _wait_text(pg, "Username")
    assert pg.url.endswith("/sign_in")  # the root URL of a signed-out visitor is the sign-in page
    screenshot(pg, "admin_sign_in_en")
    pg.get_by_text("中文", exact=True).click()
    _wait_text(pg, "用户名")
    screenshot(pg, "admin_sign_in_zh")
    sign_in(pg, server.url, "ada")

    # Organisation: a GBK departments file (Excel's Chinese CSV) and a UTF-8 relationships file
    _open(pg, server.url, "admin_org", "No departments yet")
    _upload(pg, 0, "departments.csv", DEPARTMENTS.encode("gbk"))
    # the second file only once the first one's run has ended: an uploader redrawn meanwhile drops it
    # (seen once under load, with the upload guard's session lookup before each file)
    _wait_text(pg, "3 new and 0 changed departments")
    _upload(pg, 1, "relationships.csv", RELATIONSHIPS.encode("utf-8"))
    # the preview of both files (the first upload's run shows the departments alone)
    _wait_text(pg, "3 new and 0 changed relationships (0 unchanged)")
    pg.wait_for_timeout(500)
    screenshot(pg, "admin_org_preview_en")
    pg.get_by_role("button", name="Import", exact=True).click()
    _wait_text(pg, "Imported: 3 new")
    _wait_text(pg, "3 departments (3 active), 3 relationships.")

    # Waves: create from the default survey, then open
    _open(pg, server.url, "admin_waves", "Create a wave")
    pg.get_by_label("Wave id (e.g. 2027-Q1)").fill("2027-Q1")
    pg.get_by_label("Wave id (e.g. 2027-Q1)").press("Tab")
    # The id suggests the quarter's dates in a rerun that redraws both date fields one after the other;
    # a click on Create between the two sent 2027-01-01 with the old closing date (refused, seen in CI).
    _wait_dates(pg, "2027-01-01", "2027-03-31")
    pg.get_by_label("English name").fill("2027 Q1")
    pg.get_by_label("Chinese name").fill("2027年第一季度")
    pg.get_by_role("button", name="Create wave").click()
    _wait_text(pg, "Wave 2027-Q1 created as a draft.")
    pg.get_by_role("button", name="Open wave").click()
    _wait_text(pg, "Wave 2027-Q1 is open")
    screenshot(pg, "admin_waves_en")

    # Invitations: roster in, links file out
    _open(pg, server.url, "admin_invitations", "No invitations for this wave yet.")
    _upload(pg, 0, "roster.csv", ROSTER.encode("utf-8-sig"))
    _wait_text(pg, "2 people in 2 departments.")
    pg.get_by_role("button", name="Generate links").click()
    _wait_text(pg, "2 links created")
    with pg.expect_download() as download_info:
        pg.get_by_role("button", name="Download the links file").click()
    links_file = download_info.value.path().read_bytes()
    assert links_file.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    rows = list(csv.DictReader(io.StringIO(links_file.decode("utf-8-sig"))))
    assert [r["department"] for r in rows] == ["SALES", "IT"] and rows[0]["name"] == "李娜"
    assert all(r["link"].startswith(f"{server.url}/survey?token=") for r in rows)
    _wait_text(pg, "0 of 2 invited people have answered")
    screenshot(pg, "admin_invitations_en")

    pg.get_by_text("中文", exact=True).click()
    _wait_text(pg, "各部门回复率")
    screenshot(pg, "admin_invitations_zh")
    # through the menu: a typed URL starts a new session in the browser's language
    _menu(pg, "组织架构", "从CSV导入")
    screenshot(pg, "admin_org_zh")
    _menu(pg, "审计日志", "共 5 条记录")  # sign-in, import, wave created and opened, invitations
    screenshot(pg, "admin_audit_zh")
    _menu(pg, "调查轮次", "创建轮次")
    screenshot(pg, "admin_waves_zh")
    _menu(pg, "用户", "添加用户")
    screenshot(pg, "admin_users_zh")
    pg.get_by_text("English", exact=True).click()
    _wait_text(pg, "Audit log")

    # One link works: the survey greets the respondent's department instead of refusing the token
    _open(pg, server.url, rows[0]["link"].removeprefix(server.url + "/"), "Your department: Sales")
    assert "link" not in pg.locator('[data-testid="stAlert"]').all_inner_texts()
    screenshot(pg, "admin_link_opens_survey_en")

    # Sign out, then a leader: no administration in the menu, and the URL is refused.
    # A second tab of the same browser is signed out too (at its next click).
    other_tab = pg.context.new_page()
    _open(other_tab, server.url, "admin_users", "Add a user")
    pg.get_by_role("button", name="Sign out").click()
    _wait_text(pg, "You have signed out.")
    # the signed-in sidebar goes when the sign-in page's run ends (the page keeps drawing meanwhile)
    pg.get_by_role("button", name="Sign out").wait_for(state="detached", timeout=30000)
    assert pg.url.endswith("/sign_in")
    _menu(other_tab, "Waves", "Please sign in to see this page.")
    other_tab.close()
    sign_in(pg, server.url, "lena")
    _wait_text(pg, "Signed in as")
    menu = pg.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Organisation" not in menu and "Administration" not in menu and "Users" not in menu
    _open(pg, server.url, "admin_org", "Your role does not give access to this page.")
    assert pg.get_by_text("Import from CSV").count() == 0
    screenshot(pg, "admin_refused_for_leader_en")
    pg.get_by_text("中文", exact=True).click()
    _wait_text(pg, "您的角色无权访问此页面。")
    screenshot(pg, "admin_refused_for_leader_zh")
