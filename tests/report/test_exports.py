"""Exports: formula neutralisation, the byte-order mark, Chinese text, and the anonymity rules
checked on every exported file of the demo organisation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from data.audit import list_events
from data.db import Database
from data.waves import get_wave, survey_for_version
from report.exports import (
    AGGREGATE_TABLES,
    BOM,
    FORMATS,
    ExportError,
    export_table,
    responses_shown,
    write_csv,
    write_parquet,
    write_responses,
    write_workbook,
)
from report.wave import build_wave_report
from tests.conftest import set_comments
from tests.data.test_spreadsheet import PAYLOADS

WAVE = "2026-Q4"  # the demo's latest closed wave

# about 1000 characters (the comment limit) of Chinese with full-width punctuation, a line break and quotes
CHINESE = ("跨部门协作是粘合剂、润滑剂和催化剂：“内部客户”的需求，我们要站在对方角度理解。\n" * 25)[:1000]


def read_back(path: Path, fmt: str) -> pd.DataFrame:
    """A file as an analyst's tool reads it."""
    if fmt == "csv":
        return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    if fmt == "parquet":
        return pd.read_parquet(path)
    return pd.read_excel(path, sheet_name=0)


@pytest.fixture
def demo(demo_db_path):
    db = Database(demo_db_path)
    yield db
    db.close()


# --- formula injection ------------------------------------------------------------------------


def _mixed_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": [*PAYLOADS, "plain", None],
            "number": [0, -1, 2.5, 0.0, -3, 4, 5, None],
            "n": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, None, 7.0],
        }
    )


def test_csv_neutralises_text_keeps_numbers_and_starts_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "mixed.csv"
    write_csv(_mixed_frame(), path)
    raw = path.read_bytes()
    assert raw.startswith(BOM)
    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert list(back["text"][: len(PAYLOADS)]) == ["'" + p for p in PAYLOADS]
    assert back["text"][6] == "plain" and pd.isna(back["text"][7])
    # numbers stay numbers (also negative ones), 0 stays 0, missing stays empty; counts as whole numbers
    assert pd.api.types.is_float_dtype(back["number"])
    assert list(back["number"][:5]) == [0, -1, 2.5, 0, -3]
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[1].endswith((",0.0,0", ",0,0"))  # a zero is written as a zero, never left empty
    assert lines[-1] == ",,7"
    assert lines[-2] == "plain,5.0,"


def test_excel_stores_neutralised_text_as_text_and_numbers_as_numbers(tmp_path):
    path = tmp_path / "mixed.xlsx"
    write_workbook({"mixed": _mixed_frame()}, path)
    sheet = openpyxl.load_workbook(path)["mixed"]
    rows = list(sheet.iter_rows(min_row=2, values_only=False))
    for row, payload in zip(rows, PAYLOADS, strict=False):
        # XML turns a stored carriage return into a line feed when the file is read; the quote stays first
        assert row[0].value.replace("\n", "\r") == "'" + payload
        assert row[0].data_type == "s"  # a string, never a formula
    assert rows[0][1].value == 0 and rows[0][1].data_type == "n"
    assert rows[1][1].value == -1
    assert rows[0][2].value == 0 and isinstance(rows[0][2].value, int)
    assert rows[7][0].value is None and rows[7][1].value is None and rows[7][2].value == 7
    assert rows[6][2].value is None


def test_parquet_keeps_the_original_text(tmp_path):
    path = tmp_path / "mixed.parquet"
    write_parquet(_mixed_frame(), path)
    assert list(pd.read_parquet(path)["text"][: len(PAYLOADS)]) == PAYLOADS


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wide_chinese_text_survives_unchanged(tmp_path, fmt):
    frame = pd.DataFrame({"provider_dept": ["生产部"], "comment": [CHINESE], "n": [7]})
    path = tmp_path / f"wide.{fmt}"
    if fmt == "csv":
        write_csv(frame, path)
    elif fmt == "parquet":
        write_parquet(frame, path)
    else:
        write_workbook({"data": frame}, path)
    back = read_back(path, fmt)
    assert back["comment"][0] == CHINESE
    assert back["provider_dept"][0] == "生产部"


