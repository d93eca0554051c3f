"""The administration commands: accounts (passwords never echoed), organisation import, waves, demo users."""

import io
import sys

import pytest

import cli
from data.audit import list_events
from data.db import Database, open_database
from data.org import list_departments
from data.users import DEMO_ACCOUNTS, get_user, verify
from data.waves import get_wave


def _run(monkeypatch, capsys, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _db(path):
    return Database(path)


def test_user_add_reads_the_password_from_stdin_and_never_prints_it(empty_db_path, monkeypatch, capsys):
    db = str(empty_db_path)
    code, out, err = _run(
        monkeypatch,
        capsys,
        "user",
        "add",
        "Wang.Fang",
        "--role",
        "admin",
        "--password-stdin",
        "--db",
        db,
        stdin="a long secret passphrase\n",
    )
    assert code == 0 and out.strip() == "added wang.fang (admin)"
    assert "passphrase" not in out + err
    database = _db(empty_db_path)
    assert list(list_events(database)["action"]) == ["user_add"]
    assert verify(database, "wang.fang", "a long secret passphrase").status == "ok"
    database.close()


def test_user_add_asks_twice_with_getpass_and_refuses_a_mismatch(empty_db_path, monkeypatch, capsys):
    answers = iter(["first secret 123", "second secret 456"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(SystemExit, match="differ"):
        cli.main(["user", "add", "li", "--role", "leader", "--db", str(empty_db_path)])
    database = _db(empty_db_path)
    assert get_user(database, "li") is None
    database.close()


def test_user_commands_refuse_with_a_reason_and_exit_code_2(empty_db_path, monkeypatch, capsys):
    db = str(empty_db_path)
    _run(
        monkeypatch,
        capsys,
        "user",
        "add",
        "boss",
        "--role",
        "admin",
        "--password-stdin",
        "--db",
        db,
        stdin="a long secret passphrase\n",
    )
    code, _, err = _run(monkeypatch, capsys, "user", "disable", "boss", "--db", db)
    assert code == 2 and "last active administrator" in err
    code, _, err = _run(
        monkeypatch, capsys, "user", "set-password", "boss", "--password-stdin", "--db", db, stdin="short\n"
    )
    assert code == 2 and "at least 10 characters" in err
    code, out, _ = _run(
        monkeypatch,
        capsys,
        "user",
        "add",
        "li.na",
        "--role",
        "leader",
        "--email",
        "li.na@example.com",
        "--sso-only",
        "--db",
        db,
    )
    assert code == 0
    code, out, _ = _run(monkeypatch, capsys, "user", "list", "--db", db)
    assert "boss" in out and "li.na@example.com" in out and "$argon2" not in out


def test_import_org_reports_every_problem_and_writes_nothing_then_imports(empty_target, tmp_path, monkeypatch, capsys):
    departments = tmp_path / "departments.csv"
    departments.write_bytes("code,name_en,name_zh,parent_code\nHQ,Head Office,总部,\nA,Alpha,甲部,HQ\n".encode("gbk"))
    relationships = tmp_path / "relationships.csv"
    relationships.write_text("customer_dept,provider_dept,type\nA,HQ,process\nA,A,process\nA,ZZ,friendly\n")
    args = [
        "import-org",
        "--db",
        empty_target,
        "--departments",
        str(departments),
        "--relationships",
        str(relationships),
    ]
    code, out, err = _run(monkeypatch, capsys, *args)
    assert code == 2
    assert "departments: read as gb18030" in out
    assert "Relationships file, line 3: A cannot be its own customer." in err
    assert "Relationships file, line 4: ZZ is not a known department." in err
    assert "nothing was written" in err
    relationships.write_text("customer_dept,provider_dept,type\nA,HQ,process\n")
    code, out, _ = _run(monkeypatch, capsys, *args)
    assert code == 0 and out.strip().endswith("0 relationships unchanged")
    database = open_database(empty_target)
    assert list(list_departments(database)["code"]) == ["A", "HQ"]
    database.close()


def test_wave_create_open_close_and_the_k_rule(empty_db_path, monkeypatch, capsys):
    db = str(empty_db_path)
    create = [
        "wave",
        "create",
        "W1",
        "--name-en",
        "Wave 1",
        "--opens",
        "2027-01-01",
        "--closes",
        "2027-01-31",
        "--db",
        db,
    ]
    code, _, err = _run(monkeypatch, capsys, *create, "--k", "2")
    assert code == 2 and "k must be at least 3" in err
    code, out, _ = _run(monkeypatch, capsys, *create, "--k", "4", "--self-assessment")
    assert code == 0 and "created wave W1 (draft) from icsat-default-v1" in out
    assert _run(monkeypatch, capsys, "wave", "open", "W1", "--db", db)[0] == 0
    code, _, err = _run(monkeypatch, capsys, "wave", "open", "W1", "--db", db)
    assert code == 2 and "cannot be moved to open" in err
    assert _run(monkeypatch, capsys, "wave", "close", "W1", "--db", db)[0] == 0
    code, _, err = _run(
        monkeypatch, capsys, *create[:-4], "--opens", "2027-13-01", "--closes", "2027-01-31", "--db", db
    )
    assert code == 2 and "error:" in err
    database = _db(empty_db_path)
    wave = get_wave(database, "W1")
    assert (wave.status, wave.k_min, wave.k_comments, wave.self_assessment) == ("closed", 4, 10, True)
    assert list(list_events(database)["action"]) == ["wave_close", "wave_open", "wave_create"]
    database.close()


def test_demo_users_are_marked_and_idempotent(empty_db_path, monkeypatch, capsys):
    db = str(empty_db_path)
    code, out, _ = _run(monkeypatch, capsys, "demo-users", "--db", db)
    assert code == 0 and "demo only" in out
    code, out, _ = _run(monkeypatch, capsys, "demo-users", "--db", db)
    assert code == 0 and out.count("(existed)") == len(DEMO_ACCOUNTS)
    database = _db(empty_db_path)
    for username, _, role, password in DEMO_ACCOUNTS:
        user = get_user(database, username)
        assert user["is_demo"] and user["role"] == role
        assert verify(database, username, password).status == "ok"
    database.close()


def test_a_windows_1252_file_is_refused_as_mangled_then_imported_with_encoding(empty_target, monkeypatch, capsys):
    from pathlib import Path

    fixture = Path(__file__).resolve().parent / "fixtures" / "encodings" / "western_cp1252.csv"
    args = ["import-org", "--db", empty_target, "--departments", str(fixture)]
    code, _, err = _run(monkeypatch, capsys, *args)
    assert code == 2
    assert "Departments file, line 2: “F鰎s鋖jning” looks mangled (read as GB18030)" in err
    assert "CSV UTF-8" in err
    code, out, _ = _run(monkeypatch, capsys, *args, "--encoding", "cp1252")
    assert code == 0 and "departments: read as cp1252" in out
    database = open_database(empty_target)
    names = dict(list_departments(database)[["code", "name_en"]].itertuples(index=False))
    database.close()
    assert names["SALES"] == "Försäljning Nord" and names["IT"] == "Jörg Müller Team"
    with pytest.raises(SystemExit):
        _run(monkeypatch, capsys, *args, "--encoding", "ebcdic")
    assert "invalid choice" in capsys.readouterr().err
