"""Mail: each person's survey link by email, reminders to those who have not answered, and a test
message; through the SMTP server of the settings, or into the outbox folder as .eml files (issue 21).

One home for sending: the Invitations page and `cli.py` (invite --send, remind, mail test) call
`send_invitations`, `remind`, `send_due_reminders` and `send_test`. Every message is text and HTML
(multipart/alternative) in the person's language, with the wave's closing date and a privacy note.
`deliver` paces messages (settings ICSAT_MAIL_RATE), retries what may pass later (a 4xx answer, a
dropped connection, a timeout) with back-off, reconnects, stops when the server stays unreachable,
and returns a report of every address that failed, with a reason code (`mail_fail_<code>` in
ui/locales/admin.yaml). Addresses are checked before they reach a header (data/addresses.py): a
line break (header injection), an over-long or malformed address is refused; a non-ASCII address
needs a server that offers SMTPUTF8.

Reminders: an unused invitation may keep its address, sealed with its link under the deployment's
key (data/addresses.py); the submission's claim erases it. A reminder goes to an invitation only
after a short transaction has seen it unused, with its address, not reminded today, and set
`last_reminded` to today (a day, not a time): an invitation being claimed at that moment makes one of
the two transactions fail (DuckDB's write conflict), and a reminder that loses is not sent. On
PostgreSQL the transaction reads the row FOR UPDATE: a second reminder run or a claim waits for it,
then sees the row as it left it (reminded today, or used).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import itertools
import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path

import pandas as pd

import texts
from data.addresses import BadAddress, address_box, needs_smtputf8, recipient
from data.audit import Action, record_event
from data.db import Database
from data.invitations import roster_language
from data.waves import Wave, get_wave
from settings import ROOT, Settings, settings

RETRIES = 3  # attempts per message after the first
BACKOFF = 1.0  # seconds before the first retry; doubles each time
UNREACHABLE_STOP = 2  # messages in a row that could not reach the server: stop, report the rest
CONNECTION_CODES = ("unreachable", "timeout")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Failure:
    """One address that was not sent to: the roster row (None for reminders), and why."""

    address: str
    code: str
    detail: str = ""
    row: int | None = None

    def reason(self, lang: str) -> str:
        text = texts.translate(f"mail_fail_{self.code}", lang)
        return f"{text} ({self.detail})" if self.detail else text


@dataclass
class SendReport:
    """What a run sent: `sent` messages of `total`, every failure, and where they went."""

    total: int = 0
    sent: int = 0
    failures: list[Failure] = field(default_factory=list)
    via: str = "outbox"  # "smtp" or "outbox"
    where: str = ""  # the server (host:port) or the outbox folder
    skipped: int = 0  # reminders not sent because the person answered meanwhile

    def failures_frame(self, lang: str) -> pd.DataFrame:
        """The failed addresses with roster row and reason; a reminder run's failures have no
        address (see `remind`), so their table is the reasons alone."""
        columns = {
            texts.translate("mail_col_address", lang): [f.address for f in self.failures],
            texts.translate("mail_col_row", lang): pd.array([f.row for f in self.failures], dtype="Int64"),
            texts.translate("mail_col_reason", lang): [f.reason(lang) for f in self.failures],
        }
        if self.failures and all(not f.address for f in self.failures):
            columns = {texts.translate("mail_col_reason", lang): columns[texts.translate("mail_col_reason", lang)]}
        return pd.DataFrame(columns)


class SendError(Exception):
    """A message was not sent; `code` says why, `retry` whether trying again may help, `fatal`
    whether no other message can pass either (e.g. the server refused the sign-in)."""

    def __init__(self, code: str, detail: str = "", *, retry: bool = False, fatal: bool = False) -> None:
        super().__init__(f"{code}: {detail}")
        self.code, self.detail, self.retry, self.fatal = code, detail, retry, fatal


# Composing


def day_text(day: dt.date, lang: str) -> str:
    """A date as the messages and the page write it: "11 December 2026", "2026年12月11日"."""
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.strftime("%-d %B %Y")


def _sender(cfg: Settings) -> str:
    return cfg.mail_from or "ICSAT <icsat@localhost>"


def compose(kind: str, to: Address, link: str, wave: Wave, lang: str, cfg: Settings, *, name: str = "") -> Message:
    """One invitation or reminder (`kind`), in `lang`, as text and HTML."""
    lang = lang if lang in texts.LANGUAGES else "en"
    values = {
        "wave": wave.name(lang),
        "closes": day_text(wave.closes_on, lang),
        "k": wave.k_min,
    }
    greeting = texts.translate("mail_greeting_name" if name else "mail_greeting", lang, name=name)
    paragraphs = [
        greeting,
        texts.translate(f"mail_{kind}_body", lang, **values),
        texts.translate("mail_link_intro", lang),
    ]
    after = [
        texts.translate("mail_closes", lang, **values),
        texts.translate("mail_privacy", lang, **values),
        texts.translate(f"mail_{kind}_closing", lang),
    ]
    plain = "\n\n".join([*paragraphs, link, *after]) + "\n"
    e = html.escape
    button = texts.translate("mail_button", lang)
    rich = (
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{e(texts.translate(f'mail_{kind}_subject', lang, **values))}</title></head>"
        '<body style="font-family:sans-serif;line-height:1.5;color:#1f2937;max-width:40em">'
        + "".join(f"<p>{e(p)}</p>" for p in paragraphs)
        + f'<p><a href="{e(link, quote=True)}" style="display:inline-block;padding:.6em 1.2em;background:#1d4ed8;'
        f'color:#fff;text-decoration:none;border-radius:4px">{e(button)}</a></p>'
        f'<p style="font-size:90%;word-break:break-all">{e(link)}</p>'
        + "".join(f"<p>{e(p)}</p>" for p in after[:1])
        + f'<p style="font-size:90%;color:#4b5563">{e(after[1])}</p>'
        + f"<p>{e(after[2])}</p></body></html>"
    )
    subject = texts.translate(f"mail_{kind}_subject", lang, **values)
    headers = {"Content-Language": "zh-CN" if lang == "zh" else "en"}
    if kind == "reminder":
        headers["Auto-Submitted"] = "auto-generated"
    if needs_smtputf8(to):
        return _compose_utf8(to, subject, plain, rich, headers, cfg)
    # An ASCII address: the classic (compat32) classes, several times faster than EmailMessage's header
    # parsing (bench/mail.py); every value is checked (data/addresses.py) or ours, non-ASCII text
    # goes out as encoded words and base64 bodies.
    message = MIMEMultipart("alternative")
    message["Subject"] = _header(subject)
    message["From"] = _from_header(cfg)
    message["To"] = formataddr((to.display_name, to.addr_spec), charset="utf-8")
    if cfg.mail_reply_to:
        message["Reply-To"] = _address_header(cfg.mail_reply_to)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=_sender_domain(cfg))
    for name, value in headers.items():
        message[name] = value
    message.attach(MIMEText(plain, "plain", "utf-8"))
    message.attach(MIMEText(rich, "html", "utf-8"))
    return message


def _compose_utf8(
    to: Address, subject: str, plain: str, rich: str | None, headers: dict[str, str], cfg: Settings
) -> EmailMessage:
    """A message to a non-ASCII address: raw UTF-8 headers (RFC 6531), sent only with SMTPUTF8."""
    message = EmailMessage(policy=policy.SMTPUTF8)
    message["Subject"] = subject
    message["From"] = _sender(cfg)
    message["To"] = to
    if cfg.mail_reply_to:
        message["Reply-To"] = cfg.mail_reply_to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=_sender_domain(cfg))
    message.set_content(plain)
    if rich is not None:
        message.add_alternative(rich, subtype="html")
    for name, value in headers.items():  # after set_content, which drops Content-* headers
        message[name] = value
    return message


def _header(text: str) -> str | Header:
    return text if text.isascii() else Header(text, "utf-8")


def _address_header(text: str) -> str:
    """A configured address ("Name <addr>"), its name as an encoded word when not ASCII."""
    name, address = parseaddr(text)
    return formataddr((name, address), charset="utf-8") if address else text


def _from_header(cfg: Settings) -> str:
    return _address_header(_sender(cfg))


def _sender_domain(cfg: Settings) -> str:
    text = _sender(cfg)
    domain = text.rsplit("@", 1)[-1].strip(" >")
    return domain if domain and domain.isascii() and domain.isprintable() else "localhost"


# Transports


class Outbox:
    """Writes each message as an .eml file into a folder (no mail server configured)."""

    via = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.where = str(folder)
        self._count = itertools.count()
        self._lock = threading.Lock()

    def send(self, message: Message, to: Address) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            number = next(self._count)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        digest = hashlib.sha256(to.addr_spec.encode("utf-8")).hexdigest()[:8]
        target = self.folder / f"{stamp}-{number:06d}-{digest}.eml"
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(message.as_bytes())
        partial.replace(target)

    def close(self) -> None:
        pass


class Smtp:
    """One connection to the configured server, opened on the first message and again after a drop."""

    via = "smtp"

    def __init__(self, cfg: Settings) -> None:
        self.cfg = cfg
        self.where = f"{cfg.smtp_host}:{cfg.smtp_port}"
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.cfg
        try:
            if cfg.smtp_security == "tls":
                smtp = smtplib.SMTP_SSL(
                    cfg.smtp_host, cfg.smtp_port, timeout=cfg.smtp_timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.smtp_timeout)
            smtp.ehlo()
            if cfg.smtp_security == "starttls":
                if not smtp.has_extn("starttls"):
                    smtp.close()
                    raise SendError("no_starttls", fatal=True)
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if cfg.smtp_user:
                smtp.login(cfg.smtp_user, cfg.smtp_password)
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError("auth", _smtp_detail(exc), fatal=True) from None
        except ssl.SSLError as exc:
            raise SendError("tls", str(exc.reason or exc), fatal=True) from None
        return smtp

    def send(self, message: Message, to: Address) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        if needs_smtputf8(to) and not self._smtp.has_extn("smtputf8"):
            raise SendError("unicode_unsupported")
        try:
            self._smtp.send_message(message, to_addrs=[to.addr_spec])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise SendError("refused", f"{code} {_text(text)}", retry=400 <= code < 500) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise SendError("refused", _smtp_detail(exc), retry=400 <= exc.smtp_code < 500) from None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def drop(self) -> None:
        """Forget a connection that failed (the next message connects again)."""
        if self._smtp is not None:
            try:
                self._smtp.close()
            except OSError:
                pass
            self._smtp = None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _smtp_detail(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def outbox_folder(db: Database | None, cfg: Settings) -> Path:
    """The outbox: the setting, else `outbox/` beside the database file (data/outbox for a PostgreSQL
    database, whose path is a URL)."""
    if cfg.mail_outbox is not None:
        return cfg.mail_outbox
    if db is not None and db.path != ":memory:" and getattr(db, "backend", "duckdb") == "duckdb":
        return Path(db.path).resolve().parent / "outbox"
    return ROOT / "data" / "outbox"


def transport_for(db: Database | None, cfg: Settings | None = None) -> Smtp | Outbox:
    """The SMTP server of the settings, or the outbox folder when no server is set."""
    cfg = cfg or settings()
    return Smtp(cfg) if cfg.smtp_host else Outbox(outbox_folder(db, cfg))


# Delivering


@dataclass
class Letter:
    """A message to prepare right before it is sent: `prepare(letter)` returns (to, message), or None
    when it must not be sent after all (a reminder whose person has just answered); BadAddress
    refuses it. A reminder's address is known only once `prepare` has opened it (it sets `shown`)."""

    shown: str  # the address as the report shows it
    prepare: Callable[[Letter], tuple[Address, Message] | None]
    row: int | None = None


