"""Historical import: last year's survey from a spreadsheet (CSV) into a wave, all or nothing.

The file has one row per response and the columns of the responses export: `rater_dept`,
`provider_dept`, `frequency`, `recommend`, one column per item id of the wave's survey
(`reliability_2` ...), and optionally `change`, `need` (comments) and `wave` (ignored: the target
wave is chosen by the person importing). The file is read by data/uploads.py, the reader of every
upload: UTF-8 with or without a byte-order mark, UTF-16 with one, and GBK/GB18030 (what Chinese
Excel saves). An empty item cell means "not applicable".

Every row is checked against the organisation (department codes must exist) and against the survey
definition of the wave (frequency options, the 1-5 and 0-10 scales, comment lengths). If anything
is wrong nothing is written, and each problem names its spreadsheet row (the header is row 1) and
column. A responses export of a wave imported into an empty wave reproduces the same shown cells.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.db import Database
from data.org import list_departments
from data.problems import Problem
from data.responses import insert_frames, response_count
from data.spreadsheet import restore_text
from data.uploads import problem_for, read_frame
from data.waves import Wave, get_wave, survey_for_version
from surveys.definition import OPEN_QUESTION_IDS, Survey

KEY_COLUMNS = ("rater_dept", "provider_dept", "frequency", "recommend")
IGNORED_COLUMNS = ("wave", "hidden_figures")  # written by the responses export, read by nobody
MAX_PROBLEMS = 500  # enough to fix a file; more would only bury the first ones
MAX_ROWS = 1_000_000  # responses per file: more than any company's survey wave
# How the upload reader's problems (data/uploads.py) are called here (ui/locales/exports.yaml).
_READ_CODES = {"workbook": "encoding", "binary": "encoding"}
_CHUNK = 20_000

Progress = Callable[[float, str], None]


def _problem(code: str, row: int | None = None, column: str | None = None, values: dict | None = None) -> Problem:
    """One reason a file cannot be imported (data.problems, area "responses").

    `row` is the spreadsheet row (header = row 1; None for the whole file), `column` the column
    (or None), `code` names the rule (its text is `exports_import_<code>` in ui/locales/exports.yaml,
    worded by texts.py) and `values` fill the text's placeholders.
    """
    return Problem(code, row=row, column=column, values=values or {}, area="responses")


@dataclass
class CheckedImport:
    """A file read and checked: the rows ready to write (when there are no problems) and a preview."""

    wave_id: str
    rows: int
    problems: list[Problem]
    preview: pd.DataFrame
    responses: pd.DataFrame | None = None
    answers: pd.DataFrame | None = None
    comments: pd.DataFrame | None = None
    more_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _noop(_fraction: float, _stage: str) -> None:
    return None


def read_table(raw: bytes, encoding: str | None = None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Parse the CSV into text columns (nothing converted yet) or return file-level problems
    (data/uploads.py, the reader of every upload; `encoding` as chosen, None detects it)."""
    frame, problems = read_frame(raw, max_rows=MAX_ROWS, encoding=encoding)
    return frame, [problem_for(p, _READ_CODES, "responses") for p in problems]


def _column_problems(frame: pd.DataFrame, survey: Survey) -> list[Problem]:
    expected = [*KEY_COLUMNS, *survey.item_ids]
    allowed = {*expected, *OPEN_QUESTION_IDS, *IGNORED_COLUMNS}
    problems = [_problem("missing_column", column=c) for c in expected if c not in frame.columns]
    problems += [_problem("unknown_column", column=c) for c in frame.columns if c not in allowed]
    return problems


def _whole_numbers(values: pd.Series) -> pd.Series:
    """Text -> float, NaN for empty; non-numbers and fractions become -inf so that range checks fail."""
    text = values.str.strip()
    number = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = text.ne("") & (number.isna() | (number != np.round(number)))
    return number.mask(bad, -np.inf)


