"""`cli.py export` and `cli.py import-responses`: files, exit codes, messages and the audit log."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import cli
from data.audit import list_events
from data.db import Database, open_database
from data.waves import create_wave, get_wave
from report.exports import AGGREGATE_TABLES, BOM

ROOT = Path(__file__).resolve().parents[1]
WAVE = "2026-Q4"


def test_export_cells_as_csv_through_the_real_command_line(demo_target, tmp_path):
    out = tmp_path / "cells.csv"
    done = subprocess.run(
        [
            sys.executable,
            "cli.py",
            "export",
            "cells",
            "--db",
            demo_target,
            "--wave",
            WAVE,
            "--format",
            "csv",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    assert out.read_bytes().startswith(BOM)
    cells = pd.read_csv(out, encoding="utf-8-sig")
    required = [
        "wave",
        "rater_dept",
        "provider_dept",
        "n",
        "mean",
        "ci_low",
        "ci_high",
        "inps",
        "inps_ci_low",
        "inps_ci_high",
        "suppressed",
        "k",
    ]
    assert set(required) <= set(cells.columns)
    assert (cells["wave"] == WAVE).all()
    db = open_database(demo_target)
    event = list_events(db).iloc[0]
    assert (event["actor"], event["action"], event["target"]) == ("cli", "export", f"{WAVE}/cells")
    db.close()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_export_responses_with_a_relationship_type(demo_target, tmp_path, fmt, capsys):
    out = tmp_path / f"responses.{fmt}"
    code = cli.main(
        [
            "export",
            "responses",
            "--db",
            demo_target,
            "--wave",
            WAVE,
            "--format",
            fmt,
            "--out",
            str(out),
            "--relationship-type",
            "process",
        ]
    )
    assert code == 0
    frame = {"csv": lambda p: pd.read_csv(p, encoding="utf-8-sig"), "parquet": pd.read_parquet, "xlsx": pd.read_excel}[
        fmt
    ](out)
    assert len(frame) > 100
    assert ((frame["rater_dept"] == "SALES") & (frame["provider_dept"] == "PROD")).any()  # a process pair
    assert not ((frame["rater_dept"] == "HR") & (frame["provider_dept"] == "IT")).any()  # a functional pair
    assert "responses" in capsys.readouterr().out


def test_export_all_writes_one_workbook(demo_target, tmp_path):
    out = tmp_path / "all.xlsx"
    assert cli.main(["export", "all", "--db", demo_target, "--wave", WAVE, "--format", "xlsx", "--out", str(out)]) == 0
    assert openpyxl.load_workbook(out, read_only=True).sheetnames == ["responses", *AGGREGATE_TABLES, "codebook"]


@pytest.mark.parametrize("table", ["cells", "responses", "hotspots", "trends", "participation"])
def test_postgres_exports_the_same_figures_as_duckdb_from_the_same_organisation(
    demo_db_path, pg_server, pg_demo_template, tmp_path, table
):
    # The demo (seed 7) built on each backend: the PostgreSQL export runs through this process's
    # DuckDB copy (data/replica.py) and must publish exactly what the DuckDB store publishes.
    from tests.conftest import _pg_copy_url

    files = {}
    copies = _pg_copy_url(pg_server, pg_demo_template)
    try:
        for name, target in (("duckdb", str(demo_db_path)), ("postgres", next(copies))):
            files[name] = tmp_path / f"{name}.parquet"
            argv = ["export", table, "--db", target, "--wave", WAVE, "--format", "parquet", "--out", str(files[name])]
            assert cli.main(argv) == 0
    finally:
        copies.close()  # drops the copy
    duck, pg = (pd.read_parquet(files[name]) for name in ("duckdb", "postgres"))
    assert len(duck) > 10
    keys = list(duck.columns)
    pd.testing.assert_frame_equal(
        duck.sort_values(keys).reset_index(drop=True), pg.sort_values(keys).reset_index(drop=True)
    )


def test_export_refusals_say_why_and_write_nothing(demo_db_path, tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert cli.main(["export", "all", "--db", str(demo_db_path), "--wave", WAVE, "--out", str(out)]) == 2
    assert "use --format xlsx" in capsys.readouterr().err
    assert cli.main(["export", "cells", "--db", str(demo_db_path), "--wave", "1999-Q1", "--out", str(out)]) == 2
    assert "no wave '1999-Q1'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["export", "people", "--db", str(demo_db_path), "--wave", WAVE, "--out", str(out)])
    assert not out.exists()


def test_import_responses_round_trip_and_refusal(demo_db_path, tmp_path, capsys):
    exported = tmp_path / "q4.csv"
    assert cli.main(["export", "responses", "--db", str(demo_db_path), "--wave", WAVE, "--out", str(exported)]) == 0
    db = Database(demo_db_path)
    wave = get_wave(db, WAVE)
    create_wave(
        db,
        "OLD",
        name_en="Old",
        name_zh="旧",
        survey_version=wave.survey_version,
        opens_on=dt.date(2024, 1, 1),
        closes_on=dt.date(2024, 1, 31),
    )
    db.close()
    capsys.readouterr()
    assert cli.main(["import-responses", "--db", str(demo_db_path), "--wave", "OLD", str(exported)]) == 0
    rows = len(pd.read_csv(exported, encoding="utf-8-sig"))
    assert f"imported {rows} responses into wave OLD" in capsys.readouterr().out

    # a second import into the same (now filled) wave is refused, and nothing more is written
    assert cli.main(["import-responses", "--db", str(demo_db_path), "--wave", "OLD", str(exported)]) == 1
    err = capsys.readouterr().err
    assert "nothing imported" in err and f"wave OLD already has {rows} responses" in err

    bad = tmp_path / "bad.csv"
    bad.write_bytes(exported.read_bytes().replace(b",SALES,", b",SALEZ,", 1))
    db = Database(demo_db_path)
    create_wave(
        db,
        "OLDER",
        name_en="Older",
        name_zh="更旧",
        survey_version=wave.survey_version,
        opens_on=dt.date(2023, 1, 1),
        closes_on=dt.date(2023, 1, 31),
    )
    db.close()
    assert cli.main(["import-responses", "--db", str(demo_db_path), "--wave", "OLDER", str(bad)]) == 1
    assert re.search(r'\n  row \d+: (rater|provider)_dept: unknown department code "SALEZ"', capsys.readouterr().err)
    assert cli.main(["import-responses", "--db", str(demo_db_path), "--wave", "NOPE", str(bad)]) == 1
    assert "there is no wave NOPE" in capsys.readouterr().err
    assert (
        cli.main(["import-responses", "--db", str(demo_db_path), "--wave", "OLD", str(tmp_path / "missing.csv")]) == 2
    )
