"""The staff survey end to end in Chromium: a personal link, the screener, two providers (one in
Chinese), the self-assessment, the review, submit, the database, and the link reopened after a restart.

DuckDB lets one process own the file: the invitations are written before the server starts, and the
database is read again only after the server has stopped.
"""

import re

import pandas as pd
import pytest
from playwright.sync_api import expect

from data.db import open_database
from data.invitations import create_invitations, hash_token
from tests.conftest import screenshot, wait_for_app

WAVE = "2027-Q1"
TIMEOUT = 30_000


def _invite(db_path, departments: list[str]) -> list[str]:
    db = open_database(db_path)
    roster = pd.DataFrame(
        {
            "row": range(2, len(departments) + 2),
            "email": [f"person{i}@example.com" for i in range(len(departments))],
            "name": "",
            "department": departments,
        }
    )
    links = create_invitations(db, WAVE, roster, base_url="http://unused", expires_days=7)
    db.close()
    return [link.split("token=")[1] for link in links["link"]]


def _main(pg):
    return pg.get_by_test_id("stMain")


def _settle(pg) -> None:
    pg.wait_for_timeout(400)
    wait_for_app(pg)


def _shot(pg, name: str) -> None:
    _settle(pg)
    screenshot(pg, name)


def _choose(pg, group: str, option: str) -> None:
    _main(pg).get_by_role("radiogroup", name=group, exact=True).get_by_text(option, exact=True).click()


def _press(pg, name: str) -> None:
    _main(pg).get_by_role("button", name=name, exact=True).click()
    _settle(pg)


def _rate_all(pg, option: str, not_applicable: str) -> None:
    """Choose `option` in every statement of the current provider form (the radio groups that offer
    "not applicable"; the recommend question and the language switch do not)."""
    groups = _main(pg).get_by_role("radiogroup")
    for i in range(groups.count()):
        group = groups.nth(i)
        if group.get_by_text(not_applicable, exact=True).count():
            group.get_by_text(option, exact=True).click()
            # as a person does: the next tap after this one shows as chosen (Playwright taps faster
            # than a page redraws; the database check at the end still sees any answer not kept)
            expect(group.get_by_role("radio", name=option, exact=True)).to_be_checked(timeout=TIMEOUT)