# --- the responses table ----------------------------------------------------------------------


def _add_comment(db: Database, rater: str, provider: str, text: str) -> None:
    """Put `text` on a response of the cell that has no 'need' comment yet (a planted comment)."""
    (response_id,) = (
        db.connection()
        .execute(
            "SELECT CAST(response_id AS VARCHAR) FROM responses LEFT JOIN response_comments USING (response_id)"
            " WHERE wave_id = ? AND rater_dept = ? AND provider_dept = ? AND comment_need IS NULL"
            " ORDER BY response_id LIMIT 1",
            [WAVE, rater, provider],
        )
        .fetchone()
    )
    set_comments(db, [response_id], need=text)


@pytest.mark.parametrize("fmt", FORMATS)
def test_responses_export_keeps_chinese_and_neutralises_comments_for_spreadsheets(demo, tmp_path, fmt):
    _add_comment(demo, "SALES", "PROD", CHINESE)
    _add_comment(demo, "SALES", "PROD", '=HYPERLINK("http://evil")')
    path = tmp_path / f"responses.{fmt}"
    export_table(demo, "responses", WAVE, fmt, path, actor="test")
    if fmt == "csv":
        assert path.read_bytes().startswith(BOM)
    needs = set(read_back(path, fmt)["need"].dropna())
    assert CHINESE in needs
    formula = '=HYPERLINK("http://evil")'
    assert (("'" + formula) if fmt in ("csv", "xlsx") else formula) in needs


def test_responses_export_has_no_column_that_identifies_a_person(demo, tmp_path):
    path = tmp_path / "responses.parquet"
    export_table(demo, "responses", WAVE, "parquet", path, actor="test")
    survey = survey_for_version(demo, get_wave(demo, WAVE).survey_version)
    columns = list(pd.read_parquet(path).columns)
    assert columns == [
        "wave",
        "rater_dept",
        "provider_dept",
        "frequency",
        "recommend",
        *survey.item_ids,
        "change",
        "need",
        "hidden_figures",
    ]


def cell_counts(db: Database, wave_id: str, relationship_type: str | None = None) -> pd.DataFrame:
    """The truth, counted here from storage and not through the code under test: per cell, n (people
    with at least one answered item), n_responses (every response) and n_recommend."""
    return (
        db.connection()
        .execute(
            """
            SELECT r.rater_dept, r.provider_dept,
                   count(*) FILTER (WHERE EXISTS (
                       SELECT 1 FROM answers a WHERE a.response_id = r.response_id AND a.value IS NOT NULL)) AS n,
                   count(*) AS n_responses, count(r.recommend) AS n_recommend
            FROM responses r
            WHERE r.wave_id = ? AND (? IS NULL OR EXISTS (
                SELECT 1 FROM relationships rel WHERE rel.customer_dept = r.rater_dept
                  AND rel.provider_dept = r.provider_dept AND rel.type = ?))
            GROUP BY ALL
            """,
            [wave_id, relationship_type, relationship_type],
        )
        .df()
    )


def _shown_invariants(shown: pd.DataFrame, counts: pd.DataFrame, k: int) -> None:
    """Every cell with at least k people is shown and no cell with fewer is (suppression by
    construction hides nothing as a complement)."""
    merged = counts.merge(shown.assign(shown=True), on=["rater_dept", "provider_dept"], how="left")
    merged["shown"] = merged["shown"].fillna(False).astype(bool)
    assert (merged["shown"] == (merged["n"] >= k)).all(), merged[merged["shown"] != (merged["n"] >= k)]


