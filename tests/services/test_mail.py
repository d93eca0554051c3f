"""Mail against a real SMTP server (aiosmtpd on 127.0.0.1): invitations and reminders arrive with the
right link, language and headers; failures are reported and retried; an address is erased by the
submission that uses its invitation, so a reminder never reaches someone who answered."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from email import message_from_bytes, policy

import pandas as pd
import pytest
from cryptography.fernet import Fernet

from data.addresses import AddressBox, BadAddress, recipient
from data.audit import list_events
from data.invitations import create_invitations, hash_token
from data.submissions import PendingSubmission, SubmissionWriter, submit_direct
from services import invitations, mail
from settings import load_settings
from tests.data.test_submissions import _submission
from tests.smtp_server import SmtpServer, free_port

WAVE = "2027-Q1"  # the demo's open wave: closes 2026-12-11, default language English
CLOSES = dt.date(2026, 12, 11)
KEY = Fernet.generate_key().decode()


@pytest.fixture
def server():
    smtp = SmtpServer().start()
    yield smtp
    smtp.stop()


@pytest.fixture
def db(demo_store):
    """The demo organisation, on DuckDB and on PostgreSQL."""
    return demo_store


def _cfg(environment: dict[str, str], **more: str):
    return load_settings({**environment, **more}, {})


def _roster(rows: list[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": range(2, len(rows) + 2),
            "email": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "department": [r[2] for r in rows],
            "language": [r[3] for r in rows],
        }
    )


def _create(db, monkeypatch, rows, *, key: str = KEY) -> pd.DataFrame:
    monkeypatch.setenv("ICSAT_ADDRESS_KEY", key)
    return invitations.create(db, "admin", WAVE, _roster(rows), base_url="https://icsat.example.com")


def _token(link: str) -> str:
    return link.split("token=")[1]


def _submit(db, link: str, rater: str = "SALES") -> str:
    result = submit_direct(db, PendingSubmission(hash_token(_token(link)), WAVE, _submission(rater=rater)))
    return result.status


def test_each_person_gets_their_link_in_their_language_as_text_and_html(db, server, monkeypatch):
    links = _create(
        db,
        monkeypatch,
        [("ann@example.com", "Ann", "SALES", None), ("li@example.com", "李娜", "IT", "zh")],
    )
    cfg = _cfg(server.environment())
    report = mail.send_invitations(db, "admin", WAVE, links, cfg=cfg)
    assert (report.sent, report.total, report.failures, report.via) == (2, 2, [], "smtp")

    (ann,) = server.to("ann@example.com")
    assert ann["Subject"] == "2027 Q1: how well do other departments serve yours?"
    assert ann["From"] == "ICSAT <icsat@example.com>" and ann["Reply-To"] == "hr-survey@example.com"
    assert ann["To"] == "Ann <ann@example.com>" and ann["Content-Language"] == "en"
    assert ann["Message-ID"] and ann["Date"]
    assert ann.get_content_type() == "multipart/alternative"
    text = ann.get_body(("plain",)).get_content()
    rich = ann.get_body(("html",)).get_content()
    link = links.loc[links["email"] == "ann@example.com", "link"].item()
    assert link in text and f'href="{link}"' in rich
    assert "Hello Ann," in text and "closes on 11 December 2026" in text
    assert "at least 5 people" in text and "erased the moment you answer" in text

    (li,) = server.to("li@example.com")
    assert li["Subject"] == "2027年第一季度：其他部门为您部门提供的服务如何？"
    assert li["Content-Language"] == "zh-CN"
    text = li.get_body(("plain",)).get_content()
    assert "李娜，您好！" in text and "2026年12月11日" in text and "隐私说明" in text
    assert links.loc[links["email"] == "li@example.com", "link"].item() in text

    events = list_events(db, actions=["invitations_send"])
    assert events["detail"].tolist() == ["sent=2 failed=0 via=smtp"]
    assert "@" not in " ".join(list_events(db)["detail"].dropna())  # no address in the audit log


def test_a_refused_recipient_is_reported_once_and_a_busy_one_is_retried(db, server, monkeypatch):
    links = _create(
        db,
        monkeypatch,
        [("refused@example.com", "", "SALES", None), ("flaky@example.com", "", "SALES", None)],
    )
    report = mail.send_invitations(db, "admin", WAVE, links, cfg=_cfg(server.environment()), backoff=0.01)
    assert report.sent == 1
    (failure,) = report.failures
    assert (failure.address, failure.code, failure.row) == ("refused@example.com", "refused", 2)
    assert failure.detail.startswith("550")
    assert server.rcpt_attempts["refused@example.com"] == 1  # a permanent refusal is not retried
    assert server.rcpt_attempts["flaky@example.com"] == 3  # 451 twice, then accepted
    assert len(server.to("flaky@example.com")) == 1
    frame = report.failures_frame("zh")
    assert list(frame.columns) == ["地址", "名单行号", "原因"] and "被邮件服务器拒绝" in frame["原因"].iloc[0]


def test_a_server_that_is_down_is_retried_then_every_address_is_reported(db, monkeypatch):
    links = _create(db, monkeypatch, [(f"p{i}@example.com", "", "SALES", None) for i in range(5)])
    cfg = _cfg({"ICSAT_SMTP_HOST": "127.0.0.1", "ICSAT_SMTP_PORT": str(free_port()), "ICSAT_SMTP_SECURITY": "none"})
    waits: list[float] = []
    transport = mail.transport_for(db, cfg)
    report = mail.deliver(
        [
            mail.Letter(e, lambda _l, e=e: (recipient(e), mail.EmailMessage()), row=i)
            for i, e in enumerate(links["email"])
        ],
        transport,
        total=5,
        backoff=0.01,
        sleep=waits.append,
    )
    assert report.sent == 0 and len(report.failures) == 5
    assert [f.code for f in report.failures] == ["unreachable", "unreachable", "not_sent", "not_sent", "not_sent"]
    assert waits == [0.01, 0.02, 0.04] * 2  # three retries with back-off for each of the first two


def test_a_server_that_never_answers_times_out_and_is_reported(db, monkeypatch):
    links = _create(db, monkeypatch, [("ann@example.com", "", "SALES", None)])
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never greets
    try:
        cfg = _cfg(
            {
                "ICSAT_SMTP_HOST": "127.0.0.1",
                "ICSAT_SMTP_PORT": str(silent.getsockname()[1]),
                "ICSAT_SMTP_SECURITY": "none",
                "ICSAT_SMTP_TIMEOUT": "0.2",
                "ICSAT_MAIL_RATE": "0",
            }
        )
        started = time.perf_counter()
        report = mail.send_invitations(db, "admin", WAVE, links, cfg=cfg, backoff=0.01)
    finally:
        silent.close()
    assert report.sent == 0 and [f.code for f in report.failures] == ["timeout"]
    assert time.perf_counter() - started < 5  # four attempts of 0.2 s each, not a hang


@pytest.mark.parametrize(
    ("email", "name", "code"),
    [
        ("ann@example.com\r\nBcc: everyone@example.com", "", "line_break"),
        ("ann@example.com", "Ann\r\nBcc: everyone@example.com", "line_break"),
        ("ann@example.com\nX-Injected: 1", "", "line_break"),
        ("a" * 60 + "@" + "b" * 200 + ".example.com", "", "too_long"),
        ("not an address", "", "invalid"),
        ("two@example.com, three@example.com", "", "invalid"),
        ("", "Only a name", "no_address"),
    ],
)
def test_hostile_or_broken_addresses_are_refused_and_nothing_is_sent(db, server, monkeypatch, email, name, code):
    links = _create(db, monkeypatch, [(email, name, "SALES", None), ("ok@example.com", "", "SALES", None)])
    report = mail.send_invitations(db, "admin", WAVE, links, cfg=_cfg(server.environment()))
    assert report.sent == 1 and [f.code for f in report.failures] == [code]
    assert [rcpts for rcpts, _ in server.messages] == [["ok@example.com"]]
    (message,) = server.to("ok@example.com")
    assert "Bcc" not in message and "X-Injected" not in message
    with pytest.raises(BadAddress):
        recipient(email, name)


def test_unicode_addresses_go_out_with_smtputf8_or_are_refused_clearly(db, monkeypatch):
    rows = [("张伟@例子.中国", "张伟", "SALES", "zh"), ("jörg.müller@example.de", "Jörg Müller", "IT", None)]
    links = _create(db, monkeypatch, rows)
    with_utf8 = SmtpServer(smtputf8=True).start()
    try:
        report = mail.send_invitations(db, "admin", WAVE, links, cfg=_cfg(with_utf8.environment()))
    finally:
        with_utf8.stop()
    assert report.sent == 2 and report.failures == []
    (zhang,) = with_utf8.to("张伟@例子.中国")
    assert "张伟" in zhang["To"] and "张伟，您好！" in zhang.get_body(("plain",)).get_content()
    (jorg,) = with_utf8.to("jörg.müller@example.de")
    assert jorg["To"] == "Jörg Müller <jörg.müller@example.de>"

    without = SmtpServer(smtputf8=False).start()
    try:
        report = mail.send_invitations(db, "admin", WAVE, links, cfg=_cfg(without.environment()))
    finally:
        without.stop()
    assert report.sent == 0 and {f.code for f in report.failures} == {"unicode_unsupported"}
    assert "does not accept addresses with non-ASCII" in report.failures[0].reason("en")
    # an ASCII address with a Chinese name is fine anywhere: the name is an encoded word
    links = _create(db, monkeypatch, [("wei@example.com", "张伟", "SALES", None)])
    without = SmtpServer(smtputf8=False).start()
    try:
        report = mail.send_invitations(db, "admin", WAVE, links, cfg=_cfg(without.environment()))
        (wei,) = without.to("wei@example.com")
    finally:
        without.stop()
    assert report.sent == 1 and wei["To"] == "张伟 <wei@example.com>"


def test_without_a_server_messages_go_to_the_outbox_as_eml_files(db, monkeypatch, tmp_path):
    links = _create(db, monkeypatch, [("ann@example.com", "Ann", "SALES", None), ("li@example.com", "", "IT", "zh")])
    cfg = _cfg({"ICSAT_MAIL_OUTBOX": str(tmp_path / "outbox"), "ICSAT_MAIL_RATE": "0"})
    report = mail.send_invitations(db, "admin", WAVE, links, cfg=cfg)
    assert (report.sent, report.via, report.where) == (2, "outbox", str(tmp_path / "outbox"))
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2 and not list((tmp_path / "outbox").glob("*.partial"))
    messages = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert {m["To"] for m in messages} == {"Ann <ann@example.com>", "li@example.com"}
    assert all(m.get_content_type() == "multipart/alternative" for m in messages)


def _kept(db) -> dict[str, str | None]:
    rows = db.connection().execute("SELECT token_hash, contact_enc FROM invitations WHERE wave_id = ?", [WAVE])
    return dict(rows.fetchall())


def test_addresses_are_kept_encrypted_and_erased_by_the_submission_that_uses_the_invitation(db, monkeypatch):
    links = _create(db, monkeypatch, [("ann@example.com", "Ann", "SALES", None), ("bo@example.com", "", "SALES", None)])
    kept = _kept(db)
    assert all(v is not None for v in kept.values())
    dump = str(db.connection().execute("SELECT * FROM invitations").fetchall())
    assert "ann@example.com" not in dump and "Ann" not in dump and "token=" not in dump  # only ciphertext
    box = AddressBox(KEY)
    ann_hash = hash_token(_token(links["link"].iloc[0]))
    assert box.open(kept[ann_hash]) == ("ann@example.com", links["link"].iloc[0])

    assert _submit(db, links["link"].iloc[0]) == "ok"
    kept = _kept(db)
    assert kept[ann_hash] is None  # erased in the claim's own transaction
    assert kept[hash_token(_token(links["link"].iloc[1]))] is not None
    # responses carry no link to invitations, and their date is a day
    columns = dict(
        db.connection()
        .execute(
            "SELECT column_name, upper(data_type) FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = 'responses'"
        )
        .fetchall()
    )
    assert "token_hash" not in columns and columns["submitted_on"] == "DATE"
    assert not any("invitation" in c for c in columns)


def test_without_a_key_no_address_is_kept_and_there_are_no_reminders(db, monkeypatch, server):
    _create(db, monkeypatch, [("ann@example.com", "", "SALES", None)], key="")
    assert all(v is None for v in _kept(db).values())
    cfg = _cfg(server.environment())
    assert not mail.reminders_available(cfg)
    report = mail.remind(db, "admin", WAVE, dt.date(2026, 12, 6), cfg=cfg)
    assert report.total == 0 and server.messages == []


def test_reminders_reach_only_people_who_have_not_answered_once_a_day(db, server, monkeypatch):
    rows = [(f"p{i}@example.com", "", "SALES", "zh" if i == 2 else None) for i in range(4)]
    links = _create(db, monkeypatch, rows)
    assert _submit(db, links["link"].iloc[0]) == "ok"
    cfg = _cfg(server.environment(), ICSAT_ADDRESS_KEY=KEY)
    today = dt.date(2026, 12, 6)
    assert mail.remindable(db, WAVE, today) == 3
    report = mail.remind(db, "admin", WAVE, today, cfg=cfg)
    assert (report.sent, report.total, report.failures) == (3, 3, [])
    assert server.to("p0@example.com") == []
    (p1,) = server.to("p1@example.com")
    assert p1["Subject"] == "Reminder: 2027 Q1 closes on 11 December 2026" and p1["Auto-Submitted"] == "auto-generated"
    assert links["link"].iloc[1] in p1.get_body(("plain",)).get_content()
    (p2,) = server.to("p2@example.com")
    assert p2["Subject"] == "提醒：2027年第一季度将于2026年12月11日截止"
    # the same day again: nobody (at most one a day); the day is stored, not a time
    assert mail.remind(db, "admin", WAVE, today, cfg=cfg).sent == 0
    days = db.connection().execute(
        "SELECT upper(data_type) FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = 'invitations' AND column_name = 'last_reminded'"
    )
    assert days.fetchall() == [("DATE",)]
    assert _count_reminded(db) == 3
    # the next day someone else answered: only the two left
    assert _submit(db, links["link"].iloc[1]) == "ok"
    assert mail.remind(db, "admin", WAVE, today + dt.timedelta(days=1), cfg=cfg).sent == 2
    assert len(server.to("p1@example.com")) == 1
    # a used invitation keeps neither address nor reminder day
    used = db.connection().execute(
        "SELECT count(*) FROM invitations WHERE used AND (contact_enc IS NOT NULL OR last_reminded IS NOT NULL)"
    )
    assert used.fetchone()[0] == 0
    assert list_events(db, actions=["reminders_send"])["detail"].tolist() == [
        "now sent=2 failed=0 via=smtp",
        "now sent=0 failed=0 via=smtp",
        "now sent=3 failed=0 via=smtp",
    ]


def test_scheduled_reminders_go_out_on_their_days_only_and_a_tick_may_repeat(db, server, monkeypatch):
    _create(db, monkeypatch, [("ann@example.com", "", "SALES", None)])
    cfg = _cfg(server.environment(), ICSAT_ADDRESS_KEY=KEY, ICSAT_REMINDER_DAYS="5,2")
    assert mail.send_due_reminders(db, CLOSES - dt.timedelta(days=4), cfg=cfg) == {}  # not a reminder day
    reports = mail.send_due_reminders(db, CLOSES - dt.timedelta(days=5), cfg=cfg)
    assert reports[WAVE].sent == 1 and len(server.messages) == 1
    for _ in range(3):  # a tick every minute: nothing more that day, nothing more in the audit log
        assert mail.send_due_reminders(db, CLOSES - dt.timedelta(days=5), cfg=cfg) == {}
    assert len(server.messages) == 1
    assert mail.send_due_reminders(db, CLOSES - dt.timedelta(days=2), cfg=cfg)[WAVE].sent == 1
    assert len(list_events(db, actions=["reminders_send"])) == 2
    assert set(list_events(db, actions=["reminders_send"])["actor"]) == {"scheduler"}


def test_a_reminder_never_reaches_someone_who_answered_under_concurrent_submissions(db, server, monkeypatch):
    n = 60
    links = _create(db, monkeypatch, [(f"p{i}@example.com", "", "SALES", None) for i in range(n)])
    cfg = _cfg(server.environment(), ICSAT_ADDRESS_KEY=KEY)
    writer = SubmissionWriter(db)
    answered_at: dict[str, float] = {}
    start = threading.Barrier(n // 2 + 1)

    def submitter(i: int) -> None:
        start.wait()
        result = writer.submit(PendingSubmission(hash_token(_token(links["link"].iloc[i])), WAVE, _submission()))
        assert result.ok
        answered_at[f"p{i}@example.com"] = time.perf_counter()

    threads = [threading.Thread(target=submitter, args=(i,)) for i in range(0, n, 2)]  # every other person answers
    for thread in threads:
        thread.start()
    start.wait()
    reminded_from = time.perf_counter()
    report = mail.remind(db, "admin", WAVE, dt.date(2026, 12, 6), cfg=cfg)
    for thread in threads:
        thread.join()
    writer.close()
    assert len(answered_at) == n // 2
    reached = {rcpt for rcpts, _ in server.messages for rcpt in rcpts}
    assert {f"p{i}@example.com" for i in range(1, n, 2)} <= reached  # everyone who did not answer
    # someone who answered got a reminder only if the reminder's transaction came first (then the
    # answer came while it was on its way); nobody whose answer was stored before the run began
    assert not {a for a, at in answered_at.items() if at < reminded_from} & reached
    assert report.sent == len(reached) and report.sent + report.skipped == report.total
    # afterwards: every used invitation has lost its address, and a new run reaches nobody who answered
    assert (
        db.connection().execute("SELECT count(*) FROM invitations WHERE used AND contact_enc IS NOT NULL").fetchone()[0]
        == 0
    )
    server.messages.clear()
    mail.remind(db, "admin", WAVE, dt.date(2026, 12, 7), cfg=cfg)
    assert {r for rcpts, _ in server.messages for r in rcpts} == {f"p{i}@example.com" for i in range(1, n, 2)}


def test_a_test_message_is_sent_and_audited(db, server):
    report = mail.send_test(db, "admin", "me@example.com", "zh", cfg=_cfg(server.environment()))
    assert report.sent == 1
    (message,) = server.to("me@example.com")
    assert message["Subject"] == "ICSAT 测试邮件"
    assert list_events(db, actions=["mail_test"])["detail"].tolist() == ["ok"]


def test_a_roster_of_100000_rows_is_encrypted_in_reasonable_time(memory_db, capsys):
    from data.org_import import read_organisation, write_organisation
    from data.wave_setup import create_checked_wave, register_survey_file

    write_organisation(memory_db, read_organisation(memory_db, b"code,name_en,name_zh\nSALES,Sales,Sales\n", None))
    create_checked_wave(
        memory_db,
        "W",
        name_en="W",
        name_zh="W",
        survey_version=register_survey_file(memory_db),
        opens_on=dt.date(2027, 1, 1),
        closes_on=dt.date(2027, 1, 31),
    )
    roster = pd.DataFrame(
        {
            "row": range(2, 100_002),
            "email": [f"person{i}@example.com" for i in range(100_000)],
            "name": "",
            "department": "SALES",
        }
    )
    started = time.perf_counter()
    create_invitations(memory_db, "W", roster, base_url="https://icsat.example.com", box=AddressBox(KEY))
    seconds = time.perf_counter() - started
    kept = memory_db.connection().execute("SELECT count(contact_enc) FROM invitations").fetchone()[0]
    assert kept == 100_000
    with capsys.disabled():
        print(f"\n100,000 invitations with encrypted addresses created in {seconds:.1f} s")


def test_two_reminder_runs_at_once_reach_each_person_once(db, server, monkeypatch):
    """A tick of the in-app scheduler and `cli.py remind` may overlap: each invitation is marked in its
    own transaction before its message, so a person gets one reminder that day, not two."""
    n = 40
    _create(db, monkeypatch, [(f"p{i}@example.com", "", "SALES", None) for i in range(n)])
    cfg = _cfg(server.environment(), ICSAT_ADDRESS_KEY=KEY)
    start = threading.Barrier(2)
    reports = []

    def run() -> None:
        start.wait()
        reports.append(mail.remind(db, "admin", WAVE, dt.date(2026, 12, 6), cfg=cfg))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recipients = [r for rcpts, _ in server.messages for r in rcpts]
    assert sorted(recipients) == sorted(f"p{i}@example.com" for i in range(n))  # each exactly once
    assert sum(r.sent for r in reports) == n


def test_an_address_kept_under_another_key_is_reported_not_sent(db, server, monkeypatch):
    _create(db, monkeypatch, [("ann@example.com", "", "SALES", None)])
    other = Fernet.generate_key().decode()
    report = mail.remind(
        db, "admin", WAVE, dt.date(2026, 12, 6), cfg=_cfg(server.environment(), ICSAT_ADDRESS_KEY=other)
    )
    assert report.sent == 0 and [f.code for f in report.failures] == ["undecryptable"]
    assert list(report.failures_frame("en").columns) == ["Reason"]  # a reminder's report names no address
    assert server.messages == []


def test_the_rate_limit_paces_messages(db, monkeypatch, tmp_path):
    links = _create(db, monkeypatch, [(f"p{i}@example.com", "", "SALES", None) for i in range(21)])
    cfg = _cfg({"ICSAT_MAIL_OUTBOX": str(tmp_path / "outbox"), "ICSAT_MAIL_RATE": "50"})
    started = time.perf_counter()
    report = mail.send_invitations(db, "admin", WAVE, links, cfg=cfg)
    assert report.sent == 21
    assert time.perf_counter() - started >= 20 / 50  # the 21st message waits until 0.4 s (a lower bound only)


def _count_reminded(db) -> int:
    return db.connection().execute("SELECT count(*) FROM invitations WHERE last_reminded IS NOT NULL").fetchone()[0]
