"""Rosters, invitation links and token checks (data/invitations.py), and `cli.py invite`."""

import datetime as dt
import hashlib
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

import cli
from data.db import open_database
from data.invitations import (
    check_token,
    create_invitations,
    hash_token,
    parse_roster,
    parse_roster_for,
)
from data.problems import Refused
from data.waves import set_wave_status
from texts import describe

ROOT = Path(__file__).resolve().parents[2]
CODES = {"SALES", "PROD", "HR", "IT"}


def _token(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]


@pytest.fixture
def demo_db(demo_store):
    """The demo organisation, on DuckDB and on PostgreSQL."""
    return demo_store


def test_a_utf8_roster_is_read_with_row_numbers():
    roster, errors = parse_roster(b"Email,Name,Department\na@example.com,Ann,sales\n,Bo,PROD\n", departments=CODES)
    assert errors == []
    assert list(roster["department"]) == ["SALES", "PROD"]  # codes are upper-cased
    assert list(roster["row"]) == [2, 3]
    assert list(roster["name"]) == ["Ann", "Bo"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_chinese_rosters_in_the_encodings_excel_writes_are_accepted(encoding):
    raw = "email,name,department\nz@example.com,张敏,SALES\nw@example.com,王芳,HR\n".encode(encoding)
    roster, errors = parse_roster(raw, departments=CODES)
    assert errors == []
    assert list(roster["name"]) == ["张敏", "王芳"]
    assert roster.columns[1] == "email"  # the BOM did not stick to the first header


def test_semicolon_separated_rosters_are_read():
    roster, errors = parse_roster(b"email;department\na@x;SALES\nb@x;HR\n", departments=CODES)
    assert errors == [] and len(roster) == 2


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"PK\x03\x04rest-of-a-zip", "Excel workbook"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "does not look like a CSV"),  # a picture
        (b"email,department\n\x81\x20,SALES\n", "neither UTF-8 nor GBK"),
        (b"", "empty"),
        (b"email,department\n", "no people"),
    ],
)
def test_unreadable_files_are_refused_clearly(raw, fragment):
    roster, errors = parse_roster(raw, departments=CODES)
    assert roster.empty
    assert len(errors) == 1 and fragment in describe(errors[0])


def test_missing_columns_are_named():
    _, errors = parse_roster(b"who,dept\na,SALES\n")
    assert any("'department'" in describe(e) for e in errors)
    assert any("'email' or 'name'" in describe(e) for e in errors)


def test_row_level_problems_are_all_reported_with_their_rows():
    raw = (
        b"email,name,department\n"
        b"a@example.com,Ann,SALES\n"
        b"b@example.com,Bo,XYZ\n"
        b"A@example.com,Ann,SALES\n"  # the same person again (e-mail case does not matter)
        b",,HR\n"
        b"c@example.com,Cy,\n"
        b"d@example.com,Di,HR,extra\n"
        b"e@example.com,Ed,OLD\n"
    )
    _, errors = parse_roster(raw, departments=CODES | {"OLD"}, inactive={"OLD"})
    assert [describe(e) for e in errors] == [
        "Row 3: unknown department code 'XYZ'.",
        "Row 4: duplicate of row 2 (A@example.com).",
        "Row 5: no email or name.",
        "Row 6: no department code.",
        "Row 7: 4 fields, the header has 3.",
        "Row 8: department 'OLD' is not active.",
    ]


def test_messages_come_in_chinese_too():
    _, errors = parse_roster(b"email,department\na@x,XYZ\n", departments=CODES)
    assert [describe(e, "zh") for e in errors] == ["第2行：未知的部门代码“XYZ”。"]


def test_invitations_store_only_the_token_hash_department_wave_and_expiry(demo_db):
    roster, errors = parse_roster_for(
        demo_db, b"email,name,department\nann@example.com,Ann,SALES\nbo@example.com,Bo,IT\n"
    )
    assert errors == []
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    links = create_invitations(demo_db, "2027-Q1", roster, base_url="https://icsat.example.com/", expires_days=14)
    assert list(links.columns) == ["row", "email", "name", "department", "link"]
    tokens = [_token(link) for link in links["link"]]
    assert all(link.startswith("https://icsat.example.com/survey?token=") for link in links["link"])
    assert all(len(t) >= 43 for t in tokens)  # 32 random bytes, URL-safe base64
    rows = demo_db.connection().execute("SELECT * FROM invitations WHERE wave_id = '2027-Q1' ORDER BY dept_code").df()
    assert list(rows.columns) == ["token_hash", "wave_id", "dept_code", "expires_at", "used", "draft", "draft_saved_at",
                                 "language", "contact_enc", "last_reminded"]  # fmt: skip
    assert rows["draft"].isna().all()
    assert rows["contact_enc"].isna().all()  # no address key given: no address kept
    assert set(rows["token_hash"]) == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    assert list(rows["dept_code"]) == ["IT", "SALES"]
    assert not rows["used"].any()
    assert all(before + dt.timedelta(days=13) < e <= before + dt.timedelta(days=15) for e in rows["expires_at"])
    # neither the e-mail nor the name is anywhere in the database
    dump = str(demo_db.connection().execute("SELECT * FROM invitations").fetchall())
    assert "ann@example.com" not in dump and "Ann" not in dump and tokens[0] not in dump


