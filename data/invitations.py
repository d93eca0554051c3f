"""Invitations: rosters in, personal survey links out, and the check a link's token gets.

A token is `secrets.token_urlsafe(32)` (256 bits). Only its SHA-256 (hex) is stored, with the
department, wave and expiry: never the name from the roster, and the email only when the
deployment has an address key, encrypted with the person's link, and only until the invitation is
used (data/addresses.py, migration 0008; reminders need it, the claim erases it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from data.addresses import AddressBox, BadAddress, checked_address
from data.db import Database
from data.problems import Problem, Refused
from data.spreadsheet import neutralise_text
from data.uploads import problem_for, read_rows
from data.waves import Wave, get_wave
from settings import settings

TOKEN_BYTES = 32
ROSTER_CONTACT_COLUMNS = ("email", "name")
ROSTER_DEPARTMENT_COLUMN = "department"
ROSTER_LANGUAGE_COLUMN = "language"  # optional: the survey's language for that person (issue 19)
LANGUAGE_CODES = ("en", "zh")
MAX_ROSTER_ROWS = 100_000
TOKEN_STATUSES = ("ok", "unknown", "expired", "used", "wave_not_open")
# What a token from token_urlsafe looks like; anything else is refused before it reaches SQL.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,128}")


def _problem(code: str, row: int | None = None, /, **values: object) -> Problem:
    """A roster problem (worded as `roster_<code>` in ui/locales/admin.yaml by texts.py)."""
    return Problem(code, row=row, values=values, area="roster")


def roster_language(value: object) -> tuple[str | None, bool]:
    """(code, ok) of a roster's language cell: "en"/"zh" in any case, a region variant such as
    "zh-CN" or "en_GB" too; empty is None (the browser or the wave decides); anything else is not ok."""
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()
    if not text:
        return None, True
    code = re.split(r"[-_]", text.lower(), maxsplit=1)[0]
    if code in LANGUAGE_CODES and len(text) <= 16 and text.isascii() and text.isprintable():
        return code, True
    return None, False


def _shown(value: object, limit: int = 20) -> str:
    """A cell as a message quotes it: the first `limit` characters, invisible ones escaped."""
    text = str(value)
    cut = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text[:limit])
    return cut + ("…" if len(text) > limit else "")


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256, lower-case hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# How the upload reader's problems (data/uploads.py) are called here (ui/locales/admin.yaml `roster_<code>`).
_READ_CODES = {"workbook": "xlsx", "not_csv": "csv", "too_many_rows": "too_many"}


def parse_roster(
    raw: bytes,
    *,
    departments: Collection[str] | None = None,
    inactive: Collection[str] = (),
    encoding: str | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a roster CSV: one row per person, an `email` and/or `name` column and a `department` code.

    Parameters
    ----------
    raw : bytes
        The file as uploaded, read by data/uploads.py (UTF-8 with or without BOM, UTF-16 with BOM,
        GBK/GB18030; workbooks and other bytes are refused with a problem).
    departments : collection of str, optional
        Known department codes; when given, unknown codes are refused row by row.
    inactive : collection of str
        Codes of departments that exist but are not active (refused row by row).
    encoding : str, optional
        The file's encoding as the person chose it (data.uploads.ENCODINGS); None detects it.

    Returns
    -------
    (roster, problems)
        `roster` has columns email, name, department (the code, upper-cased), row (the line in the
        file) and, when the file has that column, language ("en", "zh" or None); `problems` lists
        every problem (data.problems) with its row. When problems is not empty the roster must not
        be used.
    """
    columns = ["row", "email", "name", "department"]
    empty = pd.DataFrame(columns=columns)
    read, problem = read_rows(raw, max_rows=MAX_ROSTER_ROWS, encoding=encoding)
    if problem is not None:
        return empty, [problem_for(problem, _READ_CODES, "roster")]
    header = [cell.strip().lower() for cell in read.header]
    errors: list[Problem] = []
    for column in sorted({c for c in header if c and header.count(c) > 1}):
        errors.append(_problem("duplicate_column", column=column))
    if ROSTER_DEPARTMENT_COLUMN not in header:
        errors.append(_problem("missing_department"))
    if not any(c in header for c in ROSTER_CONTACT_COLUMNS):
        errors.append(_problem("missing_contact"))
    if errors:
        return empty, errors
    if not read.rows:
        return empty, [_problem("no_rows")]

    with_language = ROSTER_LANGUAGE_COLUMN in header
    if with_language:
        columns = [*columns, ROSTER_LANGUAGE_COLUMN]
    known = set(departments) if departments is not None else None
    inactive_set = set(inactive)
    records, seen = [], {}
    # Row numbers as a spreadsheet shows them: the header is row 1.
    for number, cells in read.rows:
        if len(cells) != len(header):
            errors.append(_problem("row_columns", number, found=len(cells), expected=len(header)))
            continue
        values = {h: c.strip() for h, c in zip(header, cells, strict=True)}
        email, name = values.get("email", ""), values.get("name", "")
        code = values.get(ROSTER_DEPARTMENT_COLUMN, "").upper()
        if not email and not name:
            errors.append(_problem("row_no_contact", number))
        if not code:
            errors.append(_problem("row_no_department", number))
        elif known is not None and code not in known:
            errors.append(_problem("row_unknown_department", number, code=code))
        elif code in inactive_set:
            errors.append(_problem("row_inactive_department", number, code=code))
        who = (email.lower(), name.lower())
        if (email or name) and who in seen:
            errors.append(_problem("row_duplicate", number, first=seen[who], who=email or name))
        elif email or name:
            seen[who] = number
        record = (number, email, name, code)
        if with_language:
            language, ok = roster_language(values[ROSTER_LANGUAGE_COLUMN])
            if not ok:
                errors.append(_problem("row_bad_language", number, value=_shown(values[ROSTER_LANGUAGE_COLUMN])))
            record = (*record, language if ok else values[ROSTER_LANGUAGE_COLUMN])  # as read, if refused
        records.append(record)
    return pd.DataFrame(records, columns=columns), errors


