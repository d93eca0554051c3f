"""Survey versions and waves: the SQL that stores and reads them."""

from __future__ import annotations

import datetime as dt
import threading
import time
import weakref
from dataclasses import dataclass

import duckdb
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
_SELECT_COMPARISON_WAVE = (
    "SELECT w.wave_id, w.name_en, w.name_zh, w.survey_version, w.status, w.k_min, w.k_comments,"
    " w.self_assessment, w.default_lang, w.opens_on, w.closes_on FROM waves w WHERE w.status = 'closed'"
    " AND EXISTS (SELECT 1 FROM responses r WHERE r.wave_id = w.wave_id)"
    " AND EXISTS (SELECT 1 FROM waves t WHERE t.wave_id = ?"
    " AND (w.opens_on < t.opens_on OR (w.opens_on = t.opens_on AND w.wave_id < t.wave_id)))"
    " ORDER BY w.opens_on DESC, w.wave_id DESC LIMIT 1"
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


def survey_definition_text(db: Database, survey_version: str) -> str:
    """The stored YAML of a survey version (versions are immutable, so callers may cache its parse)."""
    row = (
        db.connection()
        .execute("SELECT definition FROM survey_versions WHERE survey_version = ?", [survey_version])
        .fetchone()
    )
    if row is None:
        raise KeyError(survey_version)
    return row[0]


def survey_for_version(db: Database, survey_version: str) -> Survey:
    """The survey definition stored under `survey_version`."""
    return parse_survey(survey_definition_text(db, survey_version), survey_version)


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
    forget_open_waves(db)
    return get_wave(db, wave_id)


def get_wave(db: Database, wave_id: str) -> Wave | None:
    """One wave, or None when there is no such wave."""
    row = db.connection().execute(_SELECT_WAVES + " WHERE wave_id = ?", [wave_id]).fetchone()
    return Wave(*row) if row else None


def list_waves(db: Database) -> list[Wave]:
    """Every wave, oldest first (by opening date, then id)."""
    rows = db.connection().execute(_SELECT_WAVES + " ORDER BY opens_on, wave_id").fetchall()
    return [Wave(*row) for row in rows]


def comparison_wave(db: Database, wave_id: str) -> Wave | None:
    """The wave `wave_id` is compared with (trends, `declining`): the latest closed wave with responses
    that opened earlier (by opening date, then id, as `list_waves` orders them), or None.

    A draft (a pilot being set up), an open wave still collecting answers or a wave without responses
    is never the comparison: each would silently empty the trends (issue 17).
    """
    row = (
        db.connection()
        .execute(
            _SELECT_COMPARISON_WAVE,
            [wave_id],
        )
        .fetchone()
    )
    return Wave(*row) if row else None


def set_wave_status(db: Database, wave_id: str, status: str) -> None:
    """Move a wave to draft, open or closed."""
    if status not in WAVE_STATUSES:
        raise ValueError(f"status must be one of {WAVE_STATUSES}, got {status!r}")
    db.connection().execute("UPDATE waves SET status = ? WHERE wave_id = ?", [status, wave_id])
    forget_open_waves(db)


def set_wave_scheduled(db: Database, wave_id: str, scheduled: bool) -> None:
    """Mark a wave as scheduled (it opens and closes on its dates) or not (only by hand)."""
    con = db.connection()
    if scheduled:
        con.execute("INSERT INTO wave_schedules (wave_id) VALUES (?) ON CONFLICT DO NOTHING", [wave_id])
    else:
        con.execute("DELETE FROM wave_schedules WHERE wave_id = ?", [wave_id])


def scheduled_wave_ids(db: Database) -> set[str]:
    """The ids of the scheduled waves."""
    return {r[0] for r in db.connection().execute("SELECT wave_id FROM wave_schedules").fetchall()}


def due_wave_steps(db: Database, today: dt.date) -> list[tuple[str, str, str]]:
    """(wave_id, from status, to status) of every scheduled wave whose date has come on `today` (the
    deployment's local date): a draft whose opening date has come and whose closing date has not
    passed opens; an open wave whose closing date has passed closes. A closed wave is never reopened
    and a draft past its closing date is left for a person to decide."""
    rows = (
        db.connection()
        .execute(
            "SELECT w.wave_id, w.status FROM waves w JOIN wave_schedules s USING (wave_id)"
            " WHERE (w.status = 'draft' AND w.opens_on <= ? AND w.closes_on >= ?)"
            " OR (w.status = 'open' AND w.closes_on < ?) ORDER BY w.opens_on, w.wave_id",
            [today, today, today],
        )
        .fetchall()
    )
    return [(wave_id, status, "open" if status == "draft" else "closed") for wave_id, status in rows]


def step_wave_if(con: duckdb.DuckDBPyConnection, wave_id: str, from_status: str, to_status: str) -> bool:
    """Move a wave from `from_status` to `to_status` only if it still has `from_status`; True when it
    moved. Called inside the caller's transaction, so that a step and its audit row are one write."""
    # The count of updated rows, not RETURNING: DuckDB 2.0 refuses an UPDATE ... RETURNING on a row
    # that other tables reference (a foreign key error), a plain UPDATE of a non-key column it allows.
    (count,) = con.execute(
        "UPDATE waves SET status = ? WHERE wave_id = ? AND status = ?", [to_status, wave_id, from_status]
    ).fetchone()
    return count == 1


def waves_frame(db: Database) -> pd.DataFrame:
    """Every wave as a DataFrame with the `Wave` fields as columns, oldest first."""
    return db.connection().execute(_SELECT_WAVES + " ORDER BY opens_on, wave_id").df()


# The ids of the open waves, for the submission writer's claim (data/submissions.py). Reading them
# inside every group's UPDATE (a subquery on waves) cost that statement about 0.8 ms of planning per
# group, measured; a list bound as a parameter costs nothing. The list is read again when it is older
# than OPEN_WAVES_MAX_AGE seconds, when a wave is created or changes status through this module, and
# when a claim is refused (the writer then checks every token against the database itself). So a
# wave closed by other means (SQL by hand) accepts submissions for at most OPEN_WAVES_MAX_AGE more,
# like a submission that was already in flight; a wave opened by other means is found at once.
OPEN_WAVES_MAX_AGE = 1.0
# per database: (generation, read at, ids); the generation counts `forget_open_waves` calls, so that
# a list read while a status changed is not kept
_open_waves: weakref.WeakKeyDictionary[Database, tuple[int, float, list[str]]] = weakref.WeakKeyDictionary()
_generations: weakref.WeakKeyDictionary[Database, int] = weakref.WeakKeyDictionary()
_open_waves_lock = threading.Lock()


def open_wave_ids(db: Database, *, max_age: float = OPEN_WAVES_MAX_AGE) -> list[str]:
    """The ids of the waves whose status is open, read at most `max_age` seconds ago."""
    now = time.monotonic()
    with _open_waves_lock:
        generation = _generations.get(db, 0)
        known = _open_waves.get(db)
    if known is not None and known[0] == generation and now - known[1] < max_age:
        return known[2]
    ids = [r[0] for r in db.connection().execute("SELECT wave_id FROM waves WHERE status = 'open'").fetchall()]
    with _open_waves_lock:
        if _generations.get(db, 0) == generation:
            _open_waves[db] = (generation, now, ids)
    return ids


def forget_open_waves(db: Database) -> None:
    """Make the next `open_wave_ids` read the database (and not keep a list being read now)."""
    with _open_waves_lock:
        _generations[db] = _generations.get(db, 0) + 1
        _open_waves.pop(db, None)