def test_an_unknown_department_refuses_the_whole_roster(demo_db):
    roster, _ = parse_roster(b"email,department\na@x,SALES\nb@x,NOPE\n")  # parsed without the database
    count = demo_db.connection().execute("SELECT count(*) FROM invitations").fetchone()[0]
    with pytest.raises(Refused) as caught:
        create_invitations(demo_db, "2027-Q1", roster, base_url="http://x")
    assert [describe(p) for p in caught.value.problems] == ["Row 3: unknown department code 'NOPE'."]
    assert demo_db.connection().execute("SELECT count(*) FROM invitations").fetchone()[0] == count


def test_a_closed_or_missing_wave_gets_no_invitations(demo_db):
    roster, _ = parse_roster(b"email,department\na@x,SALES\n")
    with pytest.raises(Refused, match="closed"):
        create_invitations(demo_db, "2026-Q4", roster, base_url="http://x")
    with pytest.raises(Refused, match="unknown_wave"):
        create_invitations(demo_db, "2030-Q1", roster, base_url="http://x")


def test_check_token_statuses(demo_db):
    roster, _ = parse_roster(b"email,department\na@x,SALES\nb@x,HR\nc@x,IT\n")
    links = create_invitations(demo_db, "2027-Q1", roster, base_url="http://x", expires_days=3)
    ok, used, late = (_token(link) for link in links["link"])
    check = check_token(demo_db, ok)
    assert (check.status, check.dept_code, check.wave.wave_id, check.token_hash) == (
        "ok",
        "SALES",
        "2027-Q1",
        hash_token(ok),
    )
    demo_db.connection().execute("UPDATE invitations SET used = TRUE WHERE token_hash = ?", [hash_token(used)])
    assert check_token(demo_db, used).status == "used"
    in_a_week = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=7)
    assert check_token(demo_db, late, now=in_a_week).status == "expired"
    assert check_token(demo_db, "A" * 43).status == "unknown"
    assert check_token(demo_db, "not a token; DROP TABLE invitations").status == "unknown"
    assert check_token(demo_db, "").status == "unknown"
    set_wave_status(demo_db, "2027-Q1", "closed")
    assert check_token(demo_db, ok).status == "wave_not_open"
    assert check_token(demo_db, used).status == "used"  # a used link says so even after the wave closed


def test_cli_invite_writes_links_for_the_sample_roster(demo_target, tmp_path, capsys):
    out = tmp_path / "links.csv"
    code = cli.main(
        ["invite", "--db", demo_target, "--wave", "2027-Q1", "--roster", str(ROOT / "docs/examples/roster.csv"),
         "--out", str(out), "--base-url", "http://localhost:8501", "--expires", "10"]
    )  # fmt: skip
    assert code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    links = pd.read_csv(out, encoding="utf-8-sig")
    sample = pd.read_csv(ROOT / "docs/examples/roster.csv")
    assert list(links.columns) == ["email", "name", "department", "link"]
    assert len(links) == len(sample) and links["link"].is_unique
    assert "张敏" in set(links["name"])
    db = open_database(demo_target)
    check = check_token(db, _token(links["link"].iloc[0]))
    db.close()
    assert check.status == "ok" and check.dept_code == links["department"].iloc[0]
    assert "created 26 invitation(s)" in capsys.readouterr().out


def test_cli_invite_refuses_a_bad_roster_and_writes_nothing(demo_target, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"email,department\na@x,SALES\na@x,SALES\nb@x,NOPE\n")
    out = tmp_path / "links.csv"
    code = cli.main(["invite", "--db", demo_target, "--wave", "2027-Q1", "--roster", str(roster), "--out", str(out)])
    assert code == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "Row 3: duplicate of row 2" in err and "Row 4: unknown department code 'NOPE'" in err
    db = open_database(demo_target)
    assert db.connection().execute("SELECT count(*) FROM invitations WHERE wave_id = '2027-Q1'").fetchone()[0] == 0
    db.close()


def test_cli_invite_has_help(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["invite", "--help"])
    assert done.value.code == 0
    assert "--roster" in capsys.readouterr().out


