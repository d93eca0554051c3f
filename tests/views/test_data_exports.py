"""AppTest of the Data & exports page: what analysts, admins and leaders see and can do."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from data.audit import list_events
from data.db import Database
from data.responses import response_count
from data.waves import create_wave, get_wave
from report.exports import export_table
from tests.conftest import assert_serialisable_state, run_page

PAGE = "views/data_exports.py"
WAVE = "2026-Q4"


def _empty_wave(db_path, wave_id: str = "HIST") -> None:
    db = Database(db_path)
    wave = get_wave(db, WAVE)
    create_wave(
        db,
        wave_id,
        name_en="2025 historical",
        name_zh="2025年历史数据",
        survey_version=wave.survey_version,
        opens_on=dt.date(2025, 10, 1),
        closes_on=dt.date(2025, 10, 31),
        status="closed",
    )
    db.close()


def _export_csv(db_path, tmp_path) -> bytes:
    db = Database(db_path)
    path = tmp_path / "q4.csv"
    export_table(db, "responses", WAVE, "csv", path, actor="test")
    db.close()
    return path.read_bytes()


def _frame_with(at, column: str) -> pd.DataFrame:
    """The first table the page shows that has `column`."""
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no table with a {column!r} column"
    return frames[0]


def test_an_analyst_can_download_the_responses_and_the_codebook(demo_db_path):
    at = run_page(PAGE, demo_db_path, role="analyst")
    assert not at.exception
    assert_serialisable_state(at)
    assert at.title[0].value == "Data & exports"
    labels = [b.label for b in at.get("download_button")]
    assert labels == [f"Download icsat-{WAVE}-responses.csv", "Download the codebook (CSV)"]
    assert any("Responses (one row per response): 1," in c.value for c in at.caption)
    assert any("cells need at least 5 responses, comments at least 10" in c.value for c in at.caption)
    # analysts export; only admins import
    assert "Historical import" not in [h.value for h in at.subheader]
    assert not at.get("file_uploader")


def test_choosing_a_table_format_and_type_changes_the_file_and_shows_a_preview(demo_db_path):
    at = run_page(PAGE, demo_db_path, role="analyst")
    at.selectbox(key="exports.table.en").set_value("hotspots").run()
    at.radio(key="exports.format.en").set_value("parquet").run()
    at.selectbox(key="exports.relationship_type.en").set_value("process").run()
    assert not at.exception
    assert at.get("download_button")[0].label == f"Download icsat-{WAVE}-hotspots-process.parquet"
    preview = _frame_with(at, "flags")
    assert {"rater_dept", "provider_dept", "flags", "reason_en", "suppressed", "k"} <= set(preview.columns)
    # among process pairs only, the planted decline (CS -> LOG) is the one flag the answers support
    # (SALES -> PROD's friction cannot be told from Sales' harshness with 14 pairs; issue 17)
    assert ((preview["rater_dept"] == "CS") & (preview["provider_dept"] == "LOG")).any()
    at.selectbox(key="exports.table.en").set_value("all").run()
    assert at.get("download_button")[0].label == f"Download icsat-{WAVE}-all-process.xlsx"


def test_the_codebook_is_shown_in_the_readers_language(demo_db_path):
    at = run_page(PAGE, demo_db_path, role="analyst", lang="zh")
    assert at.title[0].value == "数据与导出"
    book = _frame_with(at, "text_zh")
    assert "text_zh" in book.columns
    assert "{provider}第一次就能把事情做对。" in set(book["text_zh"])
    assert at.get("download_button")[1].label == "下载编码手册（CSV）"


def test_a_leader_is_refused(demo_db_path):
    at = run_page(PAGE, demo_db_path, role="leader")
    assert at.error[0].value == "Your role does not give access to this page."
    assert not at.get("download_button")


def test_a_visitor_must_sign_in(demo_db_path):
    at = run_page(PAGE, demo_db_path, role=None)
    assert "sign in" in at.warning[0].value
    assert not at.get("download_button")


def test_an_empty_database_says_there_is_no_wave(empty_db_path):
    at = run_page(PAGE, empty_db_path, role="admin")
    assert not at.exception
    assert "No survey wave yet" in at.info[0].value


def test_an_admin_sees_a_bad_file_refused_with_its_rows_and_nothing_written(demo_db_path):
    _empty_wave(demo_db_path)
    at = run_page(PAGE, demo_db_path, role="admin")
    at.selectbox(key="exports.import_wave.en").set_value("HIST").run()
    bad = b"rater_dept,provider_dept,frequency,recommend\nSALES,NOPE,weekly,7\n"
    at.file_uploader[0].upload("old.csv", bad, "text/csv").run()
    assert not at.exception
    assert at.error[0].value.startswith("Nothing was imported")
    problems = _frame_with(at, "Problem")
    assert "column understanding_1 is missing" in set(problems["Problem"])
    assert not [b for b in at.button if b.key == "exports.import_go"]
    db = Database(demo_db_path)
    assert response_count(db, "HIST") == 0
    db.close()


def test_an_admin_imports_a_file_after_the_preview(demo_db_path, tmp_path):
    raw = _export_csv(demo_db_path, tmp_path)
    rows = len(pd.read_csv(tmp_path / "q4.csv", encoding="utf-8-sig"))
    _empty_wave(demo_db_path)
    at = run_page(PAGE, demo_db_path, role="admin")
    at.selectbox(key="exports.import_wave.en").set_value("HIST").run()
    at.file_uploader[0].upload("q4.csv", raw, "text/csv").run()
    assert not at.exception
    assert at.success[0].value == f"The file is fine: {rows:,} responses can be imported into 2025 historical."
    assert len(_frame_with(at, "reliability_2")) == 20
    at.button(key="exports.import_go").click().run()
    assert not at.exception
    assert f"{rows:,} responses imported into 2025 historical." in [s.value for s in at.success]
    assert_serialisable_state(at)
    # the wave now has data: it is offered for export and no longer for import
    assert (
        "HIST" in at.selectbox(key="exports.wave.en").options
        or "2025 historical" in at.selectbox(key="exports.wave.en").options
    )
    db = Database(demo_db_path)
    assert response_count(db, "HIST") == rows
    event = list_events(db).query("action == 'import_responses'").iloc[0]
    assert (event["actor"], event["target"]) == ("test-admin", "HIST")
    db.close()


def test_the_choices_survive_a_change_of_language(demo_db_path):
    at = run_page(PAGE, demo_db_path, role="analyst")
    at.selectbox(key="exports.table.en").set_value("cells").run()
    at.selectbox(key="exports.relationship_type.en").set_value("functional").run()
    at.radio(key="exports.format.en").set_value("xlsx").run()
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.selectbox(key="exports.table.zh").value == "cells"
    assert at.selectbox(key="exports.relationship_type.zh").value == "functional"
    assert at.radio(key="exports.format.zh").value == "xlsx"
    assert at.get("download_button")[0].label == f"下载 icsat-{WAVE}-cells-functional.xlsx"


def test_a_write_the_database_refuses_is_reported_and_leaves_nothing(demo_db_path, tmp_path, monkeypatch):
    import duckdb

    raw = _export_csv(demo_db_path, tmp_path)
    _empty_wave(demo_db_path)
    at = run_page(PAGE, demo_db_path, role="admin")
    at.selectbox(key="exports.import_wave.en").set_value("HIST").run()
    at.file_uploader[0].upload("q4.csv", raw, "text/csv").run()

    def refused(*_args, **_kwargs):
        raise duckdb.ConstraintException("simulated constraint failure")

    monkeypatch.setattr("services.imports.write_checked", refused)
    at.button(key="exports.import_go").click().run()
    assert not at.exception
    assert at.error[0].value.startswith("The database refused the rows, so nothing was imported.")
    db = Database(demo_db_path)
    assert response_count(db, "HIST") == 0
    db.close()
