"""Issue 21 in the real browser: a Windows-1252 departments file is refused in Chinese, naming the row
and the mangled name; with its encoding chosen the preview shows the names as they will be stored,
nothing is written until the person confirms, and then they are stored as written. The Waves page's
scheduling (a quarter id suggests its dates). Screenshots en/zh, desktop and phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from data.db import Database
from data.org import list_departments
from tests.conftest import add_test_user, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser

CP1252 = (Path(__file__).resolve().parents[1] / "fixtures" / "encodings" / "western_cp1252.csv").read_bytes()
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SIDEBAR_SETTLED = """(open) => {
    const bar = document.querySelector('[data-testid="stSidebar"]');
    if (!bar) return true;
    const box = bar.getBoundingClientRect();
    return open ? box.left >= 0 : box.right <= 0;
}"""
EMPTY_ZH = "尚无部门"  # the Organisation page's note while no department is stored


def _wait_text(pg, text: str, name: str, timeout: float = 30000, *, in_table: bool = False) -> None:
    """Wait for `text` on the page; `in_table`: in a table's cell (Streamlit draws tables on a canvas
    and keeps each cell's text in a hidden accessible grid)."""
    try:
        pg.get_by_text(text, exact=False).first.wait_for(timeout=timeout, state="attached" if in_table else "visible")
    except Exception:
        screenshot(pg, f"{name}_failed")  # what the page showed instead
        raise
    wait_for_app(pg)


def _stored_names(db_path: Path) -> list[str]:
    db = Database(db_path)
    try:
        return sorted(list_departments(db)["name_en"])
    finally:
        db.close()


def _both_sizes(pg, name: str, scroll_to: str | None = None) -> None:
    """Screenshots on a phone and a desktop, scrolled to `scroll_to` (Streamlit scrolls inside the page,
    so a full-page screenshot shows the first screen only)."""
    for size, suffix in ((PHONE, "phone"), (DESKTOP, "desktop")):
        pg.set_viewport_size(size)
        wait_for_app(pg)
        # the sidebar slides out of a phone's screen and back on a desktop: wait until it has
        pg.wait_for_function(SIDEBAR_SETTLED, arg=size["width"] >= 1000)
        if scroll_to:
            pg.get_by_text(scroll_to, exact=False).first.scroll_into_view_if_needed()
        screenshot(pg, f"{name}_{suffix}")


def test_a_mangled_upload_is_refused_in_chinese_then_previewed_and_imported(empty_db_path, live_server_factory, page):
    add_test_user(empty_db_path, "ada", "admin")
    server = live_server_factory(empty_db_path)
    pg = page
    pg.set_viewport_size(DESKTOP)
    sign_in(pg, server.url, "ada")
    pg.goto(f"{server.url}/admin_org")
    wait_for_app(pg)
    _wait_text(pg, "Import from CSV", "upload_encoding")
    pg.get_by_text("中文", exact=True).click()
    _wait_text(pg, "从CSV导入", "upload_encoding")

    pg.locator('[data-testid="stFileUploaderDropzoneInput"]').nth(0).set_input_files(
        files=[{"name": "departments.csv", "mimeType": "text/csv", "buffer": CP1252}]
    )
    _wait_text(pg, "未写入任何内容", "upload_encoding")
    _wait_text(pg, "“F鰎s鋖jning”疑似乱码", "upload_encoding", in_table=True)
    assert pg.get_by_text("部门文件，第 2 行", exact=False).count() >= 1
    assert pg.get_by_text("CSV UTF-8", exact=False).count() >= 1
    select = pg.locator('[data-testid="stSelectbox"]').filter(has_text="文件编码")
    shown = select.inner_text() + " ".join(select.locator("input").evaluate_all("els => els.map(e => e.value)"))
    assert "自动识别" in shown  # the encoding select's default, in Chinese
    _both_sizes(pg, "upload_refused_mojibake_zh", scroll_to="未写入任何内容")

    pg.locator('[data-testid="stSelectbox"]').filter(has_text="文件编码").click()
    pg.get_by_role("option", name="Windows-1252").click()
    _wait_text(pg, "确认之前不会写入任何内容", "upload_encoding")
    _wait_text(pg, "Försäljning Nord", "upload_encoding", in_table=True)
    assert pg.get_by_text("确认之前不会写入任何内容", exact=False).count() == 1
    _both_sizes(pg, "upload_preview_zh", scroll_to="确认之前不会写入任何内容")
    assert pg.get_by_text(EMPTY_ZH, exact=False).count() == 1  # the preview wrote nothing

    pg.get_by_text("English", exact=True).click()
    _wait_text(pg, "Nothing is written until you confirm", "upload_encoding")
    _both_sizes(pg, "upload_preview_en", scroll_to="Nothing is written until you confirm")
    pg.get_by_role("button", name="Import").click()
    _wait_text(pg, "Imported: 3 new", "upload_encoding")
    screenshot(pg, "upload_imported_en_desktop")
    server.stop()  # the server owns the database file; stopped, the test reads what it stored
    assert _stored_names(empty_db_path) == ["Försäljning Nord", "Jörg Müller Team", "Personalabteilung Süd"]


def test_the_waves_page_suggests_a_quarter_and_schedules_it(empty_db_path, live_server_factory, page):
    add_test_user(empty_db_path, "ada", "admin")
    server = live_server_factory(empty_db_path)
    pg = page
    pg.set_viewport_size(DESKTOP)
    sign_in(pg, server.url, "ada")
    pg.goto(f"{server.url}/admin_waves")
    wait_for_app(pg)
    _wait_text(pg, "Create a wave", "waves_schedule")
    field = pg.get_by_label("Wave id (e.g. 2027-Q1)")
    field.fill("2027-Q2")
    field.press("Enter")
    _wait_text(pg, "2027-Q2 names a quarter", "waves_schedule")
    # the date fields redraw just after the run that filled them: wait for the values, do not read once
    for label, values in (("Opens on", ("2027", "4", "1")), ("Closes on", ("2027", "6", "30"))):
        for part, value in zip(("year", "month", "day"), values, strict=True):
            expect(pg.get_by_role("spinbutton", name=f"{part}, {label}")).to_have_attribute("aria-valuenow", value)
    _both_sizes(pg, "waves_quarter_en")
    pg.get_by_text("中文", exact=True).click()
    _wait_text(pg, "对应一个季度", "waves_schedule")
    _both_sizes(pg, "waves_quarter_zh")
