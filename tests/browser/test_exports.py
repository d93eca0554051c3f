"""The real server in Chromium: an analyst downloads the responses CSV from the Data & exports page,
and an admin sees the historical import, in English and Chinese."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data.audit import list_events
from data.db import Database, open_database
from data.waves import create_wave, get_wave
from report.exports import BOM
from tests.conftest import add_test_user, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser
WAVE = "2026-Q4"


def _open_data_page(pg) -> None:
    """Through the menu, as a person would (the session stays signed in)."""
    pg.get_by_role("link", name="Data & exports").click()
    wait_for_app(pg)
    pg.get_by_text("Download privacy-safe tables of a wave").wait_for(timeout=90000)
    wait_for_app(pg)


def test_an_analyst_downloads_the_responses_csv(demo_target, live_server_factory, page, tmp_path):
    # on each backend: on PostgreSQL the download is built from the replica's DuckDB copy
    add_test_user(demo_target, "ana", "analyst")
    server = live_server_factory(demo_target)
    sign_in(page, server.url, "ana")
    _open_data_page(page)
    button = page.get_by_role("button", name=f"Download icsat-{WAVE}-responses.csv")
    button.wait_for(timeout=60000)
    assert "Traceback" not in page.content()
    page.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=30000)
    page.wait_for_timeout(500)
    screenshot(page, "exports_en")
    with page.expect_download(timeout=60000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == f"icsat-{WAVE}-responses.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(BOM)
    frame = pd.read_csv(path, encoding="utf-8-sig")
    assert len(frame) > 1000 and (frame["wave"] == WAVE).all()
    assert not ((frame["rater_dept"] == "LEGAL") & (frame["provider_dept"] == "MKT")).any()  # the small cell

    page.get_by_text("中文", exact=True).click()
    page.wait_for_function("() => document.body.innerText.includes('数据与导出')", timeout=30000)
    wait_for_app(page)
    page.get_by_role("button", name=f"下载 icsat-{WAVE}-responses.csv").wait_for(timeout=30000)
    page.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=30000)
    page.wait_for_timeout(500)
    screenshot(page, "exports_zh")
    server.stop()

    db = open_database(demo_target)
    event = list_events(db).query("action == 'export'").iloc[0]
    assert (event["actor"], event["target"]) == ("ana", f"{WAVE}/responses")
    db.close()


def test_an_admin_sees_a_bad_historical_file_refused_row_by_row(demo_db_path, live_server_factory, page, tmp_path):
    add_test_user(demo_db_path, "adam", "admin")
    db = Database(demo_db_path)  # written before the server owns the file
    wave = get_wave(db, WAVE)
    create_wave(
        db,
        "2025-Q4",
        name_en="2025 Q4",
        name_zh="2025年第四季度",
        survey_version=wave.survey_version,
        opens_on=dt.date(2025, 10, 1),
        closes_on=dt.date(2025, 10, 31),
    )
    db.close()
    server = live_server_factory(demo_db_path)
    sign_in(page, server.url, "adam")
    _open_data_page(page)
    page.get_by_text("Historical import").wait_for(timeout=60000)
    bad = tmp_path / "2025.csv"
    bad.write_text("rater_dept,provider_dept,frequency,recommend\nSALES,NOPE,weekly,7\n", encoding="utf-8")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(bad))
    page.get_by_text("Nothing was imported").wait_for(timeout=60000)
    wait_for_app(page)
    page.get_by_text("Nothing was imported").scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    screenshot(page, "exports_import_refused_en")

    page.get_by_text("中文", exact=True).click()
    page.get_by_text("未导入任何数据").wait_for(timeout=60000)
    wait_for_app(page)
    page.get_by_text("未导入任何数据").scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    body = page.inner_text("body")
    assert "Nothing was imported" not in body and "历史数据导入" in body
    screenshot(page, "exports_import_refused_zh")
    server.stop()
    db = Database(demo_db_path)
    assert db.connection().execute("SELECT count(*) FROM audit_log WHERE action = 'import_responses'").fetchall() == [
        (0,)
    ]
    db.close()
