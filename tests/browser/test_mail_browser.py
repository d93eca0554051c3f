"""The real server in Chromium: an admin sends each person their link by email, with no mail server
set, so the messages go to the outbox; the page says so and reports the address it refused.
Screenshots in English and Chinese, desktop (1440x900) and phone (390x844)."""

from email import message_from_bytes, policy

import pytest
from cryptography.fernet import Fernet

from tests.conftest import add_test_user, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.browser

ROSTER = (
    "email,name,department,language\nli.na@example.com,李娜,SALES,zh\nbo@example.com,Bo,IT,\n"
    '"cy@example.com\r\nBcc: everyone@example.com",Cy,IT,\n'
)


def _send(pg, option: str, generate: str, done: str) -> None:
    pg.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": ROSTER.encode("utf-8")}]
    )
    pg.get_by_text(option, exact=True).wait_for(timeout=30000)
    wait_for_app(pg)
    pg.get_by_text(option, exact=True).click()
    wait_for_app(pg)
    pg.get_by_role("button", name=generate).click()
    pg.get_by_text(done, exact=False).first.wait_for(timeout=60000)
    wait_for_app(pg)


def _shots(pg, name: str) -> None:
    """The top of the page (where mail goes, the rule) and the report, at both sizes (Streamlit scrolls
    inside its own container, so a full-page screenshot shows one screen)."""
    for size, width, height in (("desktop", 1440, 900), ("phone", 390, 844)):
        pg.set_viewport_size({"width": width, "height": height})
        pg.locator('[data-testid="stMainBlockContainer"] h1').first.scroll_into_view_if_needed()
        pg.wait_for_timeout(300)  # the layout settles after a resize (no condition to wait for)
        screenshot(pg, f"{name}_{size}_top")
        pg.locator('[data-testid="stDataFrame"]').first.scroll_into_view_if_needed()
        pg.wait_for_timeout(300)
        screenshot(pg, f"{name}_{size}_report")
    pg.set_viewport_size({"width": 1440, "height": 900})


def test_sending_the_links_to_the_outbox_shows_the_report(
    demo_db_path, live_server_factory, page, tmp_path, monkeypatch
):
    outbox = tmp_path / "outbox"
    monkeypatch.delenv("ICSAT_SMTP_HOST", raising=False)
    monkeypatch.setenv("ICSAT_MAIL_OUTBOX", str(outbox))
    monkeypatch.setenv("ICSAT_ADDRESS_KEY", Fernet.generate_key().decode())
    add_test_user(demo_db_path, "ada", "admin")
    server = live_server_factory(demo_db_path)
    sign_in(page, server.url, "ada")
    page.goto(f"{server.url}/admin_invitations")
    wait_for_app(page)
    page.get_by_text("No mail server is set", exact=False).first.wait_for(timeout=30000)
    assert page.get_by_text("Reminders without a list of who answered", exact=False).first.is_visible()

    _send(page, "Also email each person their link", "Generate links", "2 of 3 messages written to the outbox")
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for(timeout=30000)
    assert page.get_by_text("1 address(es) failed", exact=False).first.is_visible()
    assert "Traceback" not in page.content()
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    messages = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert {m["To"] for m in messages} == {"李娜 <li.na@example.com>", "Bo <bo@example.com>"}
    assert all("everyone" not in f.read_text(errors="replace") for f in files)
    _shots(page, "mail_sent_en")

    page.get_by_text("中文", exact=True).click()
    page.get_by_text("未设置邮件服务器", exact=False).first.wait_for(timeout=30000)
    wait_for_app(page)
    _send(page, "同时通过邮件向每人发送其链接", "生成链接", "已将 2 封邮件写入发件箱")
    page.get_by_text("1 个地址发送失败", exact=False).first.wait_for(timeout=30000)
    assert len(list(outbox.glob("*.eml"))) == 4
    _shots(page, "mail_sent_zh")
