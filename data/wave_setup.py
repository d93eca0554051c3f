"""Setting up survey waves: checked creation, the draft -> open -> closed steps, response rates.

The waves page and `cli.py wave ...` both go through here, so both refuse the same things with the
same reasons. A refusal is a `data.problems.Refused` whose problems' `code` names the rule (ui/locales/admin.yaml
has `wave_err_<code>`, worded by texts.py) and whose `values` fill the message.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from analysis.anonymity import MIN_K
from data.db import Database
from data.problems import Problem, Refused
from data.responses import response_count
from data.waves import Wave, create_wave, get_wave, register_survey, set_wave_status
from surveys.definition import DEFAULT_SURVEY_PATH, load_survey

WAVE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
# Which status each step leads from. A closed wave may be opened again only while it has no
# responses: its results are published when it closes, and figures read before and after one more
# answer would give that person's answers (docs/methodology.md, "Anonymity").
STEPS = {"open": ("draft", "closed"), "closed": ("open",)}


_QUARTER_ID = re.compile(r"(?P<year>\d{4})[-_ .]?[Qq](?P<quarter>[1-4])")


def quarter_dates(wave_id: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day of the quarter a wave id names (e.g. "2027-Q1": 2027-01-01 and
    2027-03-31; also "2027Q1", "2027_q1"), or None when the id names no quarter. The Waves page
    suggests these dates for a new wave (the whole quarter: shorten the window as you like)."""
    match = _QUARTER_ID.fullmatch((wave_id or "").strip())
    if match is None:
        return None
    year, quarter = int(match["year"]), int(match["quarter"])
    first = dt.date(year, 3 * quarter - 2, 1)
    next_first = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return first, next_first - dt.timedelta(days=1)


def _problem(code: str, /, **values: object) -> Problem:
    return Problem(code, values=values, area="wave")


def survey_versions(db: Database) -> list[str]:
    """The registered survey versions, newest first."""
    rows = (
        db.connection()
        .execute("SELECT survey_version FROM survey_versions ORDER BY created_at DESC, survey_version")
        .fetchall()
    )
    return [r[0] for r in rows]


def survey_version_choices(db: Database) -> list[str]:
    """Registered survey versions, newest first, plus the default questionnaire's version when it is
    not registered yet (creating a wave from it registers it)."""
    registered = survey_versions(db)
    default = load_survey(DEFAULT_SURVEY_PATH).survey_version
    return registered if default in registered else [default, *registered]


def register_survey_file(db: Database, path: str | Path = DEFAULT_SURVEY_PATH) -> str:
    """Validate a survey definition file and register it (once); return its survey version."""
    return register_survey(db, load_survey(path))


def check_new_wave(
    db: Database,
    wave_id: str,
    *,
    name_en: str,
    name_zh: str,
    survey_version: str,
    opens_on: dt.date,
    closes_on: dt.date,
    k_min: int,
    k_comments: int,
) -> list[Problem]:
    """Every reason the wave cannot be created (empty: it can)."""
    problems = []
    if not WAVE_ID_PATTERN.fullmatch(wave_id or ""):
        problems.append(_problem("bad_id", wave_id=wave_id))
    elif get_wave(db, wave_id) is not None:
        problems.append(_problem("exists", wave_id=wave_id))
    if not (name_en or "").strip() or not (name_zh or "").strip():
        problems.append(_problem("missing_name"))
    if survey_version not in survey_versions(db):
        problems.append(_problem("unknown_survey", survey_version=survey_version))
    if closes_on < opens_on:
        problems.append(_problem("bad_dates"))
    if k_min < MIN_K:
        problems.append(_problem("k_too_small", k=k_min, min=MIN_K))
    if k_comments < k_min:
        problems.append(_problem("k_comments_too_small", k=k_min, k_comments=k_comments))
    return problems


def create_checked_wave(
    db: Database,
    wave_id: str,
    *,
    name_en: str,
    name_zh: str,
    survey_version: str,
    opens_on: dt.date,
    closes_on: dt.date,
    k_min: int = 5,
    k_comments: int = 10,
    self_assessment: bool = False,
    default_lang: str = "en",
) -> Wave:
    """Create a draft wave after `check_new_wave`; raises Refused with every problem found. A wave of the
    default questionnaire's version registers surveys/default.yaml first when needed."""
    if survey_version not in survey_versions(db) and survey_version == load_survey().survey_version:
        register_survey_file(db)
    problems = check_new_wave(
        db,
        wave_id,
        name_en=name_en,
        name_zh=name_zh,
        survey_version=survey_version,
        opens_on=opens_on,
        closes_on=closes_on,
        k_min=k_min,
        k_comments=k_comments,
    )
    if problems:
        raise Refused(problems)
    return create_wave(
        db,
        wave_id,
        name_en=name_en.strip(),
        name_zh=name_zh.strip(),
        survey_version=survey_version,
        opens_on=opens_on,
        closes_on=closes_on,
        k_min=k_min,
        k_comments=k_comments,
        self_assessment=self_assessment,
        default_lang=default_lang if default_lang in ("en", "zh") else "en",
    )


def change_status(db: Database, wave_id: str, status: str) -> Wave:
    """Open or close a wave (draft -> open -> closed; a closed wave without responses may be opened again)."""
    wave = get_wave(db, wave_id)
    if wave is None:
        raise Refused(_problem("unknown_wave", wave_id=wave_id))
    if wave.status not in STEPS.get(status, ()):
        raise Refused(_problem("bad_step", wave_id=wave_id, status=wave.status, to=status))
    if wave.status == "closed" and status == "open" and response_count(db, wave_id) > 0:
        raise Refused(_problem("reopen_published", wave_id=wave_id))
    try:
        set_wave_status(db, wave_id, status)
    except db.constraint_errors as exc:
        # Should not happen with this schema; say so rather than show a traceback.
        raise Refused(_problem("not_saved", wave_id=wave_id)) from exc
    return get_wave(db, wave_id)
