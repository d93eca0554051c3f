"""AppTest of the Invitations page: roster in, links out, response rates with the reminder list."""

import datetime as dt

from data.audit import list_events
from data.db import Database
from data.invitations import hash_token
from data.org_import import read_organisation, write_organisation
from data.wave_setup import change_status, create_checked_wave, register_survey_file
from tests.conftest import run_page
from ui.frame import md_escape

PAGE = "views/admin_invitations.py"
ROSTER = "email,name,department\nli@example.com,李娜,SALES\nbo@example.com,Bo,SALES\ncy@example.com,Cy,IT\n"


def _organisation(db_path, *, open_wave: bool = True) -> None:
    db = Database(db_path)
    departments = "code,name_en,name_zh\nSALES,Sales,销售部\nIT,IT,信息技术部\n"
    write_organisation(db, read_organisation(db, departments.encode(), None))
    create_checked_wave(
        db,
        "W1",
        name_en="Wave 1",
        name_zh="第一轮",
        survey_version=register_survey_file(db),
        opens_on=dt.date(2027, 1, 1),
        closes_on=dt.date(2027, 1, 31),
    )
    if open_wave:
        change_status(db, "W1", "open")
    db.close()


def test_without_a_draft_or_open_wave_the_page_says_what_to_do(empty_db_path):
    at = run_page(PAGE, empty_db_path, role="admin")
    assert "Create one under Waves first" in at.info[0].value


def test_a_roster_becomes_a_links_file_and_only_hashes_are_stored(empty_db_path):
    _organisation(empty_db_path)
    at = run_page(PAGE, empty_db_path, role="admin")
    assert "No invitations for this wave yet." in at.info[0].value
    at.file_uploader[0].upload("roster.csv", ROSTER.encode("gbk"), "text/csv")
    at.run()
    assert "3 people in 2 departments." in at.info[0].value
    at.button(key="admin_invitations.generate").click().run()
    assert not at.exception
    assert "3 links created" in at.success[0].value
    download = [b for b in at.get("download_button") if b.key == "admin_invitations.download"]
    assert len(download) == 1
    # and the roster's template (docs/examples/roster.csv) is offered beside the uploader
    assert [b.label for b in at.get("download_button") if b.key == "admin_invitations.template"] == [
        "Download the template (roster.csv)"
    ]
    # The rates now count the new invitations (nobody has answered yet): both departments need a reminder.
    assert "0 of 3 invited people have answered (0%)." in [m.value for m in at.markdown]
    assert "Sales" in at.warning[0].value and "IT" in at.warning[0].value

    db = Database(empty_db_path)
    stored = db.connection().execute("SELECT token_hash, dept_code FROM invitations ORDER BY dept_code").fetchall()
    assert [d for _, d in stored] == ["IT", "SALES", "SALES"]
    events = list_events(db)
    db.close()
    assert list(events["action"]) == ["invitations_create"] and events["detail"].iloc[0] == "n=3"
    assert all("@" not in h for h, _ in stored)


def test_rates_list_departments_below_sixty_percent_for_a_reminder(empty_db_path):
    _organisation(empty_db_path)
    db = Database(empty_db_path)
    expires = dt.datetime(2030, 1, 1)
    rows = [(hash_token(f"token-sales-{i:020d}"), "SALES", i < 4) for i in range(5)]  # 4 of 5 answered: 80%
    rows += [(hash_token(f"token-it-{i:023d}"), "IT", i < 1) for i in range(4)]  # 1 of 4: 25%
    for token_hash, dept, used in rows:
        db.connection().execute(
            "INSERT INTO invitations (token_hash, wave_id, dept_code, expires_at, used) VALUES (?, 'W1', ?, ?, ?)",
            [token_hash, dept, expires, used],
        )
    db.close()
    at = run_page(PAGE, empty_db_path, role="admin")
    assert "5 of 9 invited people have answered (56%)." in [m.value for m in at.markdown]
    assert at.warning[0].value == "Below 60% — worth a reminder: IT"
    table = at.dataframe[0].value
    assert list(table["Department"]) == ["IT", "Sales"]  # lowest rate first
    # 1 and 4 people answered, both fewer than the wave's k = 5: the counts that would move by one
    # as each person answers are not shown per department (only the overall line above)
    assert table["Response rate"].isna().all() and table["Answered"].isna().all()
    zh = run_page(PAGE, empty_db_path, role="admin", lang="zh")
    assert zh.warning[0].value == "低于60%，建议发送提醒：信息技术部"


def test_a_roster_language_column_is_checked_row_by_row(empty_db_path):
    # Issue 19: an optional language per person; a hostile value is named with its row, nothing is written
    # (the same message in Chinese: tests/data/test_invitations.py).
    _organisation(empty_db_path)
    hostile = "email,department,language\nli@example.com,SALES,zh\nbo@example.com,IT,klingon-" + "x" * 500 + "\n"
    at = run_page(PAGE, empty_db_path, role="admin")
    at.file_uploader[0].upload("roster.csv", hostile.encode(), "text/csv")
    at.run()
    assert not at.exception
    assert "Nothing was written" in at.error[0].value
    shown = list(at.dataframe[0].value.iloc[:, 0])
    assert shown == ["Row 3: unknown language 'klingon-xxxxxxxxxxxx…' (use en or zh, or leave it empty)."]
    assert not [b for b in at.button if b.key == "admin_invitations.generate"]
    good = run_page(PAGE, empty_db_path, role="admin")
    good.file_uploader[0].upload("roster.csv", b"email,department,language\nli@example.com,SALES,zh\n", "text/csv")
    good.run()
    good.button(key="admin_invitations.generate").click().run()
    assert "1 links created" in good.success[0].value
    db = Database(empty_db_path)
    assert db.connection().execute("SELECT language FROM invitations").fetchall() == [("zh",)]
    db.close()