@pytest.mark.browser
def test_a_staff_member_answers_through_a_personal_link(demo_target, live_server_factory, browser, page):
    # on each backend: a DuckDB file, or PostgreSQL (issue 23) with the same pages and checks
    token, phone_token = _invite(demo_target, ["SALES", "HR"])
    server = live_server_factory(demo_target)
    pg = page

    # 1. the link opens the screener; the token leaves the address bar
    pg.goto(f"{server.url}/survey?token={token}")
    wait_for_app(pg)
    expect(_main(pg).get_by_text("Which departments did you work with?")).to_be_visible(timeout=TIMEOUT)
    expect(pg).not_to_have_url(re.compile("token="), timeout=TIMEOUT)
    expect(_main(pg).get_by_text("Survey round: 2027 Q1 · Your department: Sales")).to_be_visible()
    _shot(pg, "survey_1_screener_en")
    _choose(pg, "Production", "Weekly")
    _choose(pg, "IT", "Daily")
    _press(pg, "Next")

    # 2. the first provider (IT serves Sales and comes first), in English
    expect(_main(pg).get_by_text("Step 2 of 5 · about 8 min left")).to_be_visible(timeout=TIMEOUT)
    expect(_main(pg).get_by_role("heading", name="IT")).to_be_visible()
    _rate_all(pg, "4", "Not applicable")
    _main(pg).locator("[class*='st-key-survey-rec-IT'] button").get_by_text("9", exact=True).click()
    _main(pg).get_by_label("What is the one thing IT should do differently?").fill("<b>Answer tickets</b> within a day")
    _shot(pg, "survey_2_provider_en")
    _press(pg, "Next")

    # 3. switch to Chinese on the page for the second provider
    expect(_main(pg).get_by_text("Step 3 of 5 · about 6 min left")).to_be_visible(timeout=TIMEOUT)
    _main(pg).get_by_role("radio", name="中文").click()
    _settle(pg)
    expect(_main(pg).get_by_text("第3步，共5步 · 约剩6分钟")).to_be_visible(timeout=TIMEOUT)
    expect(_main(pg).get_by_role("heading", name="生产部")).to_be_visible()
    _rate_all(pg, "2", "不适用")
    _main(pg).locator("[class*='st-key-survey-rec-PROD'] button").get_by_text("0", exact=True).click()
    _main(pg).get_by_label("您最需要生产部提供什么？").fill("可靠的交期")
    _shot(pg, "survey_3_provider_zh")
    _press(pg, "下一步")

    # 4. the self-assessment (the wave enables it): one prediction, the rest skipped
    expect(_main(pg).get_by_text("您的内部客户如何看待您的部门？")).to_be_visible(timeout=TIMEOUT)
    _main(pg).get_by_role("radiogroup", name="价值").first.get_by_text("4", exact=True).click()
    _shot(pg, "survey_4_self_zh")
    _press(pg, "下一步")

    # 5. review, then submit once
    expect(_main(pg).get_by_role("heading", name="检查您的回答")).to_be_visible(timeout=TIMEOUT)
    expect(_main(pg).get_by_text("<b>Answer tickets</b> within a day")).to_be_visible()
    expect(_main(pg).get_by_text("推荐意愿（0-10）：0")).to_be_visible()
    _shot(pg, "survey_5_review_zh")
    _main(pg).get_by_role("button", name="提交我的回答").dblclick()
    expect(_main(pg).get_by_text("谢谢！您的回答已记录。")).to_be_visible(timeout=TIMEOUT)
    _settle(pg)
    _shot(pg, "survey_6_thanks_zh")

    # 6. a phone-sized screen: another person's link, screener and a provider form
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB", is_mobile=True)
    mobile = phone.new_page()
    mobile.goto(f"{server.url}/survey?token={phone_token}")
    wait_for_app(mobile)
    expect(_main(mobile).get_by_text("Which departments did you work with?")).to_be_visible(timeout=TIMEOUT)
    _settle(mobile)
    _shot(mobile, "survey_7_phone_screener_en")
    _choose(mobile, "IT", "Weekly")
    _press(mobile, "Next")
    expect(_main(mobile).get_by_text(re.compile(r"^Step 2 of 4 · about \d+ min left$"))).to_be_visible(timeout=TIMEOUT)
    mobile.get_by_test_id("stMain").get_by_role("radio", name="中文").click()
    _settle(mobile)
    expect(_main(mobile).get_by_text(re.compile(r"^第2步，共4步 · 约剩\d+分钟$"))).to_be_visible(timeout=TIMEOUT)
    _shot(mobile, "survey_8_phone_provider_zh")
    phone.close()

    # 7. the database holds exactly those answers, and the token is used
    server.stop()
    db = open_database(demo_target)
    con = db.connection()
    rows = con.execute(
        "SELECT provider_dept, rater_dept, frequency, recommend FROM responses"
        " WHERE wave_id = ? ORDER BY provider_dept",
        [WAVE],
    ).fetchall()
    assert rows == [("IT", "SALES", "daily", 9), ("PROD", "SALES", "weekly", 0)]
    answers = con.execute(
        "SELECT r.provider_dept, min(a.value), max(a.value), count(*) FROM answers a"
        " JOIN responses r USING (response_id) WHERE r.wave_id = ? GROUP BY r.provider_dept ORDER BY 1",
        [WAVE],
    ).fetchall()
    assert answers == [("IT", 4, 4, 14), ("PROD", 2, 2, 14)]
    comments = con.execute(
        "SELECT r.provider_dept, c.question, c.text FROM comments c JOIN responses r USING (response_id)"
        " WHERE r.wave_id = ? ORDER BY 1",
        [WAVE],
    ).fetchall()
    assert comments == [("IT", "change", "<b>Answer tickets</b> within a day"), ("PROD", "need", "可靠的交期")]
    selfs = con.execute("SELECT provider_dept, dimension, value FROM self_assessments WHERE wave_id = ?", [WAVE])
    assert selfs.fetchall() == [("SALES", "value", 4)]
    used = dict(con.execute("SELECT token_hash, used FROM invitations WHERE wave_id = ?", [WAVE]).fetchall())
    assert used[hash_token(token)] is True
    drafts = "SELECT count(*) FROM invitations WHERE token_hash = ? AND draft IS NOT NULL"
    assert con.execute(drafts, [hash_token(token)]).fetchone()[0] == 0
    # the unfinished phone respondent keeps a draft and an unused link
    assert used[hash_token(phone_token)] is False
    db.close()

    # 8. after a restart, the same link says the survey is done
    server = live_server_factory(demo_target)
    pg.goto(f"{server.url}/survey?token={token}")
    wait_for_app(pg)
    expect(_main(pg).get_by_text("This survey has already been completed with this link")).to_be_visible(
        timeout=TIMEOUT
    )
    # nothing else: no form, no question
    expect(_main(pg).get_by_test_id("stForm")).to_have_count(0)
    expect(_main(pg).get_by_role("button", name="Next")).to_have_count(0)
    _shot(pg, "survey_9_already_done_en")
