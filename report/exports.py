"""Analyst exports: privacy-safe CSV, Parquet and Excel files of a wave.

Every aggregate table comes from the report facade (`report.wave.build_wave_report`), so a file
holds exactly what the pages show, after `analysis.anonymity.suppress_small_cells`. The responses
table (one row per response) is streamed by DuckDB straight from storage to a temporary file and
moved into place: it never becomes a pandas frame. Which responses and answers it holds is decided
by the report's one rule (`report.wave.published_groups`): the shown cells, with the gates of their
groups, are registered as a small table and joined.

Safety rules, for every file:
- nothing identifies a person: no response id, submission id, date, token or user;
- CSV is UTF-8 with a byte-order mark, so that Excel shows Chinese correctly;
- in CSV and Excel, a text cell that starts with = + - @ tab or carriage return gets a leading single
  quote, so that a spreadsheet never runs it as a formula; numbers stay numbers, 0 stays 0 and a
  missing value stays empty. Parquet is read by code, not by spreadsheets, and keeps the text as is.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from data.db import Database
from data.problems import Problem, Refused
from data.replica import analysis_db
from data.spreadsheet import neutralise_text
from report.codebook import build_codebook
from report.wave import WaveReport, build_wave_report, published_groups
from surveys.definition import OPEN_QUESTION_IDS

if TYPE_CHECKING:
    from data.waves import Wave
    from surveys.definition import Survey

EXPORT_TABLES = ("responses", "cells", "hotspots", "reliability", "drivers", "trends", "participation", "codebook")
AGGREGATE_TABLES = ("cells", "hotspots", "reliability", "drivers", "trends", "participation")
ALL_TABLES = "all"
FORMATS = ("csv", "parquet", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BOM = "\ufeff".encode()
EXCEL_MAX_ROWS = 1_048_576  # rows in one Excel sheet, the header included

# Columns that count things: written as whole numbers (12, not 12.0) although hidden cells leave them blank.
_COUNT_COLUMNS = frozenset(
    {"n", "k", "k_comments", "promoters", "passives", "detractors", "invited", "responded", "previous_n"}
)
_FLAG_COLUMNS = frozenset(
    {
        "suppressed",
        "significant",
        "friction",
        "low",
        "asymmetric",
        "mutual",
        "polarised",
        "declining",
        "low_participation",
    }
)
_ITEM_ID = re.compile(r"[a-z][a-z_]*_[0-9]+")
_STREAM_BATCH = 50_000


class ExportError(Refused):
    """An export cannot be made (unknown table or format, a wave without data, too many rows for Excel):
    a refusal (data.problems) with one problem of area "export", worded as `export_err_<code>`."""

    def __init__(self, code: str, /, **values: object) -> None:
        super().__init__(Problem(code, values=values, area="export"))


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the file, its table(s) and format, and the rows per table."""

    path: Path
    tables: tuple[str, ...]
    fmt: str
    rows: dict[str, int]


# --- formula injection ------------------------------------------------------------------------


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text columns are neutralised (see `neutralise_text`); numbers untouched."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            out[column] = series.map(neutralise_text, na_action="ignore")
    return out


def tidy_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Count columns (n, k, promoters ...) as nullable whole numbers, so files say 12, not 12.0, and
    flag columns (suppressed, significant, friction ...) as true/false, not 1.0/0.0; blanks stay blank."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if column in _COUNT_COLUMNS or column.startswith("n_"):
            if pd.api.types.is_float_dtype(series):
                values = series.dropna()
                if (values == values.round()).all():
                    out[column] = series.round().astype("Int64")
        elif column in _FLAG_COLUMNS and not pd.api.types.is_bool_dtype(series):
            values = series.dropna()
            if values.map(lambda v: v in (0, 1)).all():  # True == 1 and False == 0 as well
                out[column] = series.map(lambda v: None if pd.isna(v) else bool(v)).astype("boolean")
    return out


