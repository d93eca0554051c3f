"""Historical import: all or nothing, row-level messages, encodings, and the round trip through an export."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data.audit import list_events
from data.db import Database, open_database
from data.response_import import MAX_PROBLEMS, check_file
from data.responses import response_count
from data.waves import create_wave, get_wave, survey_for_version
from report.exports import export_table
from report.wave import build_wave_report
from services.imports import import_file
from texts import describe

WAVE = "2026-Q4"
TARGET = "HIST-2025"


def _with_target_wave(db):
    """The demo with an empty closed wave, TARGET, to import into."""
    wave = get_wave(db, WAVE)
    create_wave(
        db,
        TARGET,
        name_en="2025 (historical)",
        name_zh="2025年（历史）",
        survey_version=wave.survey_version,
        opens_on=dt.date(2025, 10, 1),
        closes_on=dt.date(2025, 10, 31),
        status="closed",
    )
    return db


@pytest.fixture
def demo(demo_store):
    """On DuckDB and on PostgreSQL."""
    return _with_target_wave(demo_store)


@pytest.fixture
def duckdb_demo(demo_db_path):
    """DuckDB only: exports and the wave report read DuckDB (docs/postgres.md)."""
    db = _with_target_wave(Database(demo_db_path))
    yield db
    db.close()


def _items(db: Database) -> tuple[str, ...]:
    return survey_for_version(db, get_wave(db, WAVE).survey_version).item_ids


def _rows(db: Database, count: int = 6, **changes: object) -> pd.DataFrame:
    """A valid file of `count` responses of Sales about Production; `changes` overrides columns."""
    frame = pd.DataFrame(
        {
            "rater_dept": ["SALES"] * count,
            "provider_dept": ["PROD"] * count,
            "frequency": ["weekly"] * count,
            "recommend": [str(i % 11) for i in range(count)],
            **{item: [str(1 + (i + j) % 5) for i in range(count)] for j, item in enumerate(_items(db))},
            "change": ["交货计划变化请提前告知。"] + [""] * (count - 1),
            "need": [""] * count,
        }
    )
    for column, value in changes.items():
        frame[column] = value
    return frame


def _csv(frame: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    return frame.to_csv(index=False).encode(encoding)


def _messages(checked) -> list[str]:
    return [describe(p, "en") for p in checked.problems]


def test_a_valid_file_is_imported_with_answers_comments_and_an_audit_event(demo):
    progress = []
    checked = import_file(
        demo, "admin1", TARGET, _csv(_rows(demo)), source="2025.csv", progress=lambda f, s: progress.append(f)
    )
    assert checked.ok, _messages(checked)
    assert response_count(demo, TARGET) == 6
    con = demo.connection()
    answers = con.execute(
        "SELECT count(*) FROM answers a JOIN responses r USING (response_id) WHERE r.wave_id = ?", [TARGET]
    ).fetchall()[0][0]
    assert answers == 6 * len(_items(demo))
    texts = con.execute(
        "SELECT c.text FROM comments c JOIN responses r USING (response_id) WHERE r.wave_id = ?", [TARGET]
    ).fetchall()
    assert texts == [("交货计划变化请提前告知。",)]
    assert progress and progress[-1] == pytest.approx(1.0) and progress == sorted(progress)
    event = list_events(demo).iloc[0]
    assert (event["actor"], event["action"], event["target"]) == ("admin1", "import_responses", TARGET)


def test_empty_item_cells_are_not_applicable_and_a_bom_or_gbk_file_is_read(demo):
    frame = _rows(demo)
    frame.loc[0, "reliability_2"] = ""
    frame.loc[1, "need"] = "需要更早的交货信息"
    gbk = import_file(demo, "t", TARGET, _csv(frame, "gbk"))
    assert gbk.ok, _messages(gbk)
    text = demo.connection().execute("SELECT text FROM comments WHERE question = 'need' AND text LIKE '需要%'")
    assert text.fetchall() == [("需要更早的交货信息",)]


def test_a_utf16_file_as_excel_saves_unicode_text_is_read(demo):
    # Excel's "Unicode text": UTF-16 with a byte order mark, tab-separated (data/uploads.py, one reader)
    checked = check_file(demo, TARGET, _rows(demo).to_csv(index=False, sep="\t").encode("utf-16"))
    assert checked.ok, _messages(checked)


def test_a_utf8_file_with_a_byte_order_mark_is_read(demo):
    checked = check_file(demo, TARGET, "\ufeff".encode() + _csv(_rows(demo)))
    assert checked.ok, _messages(checked)
    assert checked.preview.columns[0] == "rater_dept"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"provider_dept": ["PROD", "PROD", "NOPE", "PROD", "PROD", "PROD"]},
            "row 4: provider_dept: unknown department",
        ),
        (
            {"reliability_2": ["1", "2", "6", "2", "3", "4"]},
            'row 4: reliability_2 "6" must be a whole number from 1 to 5',
        ),
        ({"empathy_1": ["1", "2", "2.5", "2", "3", "4"]}, 'row 4: empathy_1 "2.5" must be a whole number'),
        ({"recommend": ["1", "11", "3", "4", "5", "6"]}, 'row 3: recommend "11" must be a whole number from 0 to 10'),
        ({"recommend": ["1", "x", "3", "4", "5", "6"]}, 'row 3: recommend "x" must be a whole number'),
        ({"frequency": ["weekly", "never", *["daily"] * 4]}, 'row 3: frequency "never" is not one of'),
        ({"rater_dept": ["PROD", *["SALES"] * 5]}, "row 2: a department cannot rate itself"),
        ({"rater_dept": ["", *["SALES"] * 5]}, "row 2: rater_dept is empty"),
        ({"change": ["x" * 1001, *[""] * 5]}, "row 2: change is longer than 1000 characters"),
    ],
)
def test_a_bad_value_refuses_the_whole_file_with_its_row(demo, change, expected):
    checked = import_file(demo, "t", TARGET, _csv(_rows(demo, **change)))
    assert not checked.ok
    assert any(m.startswith(expected) for m in _messages(checked)), _messages(checked)
    assert response_count(demo, TARGET) == 0
    assert list_events(demo).query("action == 'import_responses'").empty


def test_a_row_without_any_answer_is_refused(demo):
    frame = _rows(demo)
    for item in _items(demo):
        frame.loc[2, item] = ""
    frame.loc[2, "recommend"] = ""
    assert "row 4: the row answers no question" in _messages(check_file(demo, TARGET, _csv(frame)))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "the file is empty"),
        (b"   \n", "the file is empty"),
        (b"rater_dept,provider_dept\n", "the file is empty"),
        (b"PK\x03\x04 an Excel workbook", "not UTF-8 or GBK"),
        (b"\xff\xfe\x00\x00garbage", "not UTF-8 or GBK"),
    ],
)
def test_an_empty_or_unreadable_file_is_refused(demo, raw, expected):
    checked = import_file(demo, "t", TARGET, raw)
    assert [expected in m for m in _messages(checked)] == [True]
    assert response_count(demo, TARGET) == 0


def test_missing_unknown_and_duplicate_columns_are_named(demo):
    frame = _rows(demo).drop(columns=["recommend", "value_2"]).assign(reliabilty_2="3")
    messages = _messages(check_file(demo, TARGET, _csv(frame)))
    assert "column recommend is missing" in messages
    assert "column value_2 is missing" in messages
    assert "unknown column reliabilty_2 (not in this wave's survey)" in messages
    duplicate = b"rater_dept,rater_dept,provider_dept\nSALES,SALES,PROD\n"
    assert _messages(check_file(demo, TARGET, duplicate)) == ["column rater_dept appears twice"]


def test_one_bad_row_among_many_writes_nothing_and_every_bad_row_is_listed(demo):
    frame = _rows(demo, count=3000)
    frame.loc[[10, 2000], "provider_dept"] = "GHOST"
    checked = import_file(demo, "t", TARGET, _csv(frame))
    assert [p.row for p in checked.problems] == [12, 2002]
    assert response_count(demo, TARGET) == 0


def test_many_problems_are_capped_and_counted(demo):
    frame = _rows(demo, count=MAX_PROBLEMS + 40, recommend="99")
    checked = check_file(demo, TARGET, _csv(frame))
    assert len(checked.problems) == MAX_PROBLEMS
    assert checked.more_problems == 40


def test_a_wave_with_responses_is_refused(demo):
    checked = import_file(demo, "t", WAVE, _csv(_rows(demo)))
    assert _messages(checked)[0].startswith(f"wave {WAVE} already has")
    assert _messages(check_file(demo, "NOWAVE", _csv(_rows(demo)))) == ["there is no wave NOWAVE"]


def test_messages_read_in_chinese(demo):
    checked = check_file(demo, TARGET, _csv(_rows(demo, provider_dept="NOPE")))
    assert describe(checked.problems[0], "zh") == "第2行：provider_dept：未知部门代码“NOPE”"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_round_trip_an_export_imported_into_an_empty_wave_shows_the_same_cells(duckdb_demo, tmp_path, fmt):
    demo = duckdb_demo
    first = tmp_path / "first.csv"
    export_table(demo, "responses", WAVE, "csv", first, actor="t")
    checked = import_file(demo, "t", TARGET, first.read_bytes(), source=first.name)
    assert checked.ok, _messages(checked)

    again = tmp_path / f"again.{fmt}"
    export_table(demo, "responses", TARGET, fmt, again, actor="t")
    before = pd.read_csv(first, encoding="utf-8-sig", keep_default_na=False, na_values=[""]).drop(columns="wave")
    after = (
        pd.read_csv(again, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
        if fmt == "csv"
        else pd.read_parquet(again).astype({"recommend": "float64"})
    ).drop(columns="wave")
    if fmt == "parquet":  # Parquet keeps the original text; CSV neutralised it on both sides
        before[["change", "need"]] = before[["change", "need"]].map(
            lambda v: v[1:] if isinstance(v, str) and v.startswith("'") else v
        )

    def canonical(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.astype(
            {
                c: "float64"
                for c in frame.columns
                if c not in ("rater_dept", "provider_dept", "frequency", "change", "need")
            }
        )
        return frame.sort_values(list(frame.columns), na_position="first").reset_index(drop=True)

    pd.testing.assert_frame_equal(canonical(before), canonical(after), check_dtype=False)

    figures = ["rater_dept", "provider_dept", "n", "mean", "sd", "inps", "suppressed"]
    original = build_wave_report(demo, WAVE).cells
    imported = build_wave_report(demo, TARGET).cells
    shown_original = original.loc[~original["suppressed"], figures].reset_index(drop=True)
    shown_imported = imported.loc[~imported["suppressed"], figures].reset_index(drop=True)
    pd.testing.assert_frame_equal(shown_original, shown_imported, check_exact=False, rtol=1e-9)
    assert len(shown_imported) > 50


def test_a_wave_open_for_the_survey_is_refused(demo):
    wave = get_wave(demo, WAVE)
    create_wave(
        demo,
        "LIVE",
        name_en="Live",
        name_zh="进行中",
        survey_version=wave.survey_version,
        opens_on=dt.date(2027, 1, 1),
        closes_on=dt.date(2027, 1, 31),
        status="open",
    )
    assert _messages(check_file(demo, "LIVE", _csv(_rows(demo)))) == [
        "wave LIVE is open for the survey; import into a draft or closed wave"
    ]


def test_a_windows_1252_comment_is_refused_as_mangled_then_read_with_its_encoding(demo):
    frame = _rows(demo, change=["Försäljning needs earlier plans"] + [""] * 5)
    raw = _csv(frame, "cp1252")
    refused = check_file(demo, TARGET, raw)
    assert [p.code for p in refused.problems] == ["mojibake"]
    assert _messages(refused) == [
        'row 2: “F鰎s鋖jning” looks mangled (read as GB18030); save the file as "CSV UTF-8",'
        " or choose its encoding if the text is right"
    ]
    checked = import_file(demo, "t", TARGET, raw, encoding="cp1252")
    assert checked.ok, _messages(checked)
    stored = demo.connection().execute("SELECT text FROM comments WHERE text LIKE 'F%rs%'").fetchall()
    assert stored == [("Försäljning needs earlier plans",)]


def test_cli_import_responses_writes_the_file_once_on_both_backends(demo_target, tmp_path, capsys):
    import cli

    db = _with_target_wave(open_database(demo_target))
    path = tmp_path / "history.csv"
    path.write_bytes(_csv(_rows(db)))
    db.close()
    assert cli.main(["import-responses", "--db", demo_target, "--wave", TARGET, str(path)]) == 0
    assert f"imported 6 responses into wave {TARGET}" in capsys.readouterr().out
    assert cli.main(["import-responses", "--db", demo_target, "--wave", TARGET, str(path)]) == 1
    assert f"wave {TARGET} already has 6 responses" in capsys.readouterr().err
    db = open_database(demo_target)
    try:
        assert response_count(db, TARGET) == 6
        assert list(list_events(db)["action"]).count("import_responses") == 1
    finally:
        db.close()