class _Problems:
    """Collects row-level problems up to MAX_PROBLEMS, counting the rest."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.more = 0

    def add_rows(self, mask: pd.Series, code: str, column: str | None, frame: pd.DataFrame, **values: object) -> None:
        rows = mask[mask.fillna(False).astype(bool)].index
        room = max(MAX_PROBLEMS - len(self.items), 0)
        for index in rows[:room]:
            value = str(frame.at[index, column])[:40] if column in frame.columns else ""
            # index 0 is the first data row, which is spreadsheet row 2 (the header is row 1)
            self.items.append(_problem(code, row=int(index) + 2, column=column, values={"value": value, **values}))
        self.more += max(len(rows) - room, 0)


@dataclass
class _Checked:
    """The columns of a file once checked: cleaned text and numbers, ready to become rows."""

    depts: dict[str, pd.Series]
    frequency: pd.Series
    recommend: pd.Series
    items: pd.DataFrame
    notes: dict[str, pd.Series]


def _wave_problems(db: Database, wave: Wave) -> list[Problem]:
    """Why the wave cannot take history: it has responses already, or staff are answering it now."""
    existing = response_count(db, wave.wave_id)
    if existing:
        return [_problem("wave_not_empty", values={"wave": wave.wave_id, "n": existing})]
    if wave.status == "open":
        # staff are answering this wave right now; history belongs in a wave of its own
        return [_problem("wave_open", values={"wave": wave.wave_id})]
    return []


def _check_cells(db: Database, frame: pd.DataFrame, survey: Survey, found: _Problems, progress: Progress) -> _Checked:
    """Check every cell against the organisation and the survey, row by row, into `found`."""
    codes = set(list_departments(db)["code"])
    total_steps = 5 + len(survey.item_ids)  # two department columns, frequency, recommend, items, comments
    step = 0

    def advance() -> None:
        nonlocal step
        step += 1
        progress(min(step / total_steps, 1.0), "check")

    depts = {}
    for column in ("rater_dept", "provider_dept"):
        depts[column] = frame[column].str.strip()
        found.add_rows(depts[column].eq(""), "missing_value", column, frame)
        found.add_rows(depts[column].ne("") & ~depts[column].isin(codes), "unknown_department", column, frame)
        advance()
    found.add_rows(
        depts["rater_dept"].ne("") & depts["rater_dept"].eq(depts["provider_dept"]),
        "same_department",
        "provider_dept",
        frame,
    )

    frequencies = [o.id for o in survey.frequency_options if o.id != "never"]
    frequency = frame["frequency"].str.strip()
    found.add_rows(~frequency.isin(frequencies), "bad_frequency", "frequency", frame, allowed=", ".join(frequencies))
    advance()

    recommend = _whole_numbers(frame["recommend"])
    found.add_rows(
        recommend.notna() & ~recommend.between(survey.recommend_min, survey.recommend_max),
        "bad_recommend",
        "recommend",
        frame,
    )
    advance()

    items = {}
    for item_id in survey.item_ids:
        values = _whole_numbers(frame[item_id])
        found.add_rows(
            values.notna() & ~values.between(survey.likert_min, survey.likert_max), "bad_item", item_id, frame
        )
        items[item_id] = values
        advance()
    item_frame = pd.DataFrame(items)
    found.add_rows(item_frame.isna().all(axis=1) & recommend.isna(), "no_answers", None, frame)

    notes = {}
    for question in survey.open_questions:
        if question.id not in frame.columns:
            continue
        text = frame[question.id].map(restore_text).str.strip()
        found.add_rows(
            text.str.len() > question.max_length, "comment_too_long", question.id, frame, max=question.max_length
        )
        notes[question.id] = text
    advance()
    return _Checked(depts, frequency, recommend, item_frame, notes)


def _rows_to_write(wave: Wave, checked: _Checked) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(responses, answers, comments) of a checked file, as data.responses.insert_frames takes them."""
    n = len(checked.frequency)
    ids = [str(uuid.uuid4()) for _ in range(n)]
    # Historical rows carry no sitting and no date: each gets its own random submission id and the
    # wave's closing date, like a submission made on the last day.
    responses = pd.DataFrame(
        {
            "response_id": ids,
            "wave_id": wave.wave_id,
            "rater_dept": checked.depts["rater_dept"].to_numpy(),
            "provider_dept": checked.depts["provider_dept"].to_numpy(),
            "frequency": checked.frequency.to_numpy(),
            "recommend": checked.recommend.astype("Int16").to_numpy(),
            "submission_id": [str(uuid.uuid4()) for _ in range(n)],
            "submitted_on": wave.closes_on if isinstance(wave.closes_on, dt.date) else dt.date.today(),
        }
    )
    item_frame = checked.items.copy()
    item_frame.index = ids
    answers = (
        item_frame.rename_axis("response_id")
        .reset_index()
        .melt(id_vars="response_id", var_name="item_id", value_name="value")
        .dropna(subset=["value"])
        .astype({"value": "int16"})
        .reset_index(drop=True)
    )
    comment_parts = [
        pd.DataFrame({"response_id": ids, "question": question, "text": text.to_numpy()})
        for question, text in checked.notes.items()
    ]
    comments = (
        pd.concat(comment_parts, ignore_index=True)
        if comment_parts
        else pd.DataFrame(columns=["response_id", "question", "text"])
    )
    comments = comments[comments["text"].str.len() > 0].reset_index(drop=True)
    return responses, answers, comments


