"""cli.py invite --send, mail test, mail new-key and remind, against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import re
from email import message_from_bytes, policy

import pytest
from cryptography.fernet import Fernet

import cli
from data.db import Database, open_database
from tests.smtp_server import SmtpServer

ROSTER = (
    "email,name,department,language\nann@example.com,Ann,SALES,\nli@example.com,李娜,IT,zh\nrefused@example.com,,IT,\n"
)


@pytest.fixture
def server(monkeypatch):
    smtp = SmtpServer().start()
    for name, value in smtp.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ICSAT_ADDRESS_KEY", Fernet.generate_key().decode())
    yield smtp
    smtp.stop()


def test_invite_send_mails_each_link_and_lists_the_failed_address(demo_target, tmp_path, server, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "links.csv"
    code = cli.main(
        ["invite", "--db", demo_target, "--wave", "2027-Q1", "--roster", str(roster), "--out", str(out), "--send"]
    )
    printed = capsys.readouterr()
    assert code == 1  # one address failed
    assert f"2 of 3 invitation(s) sent through 127.0.0.1:{server.port}" in printed.out
    assert "row 4: refused@example.com: refused by the mail server (550" in printed.err
    links = out.read_text(encoding="utf-8-sig")
    (li,) = server.to("li@example.com")
    (link,) = re.findall(r"http\S+token=\S+", li.get_body(("plain",)).get_content())
    assert li["Content-Language"] == "zh-CN" and f"li@example.com,李娜,IT,{link}" in links


def test_remind_sends_the_reminders_due_and_a_second_run_sends_nothing(demo_target, tmp_path, server, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    db = ["--db", demo_target]
    assert (
        cli.main(["invite", *db, "--wave", "2027-Q1", "--roster", str(roster), "--out", str(tmp_path / "l.csv")]) == 0
    )
    assert server.messages == []
    due = (dt.date(2026, 12, 11) - dt.timedelta(days=5)).isoformat()  # the demo wave closes on 11 December
    assert cli.main(["remind", *db, "--today", "2026-12-07"]) == 0
    assert "no reminders due on 2026-12-07" in capsys.readouterr().out
    assert cli.main(["remind", *db, "--today", due]) == 1  # refused@ fails
    printed = capsys.readouterr()
    assert "2 of 3 reminder(s) sent" in printed.out
    # the failure is reported by its reason alone: a reminder's address says who has not answered
    assert "refused by the mail server" in printed.err and "@" not in printed.err
    assert {r for rcpts, _ in server.messages for r in rcpts} == {"ann@example.com", "li@example.com"}
    assert cli.main(["remind", *db, "--today", due]) == 0
    assert f"no reminders due on {due}" in capsys.readouterr().out
    assert cli.main(["remind", *db, "--now", "--wave", "2027-Q1", "--today", "2026-12-07"]) == 1
    assert len(server.messages) == 4


def test_remind_without_a_key_says_why(demo_db_path, monkeypatch, capsys):
    monkeypatch.setenv("ICSAT_ADDRESS_KEY", "")
    assert cli.main(["remind", "--db", str(demo_db_path)]) == 2
    assert "no ICSAT_ADDRESS_KEY" in capsys.readouterr().err


def test_mail_test_goes_to_the_outbox_without_a_server(demo_target, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ICSAT_SMTP_HOST", raising=False)
    monkeypatch.setenv("ICSAT_MAIL_OUTBOX", str(tmp_path / "outbox"))
    assert cli.main(["mail", "test", "--db", demo_target, "--to", "me@example.com"]) == 0
    assert "written to the outbox" in capsys.readouterr().out
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    assert cli.main(["mail", "test", "--db", demo_target, "--to", "me@example.com\r\nBcc: x@example.com"]) == 1
    assert "line break" in capsys.readouterr().err
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_invite_send_without_a_server_writes_each_link_to_the_outbox(demo_target, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ICSAT_SMTP_HOST", raising=False)
    monkeypatch.setenv("ICSAT_MAIL_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.setenv("ICSAT_ADDRESS_KEY", Fernet.generate_key().decode())
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "links.csv"
    argv = ["invite", "--db", demo_target, "--wave", "2027-Q1", "--roster", str(roster), "--out", str(out), "--send"]
    assert cli.main(argv) == 0
    assert f"3 of 3 invitation(s) written to the outbox {tmp_path / 'outbox'}" in capsys.readouterr().out
    messages = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(messages) == 3
    links = re.findall(r"http\S+token=[^\s,]+", out.read_text(encoding="utf-8-sig"))
    mailed = "".join(
        message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
        for path in messages
    )
    assert len(links) == 3 and all(link in mailed for link in links)
    db = open_database(demo_target)
    try:
        kept = (
            db.connection()
            .execute("SELECT count(*) FROM invitations WHERE wave_id = '2027-Q1' AND contact_enc IS NOT NULL")
            .fetchone()
        )
        assert kept == (3,)  # encrypted addresses kept for the reminders
    finally:
        db.close()


def test_the_outbox_of_a_postgres_store_is_not_beside_its_url(monkeypatch):
    from services.mail import outbox_folder
    from settings import load_settings

    class Store:
        backend = "postgres"
        path = "postgresql://icsat@db.internal:5432/icsat"

    folder = outbox_folder(Store(), load_settings({}, {}))
    assert "postgresql" not in str(folder) and folder.name == "outbox"


def test_mail_new_key_prints_a_key_the_settings_accept(capsys):
    assert cli.main(["mail", "new-key"]) == 0
    key = capsys.readouterr().out.strip()
    Fernet(key.encode())
    Database(":memory:").close()
