"""Survey versions and waves: the SQL that stores and reads them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from data.db import Database
from surveys.definition import Survey, parse_survey

WAVE_STATUSES = ("draft", "open", "closed")


@dataclass(frozen=True)
class Wave:
    wave_id: str
    name_en: str
    name_zh: str
    survey_version: str
    status: str
    k_min: int
    k_comments: int
    self_assessment: bool
    default_lang: str
    opens_on: dt.date
    closes_on: dt.date

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


_SELECT_WAVES = (
    "SELECT wave_id, name_en, name_zh, survey_version, status, k_min, k_comments, self_assessment,"
    " default_lang, opens_on, closes_on FROM waves"
)
_INSERT_WAVE = (
    "INSERT INTO waves (wave_id, name_en, name_zh, survey_version, status, k_min, k_comments,"
    " self_assessment, default_lang, opens_on, closes_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def register_survey(db: Database, survey: Survey) -> str:
    """Store a validated survey definition (once per id and version); return its key."""
    db.connection().execute(
        "INSERT INTO survey_versions (survey_version, survey_id, version, definition)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [survey.survey_version, survey.survey_id, survey.version, survey.source],
    )
    return survey.survey_version


def survey_for_version(db: Database, survey_version: str) -> Survey:
    """The survey definition stored under `survey_version`."""
    row = (
        db.connection()
        .execute("SELECT definition FROM survey_versions WHERE survey_version = ?", [survey_version])
        .fetchone()
    )
    if row is None:
        raise KeyError(survey_version)
    return parse_survey(row[0], survey_version)


def create_wave(
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
    status: str = "draft",
) -> Wave:
    """Insert a wave; the schema refuses k below 3, a comment threshold below k, bad dates."""
    db.connection().execute(
        _INSERT_WAVE,
        [
            wave_id,
            name_en,
            name_zh,
            survey_version,
            status,
            k_min,
            k_comments,
            self_assessment,
            default_lang,
            opens_on,
            closes_on,
        ],
    )
    return get_wave(db, wave_id)


def get_wave(db: Database, wave_id: str) -> Wave | None:
    """One wave, or None when there is no such wave."""
    row = db.connection().execute(_SELECT_WAVES + " WHERE wave_id = ?", [wave_id]).fetchone()
    return Wave(*row) if row else None


def list_waves(db: Database) -> list[Wave]:
    """Every wave, oldest first (by opening date, then id)."""
    rows = db.connection().execute(_SELECT_WAVES + " ORDER BY opens_on, wave_id").fetchall()
    return [Wave(*row) for row in rows]


def previous_wave(db: Database, wave_id: str) -> Wave | None:
    """The wave that opened just before `wave_id`, or None."""
    waves = list_waves(db)
    ids = [w.wave_id for w in waves]
    if wave_id not in ids:
        return None
    position = ids.index(wave_id)
    return waves[position - 1] if position > 0 else None


def set_wave_status(db: Database, wave_id: str, status: str) -> None:
    """Move a wave to draft, open or closed."""
    if status not in WAVE_STATUSES:
        raise ValueError(f"status must be one of {WAVE_STATUSES}, got {status!r}")
    db.connection().execute("UPDATE waves SET status = ? WHERE wave_id = ?", [status, wave_id])


def waves_frame(db: Database) -> pd.DataFrame:
    """Every wave as a DataFrame with the `Wave` fields as columns, oldest first."""
    return db.connection().execute(_SELECT_WAVES + " ORDER BY opens_on, wave_id").df()