@pytest.mark.parametrize("relationship_type", [None, "process"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_responses_file_keeps_the_anonymity_rules(demo, tmp_path, fmt, relationship_type):
    wave = get_wave(demo, WAVE)
    path = tmp_path / f"responses.{fmt}"
    export_table(demo, "responses", WAVE, fmt, path, actor="test", relationship_type=relationship_type)
    frame = read_back(path, fmt)
    counts = cell_counts(demo, WAVE, relationship_type)
    per_cell = frame.groupby(["rater_dept", "provider_dept"]).size().rename("rows").reset_index()
    # Legal rates Marketing with 2 responses (planted): never in the file
    assert not ((frame["rater_dept"] == "LEGAL") & (frame["provider_dept"] == "MKT")).any()
    _shown_invariants(per_cell[["rater_dept", "provider_dept"]], counts, wave.k_min)
    # a shown cell comes with all of its responses
    full = per_cell.merge(counts, on=["rater_dept", "provider_dept"])
    assert (full["rows"] == full["n_responses"]).all()
    # comments only where the cell reaches the comment threshold
    commented = frame[frame["change"].notna() | frame["need"].notna()]
    sizes = commented.merge(counts, on=["rater_dept", "provider_dept"])["n"]
    assert (sizes >= wave.k_comments).all()
    if relationship_type == "process":
        process = demo.connection().execute(
            "SELECT customer_dept, provider_dept FROM relationships WHERE type = 'process'"
        )
        assert set(zip(frame["rater_dept"], frame["provider_dept"], strict=True)) <= set(process.fetchall())


@pytest.mark.parametrize("relationship_type", [None, "process", "functional"])
def test_the_responses_export_shows_exactly_the_cells_the_pages_show(demo, relationship_type):
    shown = responses_shown(demo, WAVE, relationship_type)
    cells = build_wave_report(demo, WAVE, relationship_type=relationship_type).cells
    page_pairs = set(cells.loc[~cells["suppressed"], ["rater_dept", "provider_dept"]].itertuples(index=False))
    assert set(shown[["rater_dept", "provider_dept"]].itertuples(index=False)) == page_pairs
    assert len(page_pairs) > 0


def test_a_cell_below_the_comment_threshold_exports_answers_without_comments(demo, tmp_path):
    wave = get_wave(demo, WAVE)
    counts = cell_counts(demo, WAVE)
    small = counts[(counts["n"] >= wave.k_min) & (counts["n"] < wave.k_comments)].iloc[0]
    _add_comment(demo, small["rater_dept"], small["provider_dept"], "only visible in a larger cell")
    shown = responses_shown(demo, WAVE)
    survey = survey_for_version(demo, wave.survey_version)
    path = tmp_path / "responses.csv"
    write_responses(demo, shown, survey.item_ids, path, "csv", item_dimensions=[i.dimension for i in survey.items])
    frame = read_back(path, "csv")
    cell = frame[(frame["rater_dept"] == small["rater_dept"]) & (frame["provider_dept"] == small["provider_dept"])]
    assert len(cell) == small["n_responses"]
    assert cell["need"].isna().all() and cell["change"].isna().all()


# --- aggregate tables -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_aggregate_file_carries_n_a_suppression_flag_and_k_and_keeps_the_rules(demo, tmp_path, fmt):
    wave = get_wave(demo, WAVE)
    counts = cell_counts(demo, WAVE)
    for table in AGGREGATE_TABLES:
        path = tmp_path / f"{table}.{fmt}"
        export_table(demo, table, WAVE, fmt, path, actor="test")
        frame = read_back(path, fmt)
        assert len(frame), table
        assert {"suppressed", "k"} <= set(frame.columns), table
        assert (frame["k"] == wave.k_min).all(), table
        if table != "participation":  # invitation counts, not answers
            assert "n" in frame.columns, table
            shown = frame[~frame["suppressed"].astype(bool)]
            assert (shown["n"] >= wave.k_min).all(), table
            hidden = frame[frame["suppressed"].astype(bool)]
            figures = [c for c in ("mean", "inps", "ci_low", "n") if c in frame.columns]
            assert hidden[figures].isna().all().all(), table
    cells = read_back(tmp_path / f"cells.{fmt}", fmt)
    required = {"wave", "rater_dept", "provider_dept", "n", "mean", "ci_low", "ci_high"}
    required |= {"inps", "inps_ci_low", "inps_ci_high", "suppressed"}
    assert required <= set(cells.columns)
    _shown_invariants(cells.loc[~cells["suppressed"].astype(bool), ["rater_dept", "provider_dept"]], counts, wave.k_min)
    legal_mkt = cells[(cells["rater_dept"] == "LEGAL") & (cells["provider_dept"] == "MKT")]
    assert legal_mkt["suppressed"].astype(bool).all() and legal_mkt["n"].isna().all()
    shown_pairs = set(
        cells.loc[~cells["suppressed"].astype(bool), ["rater_dept", "provider_dept"]].itertuples(index=False)
    )
    trends = read_back(tmp_path / f"trends.{fmt}", fmt)
    shown_trends = trends[~trends["suppressed"].astype(bool)]
    assert (shown_trends["previous_n"] >= wave.k_min).all()  # a change needs both waves shown
    trend_cells = shown_trends[shown_trends["level"] == "cell"]
    assert set(trend_cells[["rater_dept", "provider_dept"]].itertuples(index=False)) <= shown_pairs
    hotspots = read_back(tmp_path / f"hotspots.{fmt}", fmt)
    assert set(hotspots[["rater_dept", "provider_dept"]].itertuples(index=False)) <= shown_pairs
    assert {"rater_dept", "provider_dept", "flags", "severity", "reason_en", "reason_zh"} <= set(hotspots.columns)
    friction = hotspots[(hotspots["rater_dept"] == "SALES") & (hotspots["provider_dept"] == "PROD")]
    assert "friction" in friction["flags"].iloc[0]
    assert "销售部" in friction["reason_zh"].iloc[0]


def test_all_is_one_workbook_with_a_sheet_per_table_and_the_export_is_logged(demo, tmp_path):
    path = tmp_path / "all.xlsx"
    result = export_table(demo, "all", WAVE, "xlsx", path, actor="ana")
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["responses", *AGGREGATE_TABLES, "codebook"]
    assert result.rows["responses"] > 1000
    events = list_events(demo)
    event = events[events["action"] == "export"].iloc[0]
    assert (event["actor"], event["target"]) == ("ana", f"{WAVE}/all")
    assert "format=xlsx" in event["detail"]


def test_bad_requests_are_refused_before_anything_is_written(demo, tmp_path):
    path = tmp_path / "x.csv"
    with pytest.raises(ExportError, match="xlsx"):
        export_table(demo, "all", WAVE, "csv", path, actor="test")
    with pytest.raises(ExportError, match="unknown_table"):
        export_table(demo, "people", WAVE, "csv", path, actor="test")
    with pytest.raises(ExportError, match="unknown_wave"):
        export_table(demo, "cells", "1999-Q1", "csv", path, actor="test")
    assert not path.exists()
    assert list_events(demo).query("action == 'export'").empty


def test_a_failed_export_leaves_an_existing_file_untouched(demo, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    path = out / "cells.csv"
    path.write_text("old", encoding="utf-8")

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("report.exports.tidy_counts", broken)
    with pytest.raises(RuntimeError):
        export_table(demo, "cells", WAVE, "csv", path, actor="test")
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in out.iterdir()] == ["cells.csv"]  # no temporary file left behind


def test_an_empty_wave_exports_a_header_only_responses_file(demo, tmp_path):
    from data.waves import create_wave

    wave = get_wave(demo, WAVE)
    create_wave(
        demo,
        "EMPTY",
        name_en="Empty",
        name_zh="空",
        survey_version=wave.survey_version,
        opens_on=dt.date(2027, 1, 1),
        closes_on=dt.date(2027, 1, 2),
    )
    path = tmp_path / "empty.csv"
    result = export_table(demo, "responses", "EMPTY", "csv", path, actor="test")
    assert result.rows == {"responses": 0}
    assert path.read_text(encoding="utf-8-sig").startswith("wave,rater_dept,provider_dept,frequency,recommend,")


def test_flags_are_written_as_true_or_false_and_counts_as_whole_numbers(tmp_path):
    frame = pd.DataFrame({"significant": [1.0, 0.0, None], "previous_n": [12.0, None, 7.0], "mean": [50.0, 1.5, 2.0]})
    path = tmp_path / "flags.csv"
    write_csv(frame, path)
    assert path.read_text(encoding="utf-8-sig").splitlines() == [
        "significant,previous_n,mean",
        "True,12,50.0",
        "False,,1.5",
        ",7,2.0",
    ]
