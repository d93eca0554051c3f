"""Issue 19 on a phone (390 x 844) in Chromium: every answer is kept as it is given, whatever the
language and whichever browser opens the link next.

The server owns the database file, so the invitations are written before it starts. Every wait is
for a condition the server draws (the count of saved answers, a heading, a progress text), never a
fixed time.
"""

import re

import pandas as pd
import pytest
from playwright.sync_api import expect

from data.db import Database
from data.invitations import create_invitations
from tests.conftest import screenshot, wait_for_app

WAVE = "2027-Q1"
TIMEOUT = 30_000
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _invite(db_path, count: int) -> list[str]:
    db = Database(db_path)
    roster = pd.DataFrame(
        {
            "row": range(2, count + 2),
            "email": [f"p{i}@example.com" for i in range(count)],
            "name": "",
            "department": "SALES",
        }
    )
    links = create_invitations(db, WAVE, roster, base_url="http://unused", expires_days=7)
    db.close()
    return [link.split("token=")[1] for link in links["link"]]


def _main(pg):
    return pg.get_by_test_id("stMain")


def _open(browser, url: str, locale: str, device: dict = PHONE):
    context = browser.new_context(locale=locale, **device)
    pg = context.new_page()
    pg.goto(url)
    wait_for_app(pg)
    return context, pg


def _group(pg, name: str):
    return _main(pg).get_by_role("radiogroup", name=name, exact=True)


def _choose(pg, group: str, option: str) -> None:
    _group(pg, group).get_by_text(option, exact=True).click()


def _saved(pg, text: str) -> None:
    """Wait until the server has drawn the count of saved answers (it saves before it draws)."""
    expect(_main(pg).get_by_text(text, exact=True)).to_be_visible(timeout=TIMEOUT)


def _scale(pg, provider: str):
    """The 0-10 question of one department: eleven buttons in a row."""
    return _main(pg).locator(f"[class*='st-key-survey-rec-{provider}'] button")


def _checked(pg, group: str, option: str) -> None:
    expect(_group(pg, group).get_by_role("radio", name=option, exact=True)).to_be_checked(timeout=TIMEOUT)


@pytest.mark.browser
def test_answers_survive_closing_the_browser_and_a_language_switch(demo_db_path, live_server_factory, browser):
    first_token, second_token = _invite(demo_db_path, 2)
    server = live_server_factory(demo_db_path)

    # 1. English phone: two answers on the IT form, a comment, then the browser is closed (no Next)
    context, pg = _open(browser, f"{server.url}/survey?token={first_token}", "en-GB")
    expect(_main(pg).get_by_text("Which departments did you work with?")).to_be_visible(timeout=TIMEOUT)
    expect(pg).to_have_title("Departments you worked with (1/3) · Staff survey", timeout=TIMEOUT)
    expect(pg.locator("html")).to_have_attribute("lang", "en")
    _choose(pg, "IT", "Daily")
    _saved(pg, "Answers saved with your link: 1")
    _main(pg).get_by_role("button", name="Next", exact=True).click()
    expect(_main(pg).get_by_role("heading", name="IT")).to_be_visible(timeout=TIMEOUT)
    _choose(pg, "IT delivers what they promised.", "4")
    _saved(pg, "Answers saved with your link: 2")
    scale = _scale(pg, "IT")
    expect(scale).to_have_count(11)
    assert len({round(scale.nth(i).bounding_box()["y"]) for i in range(11)}) == 1  # one row at 390 px
    scale.get_by_text("9", exact=True).click()
    _saved(pg, "Answers saved with your link: 3")
    _main(pg).get_by_label("What is the one thing IT should do differently?").fill("Answer tickets within a day")
    _main(pg).get_by_text("Answers saved with your link: 3", exact=True).click()  # the text box loses focus
    _saved(pg, "Answers saved with your link: 4")
    screenshot(pg, "survey_19_1_phone_half_filled_en")
    context.close()

    # 2. the same link in a new browser whose preferred language is Chinese: the form, as it was left
    context, pg = _open(browser, f"{server.url}/survey?token={first_token}", "zh-CN")
    expect(_main(pg).get_by_text("欢迎回来：已恢复您之前的回答。")).to_be_visible(timeout=TIMEOUT)
    expect(_main(pg).get_by_role("heading", name="信息技术部")).to_be_visible()
    expect(pg).to_have_title("信息技术部 (2/4) · 员工调查", timeout=TIMEOUT)
    expect(pg.locator("html")).to_have_attribute("lang", "zh-CN")
    _checked(pg, "信息技术部能兑现他们的承诺。", "4")
    expect(_scale(pg, "IT").filter(has_text="9")).to_have_attribute("aria-checked", "true")
    expect(_main(pg).get_by_label("信息技术部最应该改进的一件事是什么？")).to_have_value("Answer tickets within a day")
    _saved(pg, "已随链接保存的回答：4")
    expect(_main(pg).get_by_text(re.compile(r"^第2步，共4步 · 约剩\d+分钟$"))).to_be_visible()
    screenshot(pg, "survey_19_2_phone_restored_zh")
    context.close()

    # 3. another person switches language in the middle of the screener: the choice stays
    context, pg = _open(browser, f"{server.url}/survey?token={second_token}", "en-GB")
    expect(_main(pg).get_by_text("Which departments did you work with?")).to_be_visible(timeout=TIMEOUT)
    _choose(pg, "Production", "Weekly")
    _saved(pg, "Answers saved with your link: 1")
    _main(pg).get_by_role("radio", name="中文").click()
    expect(_main(pg).get_by_text("您与哪些部门合作过？")).to_be_visible(timeout=TIMEOUT)
    _checked(pg, "生产部", "每周")
    _checked(pg, "信息技术部", "从未")
    expect(_main(pg).get_by_text("我的隐私如何受到保护？")).to_be_visible()
    screenshot(pg, "survey_19_3_phone_screener_switched_zh")
    _main(pg).get_by_role("button", name="下一步", exact=True).click()
    expect(_main(pg).get_by_role("heading", name="生产部")).to_be_visible(timeout=TIMEOUT)
    expect(_main(pg).get_by_text(re.compile(r"^第2步，共4步 · 约剩\d+分钟$"))).to_be_visible()  # one department
    # 4. and in the middle of a form: "not applicable" stays chosen in the other language
    _choose(pg, "生产部能兑现他们的承诺。", "不适用")
    _saved(pg, "已随链接保存的回答：2")
    screenshot(pg, "survey_19_4_phone_provider_zh")
    _main(pg).get_by_role("radio", name="English").click()
    expect(_main(pg).get_by_role("heading", name="Production")).to_be_visible(timeout=TIMEOUT)
    expect(pg).to_have_title("Production (2/4) · Staff survey", timeout=TIMEOUT)
    expect(pg.locator("html")).to_have_attribute("lang", "en")
    _checked(pg, "Production delivers what they promised.", "Not applicable")
    _saved(pg, "Answers saved with your link: 2")
    screenshot(pg, "survey_19_5_phone_provider_switched_en")
    context.close()
