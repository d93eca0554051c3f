"""A postgresql:// ICSAT_DB today (issue 23, docs/postgres.md): settings keep the URL, cli.py runs the
ported commands on it and refuses the others by name, and the app refuses to start, saying why."""

import pytest

import cli
from data.db import POSTGRES_MIGRATIONS_DIR, UnsupportedBackend, migration_files, require_app_backend
from settings import load_settings


def test_the_setting_keeps_a_postgres_url_as_written_and_a_path_as_a_path(tmp_path):
    url = "postgresql://icsat@db.internal:5432/icsat?sslmode=require"
    assert load_settings({"ICSAT_DB": url}, {}).db_path == url
    assert load_settings({"ICSAT_DB": str(tmp_path / "a.duckdb")}, {}).db_path == tmp_path / "a.duckdb"


def test_cli_init_demo_users_waves_and_check_run_on_postgres(pg_server, capsys):
    import psycopg

    with psycopg.connect(pg_server.url(), autocommit=True) as con:
        con.execute("CREATE DATABASE cli_target")
    url = pg_server.url("cli_target")
    assert cli.main(["init", "--db", url]) == 0
    latest = max(version for version, _ in migration_files(POSTGRES_MIGRATIONS_DIR))
    assert latest >= 3  # the baseline, and the sign-in brakes' tables (0003)
    assert f"(schema version {latest})" in capsys.readouterr().out
    assert cli.main(["demo", "--db", url]) == 0
    assert cli.main(["demo-users", "--db", url]) == 0
    assert cli.main(["user", "list", "--db", url]) == 0
    assert "demo-admin" in capsys.readouterr().out
    assert cli.main(["wave", "list", "--db", url]) == 0
    assert "2027-Q1" in capsys.readouterr().out
    assert cli.main(["check", "--db", url]) == 0  # every integrity count 0
    assert "PROBLEM" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("command", "instead"),
    [
        (
            ["export", "cells", "--wave", "2026-Q4", "--out", "cells.csv"],
            "keep a database you need exports from on DuckDB",
        ),
        (["backup", "--out", "backups"], "pg_dump --format=custom"),
        (["restore", "--from", "backups"], "pg_restore --clean"),
    ],
)
def test_cli_refuses_a_command_not_ported_by_name_and_says_what_to_do(command, instead):
    with pytest.raises(SystemExit) as refused:
        cli.main([*command, "--db", "postgresql://nobody@127.0.0.1:1/none"])
    message = str(refused.value.code)
    assert f"'{command[0]}' does not run on PostgreSQL yet" in message
    assert instead in message and "invite" in message  # and which commands do run there


def test_the_ported_commands_are_the_postgres_commands():
    assert {"import-org", "import-responses", "invite", "remind", "mail", "tick"} <= cli.POSTGRES_COMMANDS
    assert not {"export", "backup", "restore"} & cli.POSTGRES_COMMANDS


def test_the_app_refuses_to_start_on_postgres_and_says_why(tmp_path):
    with pytest.raises(UnsupportedBackend, match="analysis pages, exports and backups do not run on it yet"):
        require_app_backend("postgresql://icsat@127.0.0.1/icsat")
    require_app_backend(tmp_path / "icsat.duckdb")  # DuckDB: nothing to say


def test_the_server_exits_at_start_up_with_the_message(monkeypatch, tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=ROOT,
        env={"ICSAT_DB": "postgresql://icsat@127.0.0.1:1/icsat", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "icsat: ICSAT_DB is a PostgreSQL URL" in done.stderr