def test_a_draft_wave_warns_the_roster_is_previewed_and_links_expire_with_the_wave(empty_db_path):
    _organisation(empty_db_path, open_wave=False)
    at = run_page(PAGE, empty_db_path, role="admin")
    assert any("W1 is a draft" in w.value for w in at.warning)
    at.file_uploader[0].upload("roster.csv", ROSTER.encode("utf-8"), "text/csv")
    at.run()
    preview = at.dataframe[0].value  # the first rows as they will be used, before any link exists
    assert list(preview["Department"]) == ["SALES", "SALES", "IT"]
    assert "李娜" in list(preview["Name"])
    expiry = at.checkbox(key="admin_invitations.with_wave")
    assert expiry.value is True and "2027-01-31" in expiry.label
    db = Database(empty_db_path)
    assert db.connection().execute("SELECT count(*) FROM invitations").fetchone()[0] == 0
    db.close()
    at.button(key="admin_invitations.generate").click().run()
    assert not at.exception
    db = Database(empty_db_path)
    (expires,) = db.connection().execute("SELECT DISTINCT expires_at FROM invitations").fetchone()
    db.close()
    assert expires == dt.datetime(2027, 2, 1, 0, 0)  # the end of 2027-01-31 in UTC (the default time zone)


def test_the_draft_warning_in_chinese(empty_db_path):
    _organisation(empty_db_path, open_wave=False)
    at = run_page(PAGE, empty_db_path, role="admin", lang="zh")
    assert any("草稿" in w.value for w in at.warning)


# Mail (issue 21): sending from the page, the outbox, the rule, the test message and reminders.

ROSTER_MAIL = (
    "email,name,department,language\nli@example.com,李娜,SALES,zh\nbo@example.com,Bo,SALES,\n"
    '"bad@example.com\r\nBcc: x@example.com",Cy,IT,\n'  # a quoted line break inside the cell
)


def _outbox(monkeypatch, tmp_path, *, key: str = ""):
    for name in ("ICSAT_SMTP_HOST", "ICSAT_MAIL_RATE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ICSAT_MAIL_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.setenv("ICSAT_ADDRESS_KEY", key)
    return tmp_path / "outbox"


def test_the_page_sends_each_link_to_the_outbox_and_reports_the_failed_address(empty_db_path, monkeypatch, tmp_path):
    outbox = _outbox(monkeypatch, tmp_path)
    _organisation(empty_db_path)
    at = run_page(PAGE, empty_db_path, role="admin")
    notes = [m.value for m in at.caption]
    assert any("No mail server is set" in n and md_escape(outbox) in n for n in notes)
    assert any("no address is kept and reminders are unavailable" in n for n in notes)
    at.file_uploader[0].upload("roster.csv", ROSTER_MAIL.encode(), "text/csv")
    at.run()
    at.checkbox(key="admin_invitations.send").check().run()
    at.button(key="admin_invitations.generate").click().run()
    assert not at.exception
    assert "3 links created" in at.success[0].value
    assert any("2 of 3 messages written to the outbox" in m.value for m in at.info)
    assert any("1 address(es) failed" in w.value for w in at.warning)
    # the roster's preview comes first; then the table of failed addresses
    (failed,) = [d.value for d in at.dataframe if "Roster row" in d.value.columns]
    assert list(failed["Roster row"]) == [4] and "line break" in failed["Reason"].iloc[0]
    assert len(list(outbox.glob("*.eml"))) == 2


def test_the_test_message_and_remind_now_with_an_address_key(empty_db_path, monkeypatch, tmp_path):
    from cryptography.fernet import Fernet

    outbox = _outbox(monkeypatch, tmp_path, key=Fernet.generate_key().decode())
    _organisation(empty_db_path)
    at = run_page(PAGE, empty_db_path, role="admin")
    assert any("Reminders without a list of who answered" in m.value for m in at.caption)
    at.text_input(key="admin_invitations.test_to").input("me@example.com")
    at.button(key="admin_invitations.test").click().run()
    assert any("Test message sent" in s.value for s in at.success)
    assert len(list(outbox.glob("*.eml"))) == 1
    at.file_uploader[0].upload("roster.csv", ROSTER.encode(), "text/csv")
    at.run()
    at.button(key="admin_invitations.generate").click().run()  # links only, no mail
    assert len(list(outbox.glob("*.eml"))) == 1
    at.run()
    assert any("3 people without an answer can be reminded today." in m.value for m in at.markdown)
    at.button(key="admin_invitations.remind").click().run()
    assert not at.exception
    assert any("3 reminder(s) sent" in s.value for s in at.success)
    assert len(list(outbox.glob("*.eml"))) == 4
    at.run()
    assert any("0 people without an answer can be reminded today." in m.value for m in at.markdown)