# --- writers ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _atomic_target(out: Path, suffix: str) -> Iterator[Path]:
    """A temporary file beside `out`, moved over `out` only when the block succeeds."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".icsat-export-", suffix=suffix, dir=out.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(frame: pd.DataFrame, out: Path) -> None:
    """CSV, UTF-8 with a byte-order mark, text neutralised, missing values empty."""
    with _atomic_target(Path(out), ".csv") as tmp:
        # CRLF line ends: a text holding a lone carriage return is then quoted like one holding a line break
        neutralise_frame(tidy_counts(frame)).to_csv(
            tmp, index=False, encoding="utf-8-sig", na_rep="", lineterminator="\r\n"
        )


def write_parquet(frame: pd.DataFrame, out: Path) -> None:
    """Parquet, text as it is (read by code, not spreadsheets)."""
    with _atomic_target(Path(out), ".parquet") as tmp:
        tidy_counts(frame).to_parquet(tmp, index=False)


def _excel_value(value: object) -> object:
    """A cell value openpyxl can store: neutralised text without XML-illegal control characters."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        return neutralise_text(ILLEGAL_CHARACTERS_RE.sub("", value))
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _sheet_title(name: str) -> str:
    return name[:31]


def write_workbook(sheets: dict[str, pd.DataFrame], out: Path) -> None:
    """An Excel workbook with one sheet per table (name -> frame), text neutralised."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, frame in sheets.items():
        if len(frame) + 1 > EXCEL_MAX_ROWS:
            raise ExportError("sheet_too_long", sheet=name, rows=len(frame))
        sheet = workbook.create_sheet(_sheet_title(name))
        tidy = tidy_counts(frame)
        sheet.append([str(c) for c in tidy.columns])
        for row in tidy.itertuples(index=False, name=None):
            sheet.append([_excel_value(v) for v in row])
    with _atomic_target(Path(out), ".xlsx") as tmp:
        workbook.save(tmp)


def write_frame(frame: pd.DataFrame, out: Path, fmt: str, *, sheet: str = "data") -> None:
    """Write one table in `fmt` (csv, parquet or xlsx)."""
    if fmt == "csv":
        write_csv(frame, out)
    elif fmt == "parquet":
        write_parquet(frame, out)
    elif fmt == "xlsx":
        write_workbook({sheet: frame}, out)
    else:
        raise ExportError("unknown_format", format=fmt, formats=", ".join(FORMATS))


# --- the responses table, streamed by DuckDB --------------------------------------------------


def _checked_items(item_ids: tuple[str, ...] | list[str]) -> list[str]:
    # Item ids become column names in SQL: only ids of the survey definition's form are allowed.
    for item_id in item_ids:
        if not _ITEM_ID.fullmatch(item_id):
            raise ExportError("bad_item_id", item_id=item_id)
    return list(item_ids)


_BITS = 3  # an answer 0-5 (0: not applicable or not asked) fits in three bits
_PER_WORD = 21  # three-bit answers per 64-bit word


def _responses_query(item_ids: list[str], item_groups: list[int], *, neutralise: bool) -> str:
    """The responses SELECT over the registered table `export_shown` (wave_id, rater_dept,
    provider_dept, comments_ok, recommend_ok, ok_0 .. ok_<m>: one gate per dimension, by position,
    hidden_figures). `item_groups[i]` is the position of item i's dimension gate. An answer leaves
    only where its group is shown: a dimension's items where at least k answered that dimension, the
    recommend score where at least k answered it. Identifiers come only from the checked item ids.

    The answers of a response are packed into 64-bit words (three bits per item) by one sum per
    word, and unpacked into one column per item when the rows are written: one small aggregate per
    response instead of one per item, which keeps a million-response export fast and lean.
    """
    items = _checked_items(item_ids)
    words = max(1, -(-len(items) // _PER_WORD))
    position = "CASE a.item_id " + " ".join(f"WHEN '{item}' THEN {i}" for i, item in enumerate(items)) + " END"
    packed = ",\n".join(
        f"sum(CAST(coalesce(a.value, 0) AS BIGINT) << ({_BITS} * (a.pos - {w * _PER_WORD})))"
        f" FILTER (WHERE a.pos >= {w * _PER_WORD} AND a.pos < {(w + 1) * _PER_WORD}) AS w{w}"
        for w in range(words)
    )
    gates = sorted(set(item_groups))
    unpacked = ", ".join(
        f"CASE WHEN p.ok_{int(item_groups[i])} THEN "
        f'CAST(nullif((i.w{i // _PER_WORD} >> {_BITS * (i % _PER_WORD)}) & 7, 0) AS SMALLINT) END AS "{item}"'
        for i, item in enumerate(items)
    )
    gate_columns = "".join(f", s.ok_{int(g)}" for g in gates)

    def note(column: str) -> str:
        # a comment column of the response's response_comments row (migration 0011), shown only where
        # the cell passes the comment threshold; neutralised by the SQL twin of neutralise_text when asked
        text = f"c.{column}"
        if neutralise:
            text = f"CASE WHEN regexp_matches({text}, '^[-=+@\\t\\r]') THEN '''' || {text} ELSE {text} END"
        return f"CASE WHEN s.comments_ok THEN {text} END"

    # S608: every interpolated name is an item id checked against _ITEM_ID above or a comment column
    # of the schema, every number an int. The answers are aggregated for the whole wave (a cheap
    # scan) and only then joined to the shown cells: joining first makes DuckDB build far larger
    # intermediate tables.
    return f"""
        WITH waves AS (SELECT DISTINCT wave_id FROM export_shown),
        in_waves AS (SELECT response_id FROM responses WHERE wave_id IN (SELECT wave_id FROM waves)),
        item_values AS (
            SELECT a.response_id, {packed}
            FROM (
                SELECT a.response_id, a.value, {position} AS pos
                FROM answers a SEMI JOIN in_waves w ON w.response_id = a.response_id
            ) a
            WHERE a.pos IS NOT NULL
            GROUP BY a.response_id
        ),
        picked AS (
            SELECT r.response_id, r.wave_id, r.rater_dept, r.provider_dept, r.frequency,
                   CASE WHEN s.recommend_ok THEN r.recommend END AS recommend,
                   {note("comment_change")} AS change, {note("comment_need")} AS need,
                   nullif(s.hidden_figures, '') AS hidden_figures{gate_columns}
            FROM responses r
            JOIN export_shown s
              ON s.wave_id = r.wave_id AND s.rater_dept = r.rater_dept AND s.provider_dept = r.provider_dept
            LEFT JOIN response_comments c ON c.response_id = r.response_id
        )
        SELECT p.wave_id AS wave, p.rater_dept, p.provider_dept, p.frequency, p.recommend,
               {unpacked},
               p.change, p.need, p.hidden_figures
        FROM picked p
        LEFT JOIN item_values i ON i.response_id = p.response_id
        -- within a cell the order is random but repeatable, never the order of submission
        ORDER BY p.rater_dept, p.provider_dept, hash(p.response_id)
    """  # noqa: S608


def responses_columns(item_ids: tuple[str, ...] | list[str]) -> list[str]:
    """The columns of the responses table, in order (the historical import reads the same file and
    ignores `wave` and `hidden_figures`)."""
    return [
        "wave",
        "rater_dept",
        "provider_dept",
        "frequency",
        "recommend",
        *item_ids,
        *OPEN_QUESTION_IDS,
        HIDDEN_COLUMN,
    ]


HIDDEN_COLUMN = "hidden_figures"


def _registered_shown(shown: pd.DataFrame, item_dimensions: list[str]) -> tuple[pd.DataFrame, list[int]]:
    """`responses_shown` output as the query reads it: dimension gates renamed ok_<position>."""
    dims = list(dict.fromkeys(item_dimensions))
    frame = shown[["wave_id", "rater_dept", "provider_dept", "comments_ok", "recommend_ok", HIDDEN_COLUMN]].astype(
        {"wave_id": str, "rater_dept": str, "provider_dept": str, "comments_ok": bool, "recommend_ok": bool}
    )
    frame[HIDDEN_COLUMN] = frame[HIDDEN_COLUMN].fillna("").astype(str)
    for position, dim in enumerate(dims):
        # a gate missing from `shown` (a dimension nobody answered) lets nothing out
        frame[f"ok_{position}"] = shown[f"ok_{dim}"].astype(bool) if f"ok_{dim}" in shown.columns else False
    return frame, [dims.index(d) for d in item_dimensions]


def write_responses(
    db: Database,
    shown: pd.DataFrame,
    item_ids: tuple[str, ...] | list[str],
    out: Path,
    fmt: str,
    *,
    item_dimensions: tuple[str, ...] | list[str],
) -> int:
    """Stream the responses of the shown cells into `out`; return the number of rows written.

    Parameters
    ----------
    shown : DataFrame
        One row per cell whose responses may leave, with the gates of its groups: build it with
        `responses_shown`; cells not in it contribute nothing.
    item_ids : the survey's item ids, in questionnaire order (one column each).
    item_dimensions : the dimension of each item.
    """
    out = Path(out)
    frame, groups = _registered_shown(shown, list(item_dimensions))
    con = _settled(db, sorted(set(frame["wave_id"])))
    con.register("export_shown", frame)
    try:
        if fmt == "xlsx":
            return _stream_workbook(con, _responses_query(list(item_ids), groups, neutralise=False), out)
        relation = con.sql(_responses_query(list(item_ids), groups, neutralise=fmt == "csv"))
        if fmt == "parquet":
            with _atomic_target(out, ".parquet") as tmp:
                relation.write_parquet(str(tmp), compression="zstd")
            return _picked_count(con)
        if fmt == "csv":
            with _atomic_target(out, ".csv") as tmp:
                raw = tmp.with_name(tmp.name + ".raw")
                try:
                    relation.write_csv(str(raw), header=True, na_rep="")
                    _prepend_bom(raw, tmp)
                finally:
                    raw.unlink(missing_ok=True)
            return _picked_count(con)
        raise ExportError("unknown_format", format=fmt, formats=", ".join(FORMATS))
    finally:
        con.complete()
        con.unregister("export_shown")


def _settled(db: Database, wave_ids: list[str]) -> duckdb.DuckDBPyConnection:
    """This thread's connection to the DuckDB database holding `wave_ids` (the store, or the analysis
    copy of a PostgreSQL store: data/replica.py), with any half-read result finished: DuckDB 2 refuses
    register() and sql() while an earlier execute() was only partly fetched (e.g. by fetchone())."""
    con = analysis_db(db, wave_ids).connection()
    con.complete()
    return con


def _picked_count(con: duckdb.DuckDBPyConnection) -> int:
    """Rows of the responses table: the responses of the registered shown cells (a comment may hold
    a line break, so the file's lines are not the rows)."""
    return con.execute(
        "SELECT count(*) FROM responses r JOIN export_shown s"
        " ON s.wave_id = r.wave_id AND s.rater_dept = r.rater_dept AND s.provider_dept = r.provider_dept"
    ).fetchall()[0][0]


def _prepend_bom(raw: Path, target: Path) -> None:
    """Copy `raw` into `target` behind a UTF-8 byte-order mark, in chunks (the file can be large)."""
    with raw.open("rb") as source, target.open("wb") as sink:
        sink.write(BOM)
        shutil.copyfileobj(source, sink, 1 << 22)


def _stream_workbook(con: duckdb.DuckDBPyConnection, query: str, out: Path) -> int:
    from openpyxl import Workbook

    cursor = con.execute(query)
    columns = [d[0] for d in cursor.description]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("responses")
    sheet.append(columns)
    rows = 0
    while batch := cursor.fetchmany(_STREAM_BATCH):
        rows += len(batch)
        if rows + 1 > EXCEL_MAX_ROWS:
            raise ExportError("responses_too_long", limit=EXCEL_MAX_ROWS - 1)
        for row in batch:
            sheet.append([_excel_value(v) for v in row])
    with _atomic_target(out, ".xlsx") as tmp:
        workbook.save(tmp)
    return rows


def responses_frame(
    db: Database,
    shown: pd.DataFrame,
    item_ids: tuple[str, ...] | list[str],
    *,
    item_dimensions: tuple[str, ...] | list[str],
) -> pd.DataFrame:
    """The responses table as a frame (small waves, the Excel workbook of every table, previews)."""
    frame, groups = _registered_shown(shown, list(item_dimensions))
    con = _settled(db, sorted(set(frame["wave_id"])))
    con.register("export_shown", frame)
    try:
        return con.execute(_responses_query(list(item_ids), groups, neutralise=False)).df()
    finally:
        con.complete()
        con.unregister("export_shown")


def in_temporary_file(write: Callable[[Path], object], suffix: str) -> bytes:
    """Run `write(path)` into a fresh temporary directory and return the file's bytes."""
    directory = Path(tempfile.mkdtemp(prefix="icsat-export-"))
    try:
        path = directory / f"export{suffix}"
        write(path)
        return path.read_bytes()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --- one wave's tables, as the pages show them ------------------------------------------------


def wave_report(db: Database, wave_id: str, relationship_type: str | None = None) -> WaveReport:
    """The wave's suppressed report (`report.wave.WaveReport`), the source of every aggregate table."""
    return build_wave_report(db, wave_id, relationship_type=relationship_type)


def export_frame(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    """An aggregate table as files carry it: `wave` for the wave id, and always a suppression flag
    and the threshold used (tables without small groups, such as reliability, say suppressed = False)."""
    out = frame.rename(columns={"wave_id": "wave", "previous_wave_id": "previous_wave"}).copy()
    if "suppressed" not in out.columns:
        out["suppressed"] = False
    if "k" not in out.columns:
        out["k"] = k
    return out.reset_index(drop=True)


def aggregate_tables(report: WaveReport) -> dict[str, pd.DataFrame]:
    """Every aggregate table of a `WaveReport`, ready to write (see `export_frame`)."""
    return {name: export_frame(getattr(report, name), report.k) for name in AGGREGATE_TABLES}


def responses_shown(db: Database, wave_id: str, relationship_type: str | None = None) -> pd.DataFrame:
    """The cells of a wave whose responses may be exported, and which of their groups.

    The one rule (`report.wave.published_groups`, through `analysis.anonymity.group_gates`), with the
    same counts as the pages: a cell is exported when at least k people answered it; its recommend
    answers only when at least k answered that question, a dimension's items only when at least k
    answered that dimension, and its comments only with at least k_comments people. A wave still
    collecting answers exports no response. The thresholds are the wave's own.

    Returns columns: wave_id, rater_dept, provider_dept, comments_ok, recommend_ok, one
    ok_<dimension> column per dimension, hidden_figures and n_responses.
    """
    groups = published_groups(db, wave_id, relationship_type)
    visible = groups[groups["shown"]]
    out = pd.DataFrame(
        {
            "wave_id": wave_id,
            "rater_dept": visible["rater_dept"].astype(str),
            "provider_dept": visible["provider_dept"].astype(str),
            "comments_ok": visible["comments"].astype(bool),
            "recommend_ok": visible["recommend"].astype(bool),
        }
    )
    for column in groups.columns:
        if column not in _GROUP_COLUMNS:
            out["ok_" + column] = visible[column].astype(bool)
    out["hidden_figures"] = visible["hidden_figures"].astype(str)
    out["n_responses"] = visible["n_responses"].astype("int64")
    return out.reset_index(drop=True)


# Columns of report.wave.published_groups that are not a dimension's gate.
_GROUP_COLUMNS = frozenset(
    {"rater_dept", "provider_dept", "n", "shown", "recommend", "hidden_figures", "comments", "n_responses"}
)


def export_file_name(table: str, wave_id: str, fmt: str, relationship_type: str | None = None) -> str:
    """A file name that says what the file holds, e.g. ``icsat-2026-Q4-cells-process.csv``."""
    parts = ["icsat", wave_id, table, *([relationship_type] if relationship_type else [])]
    return "-".join(parts) + "." + fmt


def _wave_and_survey(db: Database, wave_id: str) -> tuple[Wave, Survey]:
    from data.waves import get_wave, survey_for_version

    wave = get_wave(db, wave_id)
    if wave is None:
        raise ExportError("unknown_wave", wave_id=wave_id)
    return wave, survey_for_version(db, wave.survey_version)


def wave_codebook(db: Database, wave_id: str, report: WaveReport | None = None) -> pd.DataFrame:
    """The codebook of a wave: its survey's questions and the columns of every exported table."""
    _, survey = _wave_and_survey(db, wave_id)
    report = report if report is not None else wave_report(db, wave_id)
    tables = {name: list(frame.columns) for name, frame in aggregate_tables(report).items()}
    return build_codebook(survey, tables)


def export_table(
    db: Database,
    table: str,
    wave_id: str,
    fmt: str,
    out: Path,
    *,
    actor: str,
    relationship_type: str | None = None,
) -> ExportResult:
    """Write one table (or `all`, an Excel workbook of every table) of a wave to `out` and log it.

    The audit log gets one 'export' event (actor: a username, or 'cli'), target ``<wave>/<table>``.

    Raises
    ------
    ExportError
        Unknown table, format or wave; `all` in a format other than xlsx; too many rows for Excel.
    """
    from data.audit import Action, record_event
    from data.org import RELATIONSHIP_TYPES

    if table not in (*EXPORT_TABLES, ALL_TABLES):
        raise ExportError("unknown_table", table=table, tables=", ".join((*EXPORT_TABLES, ALL_TABLES)))
    if fmt not in FORMATS:
        raise ExportError("unknown_format", format=fmt, formats=", ".join(FORMATS))
    if table == ALL_TABLES and fmt != "xlsx":
        raise ExportError("all_needs_xlsx")
    if relationship_type is not None and relationship_type not in RELATIONSHIP_TYPES:
        raise ExportError("unknown_relationship_type", value=relationship_type, types=", ".join(RELATIONSHIP_TYPES))
    _, survey = _wave_and_survey(db, wave_id)
    item_dims = [item.dimension for item in survey.items]
    out = Path(out)
    rows: dict[str, int] = {}
    if table == "responses":
        shown = responses_shown(db, wave_id, relationship_type)
        rows["responses"] = write_responses(db, shown, survey.item_ids, out, fmt, item_dimensions=item_dims)
    else:
        report = wave_report(db, wave_id, relationship_type)
        tables = aggregate_tables(report)
        if table == ALL_TABLES:
            shown = responses_shown(db, wave_id, relationship_type)
            sheets = {"responses": responses_frame(db, shown, survey.item_ids, item_dimensions=item_dims), **tables}
            sheets["codebook"] = wave_codebook(db, wave_id, report)
            write_workbook(sheets, out)
        else:
            frame = wave_codebook(db, wave_id, report) if table == "codebook" else tables[table]
            sheets = {table: frame}
            write_frame(frame, out, fmt, sheet=table)
        rows.update({name: len(frame) for name, frame in sheets.items()})
    record_event(
        db,
        actor,
        Action.EXPORT,
        f"{wave_id}/{table}",
        f"format={fmt}; relationship_type={relationship_type or 'all'}; rows={sum(rows.values())}",
    )
    return ExportResult(out, tuple(rows), fmt, rows)


def export_bytes(
    db: Database,
    table: str,
    wave_id: str,
    fmt: str,
    *,
    actor: str,
    relationship_type: str | None = None,
) -> bytes:
    """The bytes of `export_table` (for a download button); the export is logged the same way."""
    return in_temporary_file(
        lambda path: export_table(db, table, wave_id, fmt, path, actor=actor, relationship_type=relationship_type),
        "." + fmt,
    )