def _attempt(transport: Smtp | Outbox, to: Address, message: Message) -> None:
    try:
        transport.send(message, to)
    except SendError:
        raise
    except TimeoutError as exc:
        raise SendError("timeout", str(exc) or "", retry=True) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SendError("unicode_unsupported", str(exc)) from None
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError) as exc:
        # smtplib reports a read that timed out as a closed connection
        code = "timeout" if "timed out" in str(exc) else "unreachable"
        raise SendError(code, str(exc), retry=True) from None
    except smtplib.SMTPResponseException as exc:
        raise SendError("refused", _smtp_detail(exc), retry=400 <= exc.smtp_code < 500) from None
    except OSError as exc:
        raise SendError("unreachable", exc.strerror or str(exc), retry=True) from None


def deliver(
    letters: Iterable[Letter],
    transport: Smtp | Outbox,
    *,
    total: int,
    rate: float = 0,
    retries: int = RETRIES,
    backoff: float = BACKOFF,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Send each letter once, at most `rate` a second (0: no limit), retrying what may pass later
    (`retries` times, waiting `backoff`, then twice as long each time). Stops early, reporting every
    letter left, when the server refuses the sign-in or stays unreachable for UNREACHABLE_STOP
    letters in a row."""
    report = SendReport(total=total, via=transport.via, where=transport.where)
    started = time.perf_counter()
    unreachable = 0
    stop: SendError | None = None

    def one(letter: Letter) -> None:
        nonlocal unreachable, stop
        if stop is not None:
            report.failures.append(Failure(letter.shown, "not_sent", stop.code, letter.row))
            return
        try:
            prepared = letter.prepare(letter)
        except BadAddress as bad:
            report.failures.append(Failure(letter.shown, bad.code, row=letter.row))
            return
        if prepared is None:
            report.skipped += 1
            return
        to, message = prepared
        if rate > 0:
            wait = started + report.sent / rate - time.perf_counter()
            if wait > 0:
                sleep(wait)
        for attempt in range(retries + 1):
            try:
                _attempt(transport, to, message)
            except SendError as error:
                if error.code in CONNECTION_CODES and isinstance(transport, Smtp):
                    transport.drop()  # the next attempt connects again
                if error.retry and not error.fatal and attempt < retries:
                    sleep(backoff * 2**attempt)
                    continue
                report.failures.append(Failure(letter.shown, error.code, error.detail, letter.row))
                unreachable = unreachable + 1 if error.code in CONNECTION_CODES else 0
                if error.fatal or unreachable >= UNREACHABLE_STOP:
                    stop = error
                return
            report.sent += 1
            unreachable = 0
            return

    try:
        for done, letter in enumerate(letters, start=1):
            one(letter)
            if progress is not None:
                progress(done, total)
    finally:
        transport.close()
    if progress is not None:
        progress(total, total)
    return report


# What the pages and cli.py call


def _language(value: object, wave: Wave) -> str:
    code, ok = roster_language(value)
    return code if ok and code else wave.default_lang


def send_invitations(
    db: Database,
    actor: str,
    wave_id: str,
    links: pd.DataFrame,
    *,
    transport: Smtp | Outbox | None = None,
    progress: Progress | None = None,
    cfg: Settings | None = None,
    backoff: float = BACKOFF,
) -> SendReport:
    """Send each row of `links` (services.invitations.create's result: email, name, link, and the
    roster's language if any) its link; audited with the counts only (never an address)."""
    cfg = cfg or settings()
    wave = get_wave(db, wave_id)
    if wave is None:
        raise ValueError(f"unknown wave {wave_id!r}")
    transport = transport or transport_for(db, cfg)
    languages = links["language"] if "language" in links.columns else [None] * len(links)
    emails = links["email"] if "email" in links.columns else [""] * len(links)
    names = links["name"] if "name" in links.columns else [""] * len(links)
    rows = links["row"] if "row" in links.columns else range(2, len(links) + 2)

    def letters() -> Iterable[Letter]:
        for email, name, link, language, row in zip(emails, names, links["link"], languages, rows, strict=True):

            def prepare(_letter, email=email, name=name, link=link, language=language):
                to = recipient(email, name)
                return to, compose("invitation", to, link, wave, _language(language, wave), cfg, name=to.display_name)

            yield Letter(_shown(email), prepare, int(row))

    report = deliver(letters(), transport, total=len(links), rate=cfg.mail_rate, progress=progress, backoff=backoff)
    record_event(
        db,
        actor,
        Action.INVITATIONS_SEND,
        target=wave_id,
        detail=f"sent={report.sent} failed={len(report.failures)} via={report.via}",
    )
    return report


def _shown(email: object) -> str:
    text = "" if email is None or (isinstance(email, float) and email != email) else str(email)
    cut = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text[:80])
    return cut + ("…" if len(text) > 80 else "")


_CANDIDATES = (
    "SELECT token_hash FROM invitations WHERE wave_id = ? AND NOT used AND contact_enc IS NOT NULL"
    " AND expires_at > ? AND (last_reminded IS NULL OR last_reminded < ?) ORDER BY token_hash"
)
_COUNT_CANDIDATES = (
    "SELECT count(*) FROM invitations WHERE wave_id = ? AND NOT used AND contact_enc IS NOT NULL"
    " AND expires_at > ? AND (last_reminded IS NULL OR last_reminded < ?)"
)
# By primary key alone (DuckDB then uses the index; docs/performance.md); the rest is checked here.
_ONE = "SELECT used, contact_enc, last_reminded, language FROM invitations WHERE token_hash = ?"
# PostgreSQL: lock the row, so that two runs (or a run and a claim) take turns on it; DuckDB has no
# row locks, its write conflict makes one of them fail instead.
_ONE_POSTGRES = _ONE + " FOR UPDATE"
_MARK = "UPDATE invitations SET last_reminded = ? WHERE token_hash = ?"


def reminders_available(cfg: Settings | None = None) -> bool:
    """Reminders need the address key (without it no address is kept)."""
    return bool((cfg or settings()).address_key)


def remindable(db: Database, wave_id: str, today: dt.date) -> int:
    """How many invitations of the wave could get a reminder today (unused, address kept)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return int(db.connection().execute(_COUNT_CANDIDATES, [wave_id, now, today]).fetchone()[0])


def _claim_reminder(db: Database, token_hash: str, today: dt.date) -> tuple[str | None, str] | None:
    """In one short transaction: the invitation's sealed address and language when it is still
    unused, has its address and was not reminded today, now marked reminded today; else None (also
    when a submission is claiming it at this moment: DuckDB's write conflict)."""
    con = db.connection()
    con.complete()
    try:
        con.execute("BEGIN TRANSACTION")
        row = con.execute(_ONE_POSTGRES if db.backend == "postgres" else _ONE, [token_hash]).fetchone()
        if row is None or row[0] or row[1] is None or (row[2] is not None and row[2] >= today):
            con.execute("ROLLBACK")
            return None
        con.execute(_MARK, [today, token_hash])
        con.execute("COMMIT")
    except db.errors:
        try:
            con.execute("ROLLBACK")
        except db.errors:
            pass
        return None
    return row[3], row[1]


def remind(
    db: Database,
    actor: str,
    wave_id: str,
    today: dt.date,
    *,
    transport: Smtp | Outbox | None = None,
    progress: Progress | None = None,
    cfg: Settings | None = None,
    backoff: float = BACKOFF,
    scheduled: bool = False,
) -> SendReport:
    """A reminder to every unused invitation of an open wave that still has its address and had no
    reminder today. Nothing is sent without the address key, or when the wave is not open. Failures
    are reported by reason only: the list of addresses that were reminded (or failed) would be a
    list of people who have not answered."""
    cfg = cfg or settings()
    box = address_box(cfg.address_key)
    wave = get_wave(db, wave_id)
    if box is None or wave is None or wave.status != "open":
        return SendReport(via="none")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    hashes = [h for (h,) in db.connection().execute(_CANDIDATES, [wave_id, now, today]).fetchall()]
    if scheduled and not hashes:
        return SendReport(via="none")
    transport = transport or transport_for(db, cfg)

    def letters() -> Iterable[Letter]:
        for token_hash in hashes:

            def prepare(letter: Letter, token_hash: str = token_hash):
                claimed = _claim_reminder(db, token_hash, today)
                if claimed is None:
                    return None
                language, sealed = claimed
                opened = box.open(sealed)
                if opened is None:
                    raise BadAddress("undecryptable")
                address, link = opened
                # The report names no address: a reminder's address says its person has not answered.
                to = recipient(address)
                return to, compose("reminder", to, link, wave, _language(language, wave), cfg)

            yield Letter("", prepare)

    report = deliver(letters(), transport, total=len(hashes), rate=cfg.mail_rate, progress=progress, backoff=backoff)
    record_event(
        db,
        actor,
        Action.REMINDERS_SEND,
        target=wave_id,
        detail=f"{'scheduled' if scheduled else 'now'} sent={report.sent} failed={len(report.failures)}"
        f" via={report.via}",
    )
    return report


def send_due_reminders(
    db: Database, today: dt.date, *, transport: Smtp | Outbox | None = None, cfg: Settings | None = None
) -> dict[str, SendReport]:
    """The scheduled reminders of `today`: for each open wave that closes in one of the settings'
    ICSAT_REMINDER_DAYS days, a reminder to each person without an answer who had none today.
    Idempotent (last_reminded is today once sent), so a tick may call it as often as it likes;
    audited only when it sent or tried something. Returns the reports by wave."""
    cfg = cfg or settings()
    if not reminders_available(cfg) or not cfg.reminder_days:
        return {}
    waves = db.connection().execute("SELECT wave_id, closes_on FROM waves WHERE status = 'open'").fetchall()
    reports = {}
    for wave_id, closes_on in waves:
        if (closes_on - today).days in cfg.reminder_days:
            report = remind(db, "scheduler", wave_id, today, transport=transport, cfg=cfg, scheduled=True)
            if report.total:
                reports[wave_id] = report
    return reports


def send_test(
    db: Database, actor: str, to: str, lang: str, *, cfg: Settings | None = None, backoff: float = BACKOFF
) -> SendReport:
    """One test message to `to` through the configured transport; audited (without the address)."""
    cfg = cfg or settings()
    transport = transport_for(db, cfg)

    def prepare(_letter: Letter):
        address = recipient(to)
        subject, body = texts.translate("mail_test_subject", lang), texts.translate("mail_test_body", lang) + "\n"
        if needs_smtputf8(address):
            return address, _compose_utf8(address, subject, body, None, {}, cfg)
        message = MIMEText(body, "plain", "utf-8")
        message["Subject"] = _header(subject)
        message["From"] = _from_header(cfg)
        message["To"] = formataddr((address.display_name, address.addr_spec), charset="utf-8")
        if cfg.mail_reply_to:
            message["Reply-To"] = _address_header(cfg.mail_reply_to)
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=_sender_domain(cfg))
        return address, message

    report = deliver([Letter(_shown(to), prepare)], transport, total=1, rate=0, backoff=backoff)
    outcome = "ok" if report.sent else f"failed:{report.failures[0].code}"
    record_event(db, actor, Action.MAIL_TEST, target=report.via, detail=outcome)
    return report