def check_file(
    db: Database, wave_id: str, raw: bytes, *, progress: Progress | None = None, encoding: str | None = None
) -> CheckedImport:
    """Read and check a historical responses file for `wave_id`; nothing is written.

    The steps: the wave exists and can take history, the file reads as a table, its columns are the
    survey's, every cell is valid; then the rows to write are made. Returns a `CheckedImport` whose
    `problems` is empty when the file can be imported; then `responses`, `answers` and `comments`
    hold the rows to write.
    """
    wave = get_wave(db, wave_id)
    if wave is None:
        return CheckedImport(wave_id, 0, [_problem("unknown_wave", values={"wave": wave_id})], pd.DataFrame())
    survey = survey_for_version(db, wave.survey_version)
    frame, problems = read_table(raw, encoding)
    if frame is None:
        return CheckedImport(wave_id, 0, problems, pd.DataFrame())
    preview = frame.head(20)
    problems = _wave_problems(db, wave) + _column_problems(frame, survey)
    if problems:
        return CheckedImport(wave_id, len(frame), problems, preview)
    found = _Problems()
    checked = _check_cells(db, frame, survey, found, progress or _noop)
    if found.items:
        return CheckedImport(wave_id, len(frame), found.items, preview, more_problems=found.more)
    return CheckedImport(wave_id, len(frame), [], preview, *_rows_to_write(wave, checked))


def write_checked(db: Database, checked: CheckedImport, *, progress: Progress | None = None) -> int:
    """Write a checked file in one transaction (all or nothing); return the responses written."""
    if not checked.ok or checked.responses is None:
        raise ValueError("the file has problems; nothing was written")
    progress = progress or _noop
    total = len(checked.responses)
    con = db.connection()
    con.complete()  # DuckDB 2 refuses register() while an earlier result is half read
    with db.transaction() as tx:
        for start in range(0, max(total, 1), _CHUNK):
            part = checked.responses.iloc[start : start + _CHUNK]
            wanted = set(part["response_id"])
            insert_frames(
                tx,
                part,
                checked.answers[checked.answers["response_id"].isin(wanted)],
                checked.comments[checked.comments["response_id"].isin(wanted)],
            )
            progress(min(start + _CHUNK, total) / max(total, 1), "write")
    return total
