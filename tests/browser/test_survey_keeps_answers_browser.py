"""Issue 19 on a phone (390 x 844) in Chromium: every answer is kept as it is given, whatever the
language and whichever browser opens the link next.

The server owns the database file, so the invitations are written before it starts. Every wait is
for a condition the server draws (the count of saved answers, a heading, a progress text), never a
fixed time.
"""

import re
import time

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


DESKTOP = {"viewport": {"width": 1440, "height": 900}}


@pytest.mark.browser
def test_two_tabs_of_one_link_add_to_each_other_instead_of_overwriting(demo_db_path, live_server_factory, browser):
    """The same link open twice (a phone and a desktop, or two tabs): each keeps the other's answers
    (before, each session wrote its whole draft, so the last tap in one tab erased the other's)."""
    (token,) = _invite(demo_db_path, 1)
    server = live_server_factory(demo_db_path)
    url = f"{server.url}/survey?token={token}"
    desk_context, desk = _open(browser, url, "en-GB", DESKTOP)
    expect(_main(desk).get_by_text("Which departments did you work with?")).to_be_visible(timeout=TIMEOUT)
    _choose(desk, "IT", "Daily")
    _saved(desk, "Answers saved with your link: 1")
    _main(desk).get_by_role("button", name="Next", exact=True).click()
    expect(_main(desk).get_by_role("heading", name="IT")).to_be_visible(timeout=TIMEOUT)

    phone_context, phone = _open(browser, url, "en-GB")
    expect(_main(phone).get_by_role("heading", name="IT")).to_be_visible(timeout=TIMEOUT)
    _saved(phone, "Answers saved with your link: 1")

    _choose(desk, "IT delivers what they promised.", "4")
    _saved(desk, "Answers saved with your link: 2")
    _choose(phone, "IT gets it right the first time.", "5")
    _saved(phone, "Answers saved with your link: 3")  # the desktop's answer is kept, and shown here
    _checked(phone, "IT delivers what they promised.", "4")
    _choose(desk, "IT responds to our requests in time.", "2")
    _saved(desk, "Answers saved with your link: 4")
    _checked(desk, "IT gets it right the first time.", "5")
    screenshot(desk, "survey_19_6_two_tabs_desktop_en")
    desk_context.close()
    phone_context.close()

    context, pg = _open(browser, url, "en-GB")
    expect(_main(pg).get_by_role("heading", name="IT")).to_be_visible(timeout=TIMEOUT)
    _saved(pg, "Answers saved with your link: 4")
    _checked(pg, "IT delivers what they promised.", "4")
    _checked(pg, "IT gets it right the first time.", "5")
    _checked(pg, "IT responds to our requests in time.", "2")
    context.close()


@pytest.mark.browser
def test_taps_faster_than_the_page_redraws_are_all_kept(demo_db_path, live_server_factory, browser):
    """Fourteen statements tapped one after the other without waiting for the page (a quick thumb
    or a slow server): every tap stays chosen and reaches the link's draft. Before, a tap that
    arrived while the previous one's rerun was running could be undone on screen and never saved
    (Streamlit's fast reruns ran two threads on the session; ui.frame.callback, runner.fastReruns)."""
    tokens = _invite(demo_db_path, 2)
    server = live_server_factory(demo_db_path)
    for n, token in enumerate(tokens):
        context, pg = _open(browser, f"{server.url}/survey?token={token}", "en-GB", DESKTOP if n else PHONE)
        expect(_main(pg).get_by_text("Which departments did you work with?")).to_be_visible(timeout=TIMEOUT)
        _choose(pg, "IT", "Daily")
        _main(pg).get_by_role("button", name="Next", exact=True).click()
        expect(_main(pg).get_by_role("heading", name="IT")).to_be_visible(timeout=TIMEOUT)
        # the form drawn to its end (a tap on a control the browser is still placing can miss it,
        # and then it shows as not chosen: no answer is lost that the person was shown)
        expect(_main(pg).get_by_role("button", name="Next", exact=True)).to_be_visible(timeout=TIMEOUT)
        wait_for_app(pg)
        statements = _main(pg).get_by_role("radiogroup").filter(has_text="Not applicable")
        expect(statements).to_have_count(14)
        for i in range(14):
            statements.nth(i).get_by_text("4", exact=True).click()  # no wait between taps
        _saved(pg, "Answers saved with your link: 15")
        for i in range(14):
            expect(statements.nth(i).get_by_role("radio", name="4", exact=True)).to_be_checked()
        context.close()

    # what was saved, as another browser opening the links sees it
    for token in tokens:
        context, pg = _open(browser, f"{server.url}/survey?token={token}", "en-GB", DESKTOP)
        expect(_main(pg).get_by_role("heading", name="IT")).to_be_visible(timeout=TIMEOUT)
        _saved(pg, "Answers saved with your link: 15")
        context.close()


@pytest.mark.browser
def test_a_comment_is_kept_while_it_is_typed_without_leaving_the_box(demo_db_path, live_server_factory, browser):
    """Streamlit keeps a text box's value when the box loses focus: a comment typed on a phone and the
    app left straight away was lost. Now it is kept after a short pause in typing (the box keeps the
    focus, so a phone keeps its keyboard) and at once when the page is hidden (another app)."""
    (token,) = _invite(demo_db_path, 1)
    server = live_server_factory(demo_db_path)
    url = f"{server.url}/survey?token={token}"
    context = browser.new_context(locale="en-GB", **PHONE)
    pg = context.new_page()
    received = []  # when the server's messages arrived (what it draws after it has saved)
    pg.on("websocket", lambda ws: ws.on("framereceived", lambda frame: received.append(time.monotonic())))
    pg.goto(url)
    wait_for_app(pg)
    expect(_main(pg).get_by_text("Which departments did you work with?")).to_be_visible(timeout=TIMEOUT)
    _choose(pg, "IT", "Weekly")
    _saved(pg, "Answers saved with your link: 1")
    _main(pg).get_by_role("button", name="Next", exact=True).click()
    expect(_main(pg).get_by_role("heading", name="IT")).to_be_visible(timeout=TIMEOUT)
    box = _main(pg).get_by_label("What is the one thing IT should do differently?")
    box.click()
    box.press_sequentially("Reply within a day", delay=20)
    _saved(pg, "Answers saved with your link: 2")  # no tap elsewhere, no Ctrl+Enter: a pause
    expect(box).to_be_focused()
    screenshot(pg, "survey_19_7_phone_comment_kept_en")

    # typing on, then leaving at once (another app, the screen locked): kept as the page is hidden
    wait_for_app(pg)
    box.press_sequentially(", please", delay=20)
    hidden_at = time.monotonic()
    pg.evaluate(
        "() => { Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )
    # the server draws the form again only after it has saved the draft (views/survey.py)
    deadline = time.monotonic() + TIMEOUT / 1000
    while sum(1 for t in received if t > hidden_at) < 5 and time.monotonic() < deadline:
        pg.wait_for_timeout(100)
    assert sum(1 for t in received if t > hidden_at) >= 5, "the page sent nothing when it was hidden"
    wait_for_app(pg)
    context.close()

    context, pg = _open(browser, url, "en-GB")
    expect(_main(pg).get_by_role("heading", name="IT")).to_be_visible(timeout=TIMEOUT)
    expect(_main(pg).get_by_label("What is the one thing IT should do differently?")).to_have_value(
        "Reply within a day, please", timeout=TIMEOUT
    )
    context.close()