def test_a_roster_may_give_each_person_a_language(demo_db):
    # Issue 19: the survey's language per person, kept on the invitation (no identity beside it).
    raw = b"email,department,language\na@x,SALES,zh\nb@x,IT,\nc@x,HR, EN \nd@x,HR,zh-CN\n"
    roster, errors = parse_roster_for(demo_db, raw)
    assert errors == []
    assert roster["language"].fillna("").tolist() == ["zh", "", "en", "zh"]
    links = create_invitations(demo_db, "2027-Q1", roster, base_url="http://x", expires_days=3)
    stored = dict(demo_db.connection().execute("SELECT token_hash, language FROM invitations").fetchall())
    assert [stored[hash_token(_token(link))] for link in links["link"]] == ["zh", None, "en", "zh"]
    assert check_token(demo_db, _token(links["link"].iloc[0])).language == "zh"


@pytest.mark.parametrize(
    ("value", "en", "zh"),
    [
        (
            "fr",
            "Row 2: unknown language 'fr' (use en or zh, or leave it empty).",
            "第2行：未知的语言“fr”（请填写en或zh，或留空）。",
        ),
        ("x" * 5000, f"Row 2: unknown language '{'x' * 20}…' (use en or zh, or leave it empty).", None),
        ("zh\u202een", "Row 2: unknown language 'zh\\u202een' (use en or zh, or leave it empty).", None),
        ("=cmd()", "Row 2: unknown language '=cmd()' (use en or zh, or leave it empty).", None),
    ],
)
def test_a_bad_language_is_a_row_problem_and_nothing_is_written(demo_db, value, en, zh):
    raw = f"email,department,language\na@x,SALES,{value}\nb@x,IT,en\n".encode()
    roster, errors = parse_roster_for(demo_db, raw)
    assert [describe(e) for e in errors] == [en]
    if zh:
        assert [describe(e, "zh") for e in errors] == [zh]
    # the roster must not be used; a caller that uses it anyway is refused and nothing is written
    count = "SELECT count(*) FROM invitations"
    before = demo_db.connection().execute(count).fetchone()[0]
    with pytest.raises(Refused):
        create_invitations(demo_db, "2027-Q1", roster, base_url="http://x", expires_days=3)
    assert demo_db.connection().execute(count).fetchone()[0] == before


def _wave_closing(db, wave_id, closes_on):
    from data.waves import create_wave, get_wave

    create_wave(
        db,
        wave_id,
        name_en=wave_id,
        name_zh=wave_id,
        survey_version=get_wave(db, "2027-Q1").survey_version,
        opens_on=dt.date(2026, 1, 1),
        closes_on=closes_on,
        status="draft",
    )


def test_links_expire_with_the_wave_at_the_end_of_its_closing_date_unless_days_are_set(demo_db, monkeypatch):
    monkeypatch.setenv("ICSAT_TIMEZONE", "Asia/Shanghai")
    _wave_closing(demo_db, "LATER", dt.date(2099, 3, 31))
    roster, _ = parse_roster_for(demo_db, b"email,department\nann@example.com,SALES\n")
    create_invitations(demo_db, "LATER", roster, base_url="http://x")
    (expires,) = demo_db.connection().execute("SELECT expires_at FROM invitations WHERE wave_id = 'LATER'").fetchone()
    # midnight after 2099-03-31 in Shanghai (UTC+8) is 16:00 UTC on the closing date
    assert expires == dt.datetime(2099, 3, 31, 16, 0)
    # a wave whose closing date has passed gets no links that would expire at once
    _wave_closing(demo_db, "PAST", dt.date(2026, 1, 2))
    with pytest.raises(Refused) as refused:
        create_invitations(demo_db, "PAST", roster, base_url="http://x")
    assert refused.value.code == "wave_ended"
    assert "2026-01-02" in describe(refused.value.problems[0], "en")
    assert "2026-01-02" in describe(refused.value.problems[0], "zh")


def test_cli_invite_for_a_draft_wave_warns_and_links_expire_with_the_wave(demo_target, tmp_path, capsys):
    db = open_database(demo_target)
    _wave_closing(db, "DRAFT", dt.date(2099, 1, 31))
    db.close()
    out = tmp_path / "links.csv"
    code = cli.main(
        ["invite", "--db", demo_target, "--wave", "DRAFT", "--roster", str(ROOT / "docs/examples/roster.csv"),
         "--out", str(out), "--base-url", "http://localhost:8501"]
    )  # fmt: skip
    assert code == 0
    assert "warning: wave DRAFT is a draft: the links work only once it is open" in capsys.readouterr().err
    db = open_database(demo_target)
    expiries = db.connection().execute("SELECT DISTINCT expires_at FROM invitations WHERE wave_id = 'DRAFT'").fetchall()
    db.close()
    assert expiries == [(dt.datetime(2099, 2, 1, 0, 0),)]  # the end of the closing date, UTC by default