def _department_codes(db: Database) -> tuple[set[str], set[str]]:
    rows = db.connection().execute("SELECT code, active FROM departments").fetchall()
    return {code for code, _ in rows}, {code for code, active in rows if not active}


def parse_roster_for(db: Database, raw: bytes, encoding: str | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """`parse_roster` with the database's department codes (unknown and inactive codes refused)."""
    known, inactive = _department_codes(db)
    return parse_roster(raw, departments=known, inactive=inactive, encoding=encoding)


def wave_end_utc(closes_on: dt.date) -> dt.datetime:
    """The moment a wave closing on `closes_on` ends: midnight after that date in the deployment's
    time zone (ICSAT_TIMEZONE), as a naive UTC datetime (how expiries are stored)."""
    midnight = dt.datetime.combine(closes_on + dt.timedelta(days=1), dt.time(), tzinfo=settings().timezone)
    return midnight.astimezone(dt.UTC).replace(tzinfo=None)


def create_invitations(
    db: Database,
    wave_id: str,
    roster: pd.DataFrame,
    *,
    base_url: str,
    expires_days: int | None = None,
    box: AddressBox | None = None,
) -> pd.DataFrame:
    """Create one invitation per roster row in one transaction (all or nothing).

    Returns the roster with a `link` column, ``<base_url>/survey?token=<token>``. Only each token's
    hash is stored, with its department, wave and expiry: now + `expires_days`, or by default (None)
    the end of the wave's closing date in the deployment's time zone (ICSAT_TIMEZONE), stored in UTC.
    With a `box` (the deployment's address key), each row's valid email is also kept, sealed with its
    link, for reminders until the invitation is used; a row without a valid email keeps nothing.

    Raises
    ------
    Refused
        The wave does not exist, is closed or (links expiring with it) its closing date has passed,
        `expires_days` is not positive, or a row names an
        unknown or inactive department (checked against the database, whatever the caller checked).
    """
    wave = get_wave(db, wave_id)
    if wave is None:
        raise Refused(_problem("unknown_wave", wave_id=wave_id))
    if wave.status == "closed":
        raise Refused(_problem("wave_closed", wave_id=wave_id))
    if expires_days is not None and expires_days < 1:
        raise Refused(_problem("bad_expiry"))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if expires_days is None:
        expires_at = wave_end_utc(wave.closes_on)
        if expires_at <= now.replace(tzinfo=None):
            raise Refused(_problem("wave_ended", wave_id=wave_id, closes_on=wave.closes_on))
    else:
        expires_at = now.replace(tzinfo=None) + dt.timedelta(days=expires_days)
    known, inactive = _department_codes(db)
    codes = roster["department"].astype(str).str.upper()
    rows = roster["row"] if "row" in roster.columns else pd.Series(range(2, len(roster) + 2), index=roster.index)
    messages: list[Problem] = []
    for number, code in zip(rows, codes, strict=True):
        if code not in known:
            messages.append(_problem("row_unknown_department", number, code=code))
        elif code in inactive:
            messages.append(_problem("row_inactive_department", number, code=code))
    languages: list[str | None] = [None] * len(roster)
    if ROSTER_LANGUAGE_COLUMN in roster.columns:
        for i, (number, value) in enumerate(zip(rows, roster[ROSTER_LANGUAGE_COLUMN], strict=True)):
            languages[i], ok = roster_language(value)
            if not ok:
                messages.append(_problem("row_bad_language", number, value=_shown(value)))
    if messages:
        raise Refused(messages)

    tokens = [secrets.token_urlsafe(TOKEN_BYTES) for _ in range(len(roster))]
    base = base_url.rstrip("/")
    link_list = [f"{base}/survey?token={quote(t, safe='')}" for t in tokens]
    contacts: list[str | None] = [None] * len(roster)
    if box is not None and "email" in roster.columns:
        for i, (email, link) in enumerate(zip(roster["email"], link_list, strict=True)):
            try:
                contacts[i] = box.seal(checked_address(email), link)
            except BadAddress:
                pass  # nothing kept: sending reports the address
    frame = pd.DataFrame(
        {
            "token_hash": [hash_token(t) for t in tokens],
            "wave_id": wave_id,
            "dept_code": list(codes),
            "expires_at": expires_at,
            "used": False,
            "language": pd.Series(languages, dtype="object"),
            "contact_enc": pd.Series(contacts, dtype="object"),
        }
    )
    with db.transaction() as con:
        con.register("new_invitations", frame)
        try:
            con.execute(
                "INSERT INTO invitations (token_hash, wave_id, dept_code, expires_at, used, language, contact_enc)"
                " SELECT token_hash, wave_id, dept_code, expires_at, used, language::VARCHAR, contact_enc::VARCHAR"
                " FROM new_invitations"
            )
        finally:
            con.unregister("new_invitations")
    out = roster.copy()
    out["department"] = list(codes)
    out["link"] = link_list
    return out


def write_links_csv(links: pd.DataFrame, path: str | Path) -> None:
    """Write the links file for the mail merge: email, name, department, link; UTF-8 with BOM so
    that Excel shows Chinese names correctly; formula-like cells neutralised."""
    frame = links[[c for c in ("email", "name", "department", "link") if c in links.columns]]
    frame = frame.map(neutralise_text)
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    frame.to_csv(partial, index=False, encoding="utf-8-sig")
    partial.replace(target)  # all or nothing: no half-written links file


@dataclass(frozen=True)
class TokenCheck:
    """What a survey link's token gives access to.

    `status` is one of TOKEN_STATUSES; `wave` and `dept_code` are set whenever the token is known;
    `language` is the survey language the roster gave that person, if any.
    """

    status: str
    token_hash: str | None = None
    dept_code: str | None = None
    wave: Wave | None = None
    language: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def wave_is_open(wave: Wave) -> bool:
    """A wave accepts answers while an admin keeps it open (its status decides, not its dates)."""
    return wave.status == "open"


def check_token(db: Database, token: str, *, now: dt.datetime | None = None) -> TokenCheck:
    """Check a survey link's token: ok, unknown, expired, used, or wave_not_open (checked in that order
    of precedence: a used link says so even after its wave closed)."""
    if not isinstance(token, str) or not _TOKEN_SHAPE.fullmatch(token):
        return TokenCheck("unknown")
    token_hash = hash_token(token)
    row = (
        db.connection()
        .execute(
            "SELECT wave_id, dept_code, expires_at, used, language FROM invitations WHERE token_hash = ?", [token_hash]
        )
        .fetchone()
    )
    if row is None:
        return TokenCheck("unknown")
    wave_id, dept_code, expires_at, used, language = row
    wave = get_wave(db, wave_id)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if used:
        status = "used"
    elif expires_at <= now:
        status = "expired"
    elif not wave_is_open(wave):
        status = "wave_not_open"
    else:
        status = "ok"
    return TokenCheck(status, token_hash, dept_code, wave, language if language in LANGUAGE_CODES else None)
